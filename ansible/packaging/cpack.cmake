# Debian package of vCompanion, built with CPack (`make package` runs
# `cpack -G DEB` in build/release). Included from the end of the root CMakeLists.txt.
# The package holds the binaries, templates, static assets, the nginx site and
# snippets, the Redis configuration templates, the systemd units and the docs; the
# maintainer scripts in debian/ create the `vcompanion` system user, /etc/vcompanion
# and the secrets (never overwriting existing ones). docs/operations.md describes it.

set(_pkg ${CMAKE_CURRENT_LIST_DIR})

# Files outside the install prefix: Debian's fixed locations.
install(FILES ${PROJECT_SOURCE_DIR}/nginx/vcompanion.conf
        DESTINATION /etc/nginx/sites-available RENAME vcompanion)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/nginx/snippets/
        DESTINATION /etc/nginx/snippets FILES_MATCHING PATTERN "vcompanion-*.conf")
install(FILES ${_pkg}/systemd/vcompanion-collector.service
              ${_pkg}/systemd/vcompanion-web.service
              ${_pkg}/systemd/vcompanion-web.socket
              ${_pkg}/systemd/vcompanion-web@.service
              ${_pkg}/systemd/vcompanion-web@.socket
              ${_pkg}/systemd/vcompanion-redis.service
        DESTINATION /lib/systemd/system)

# Under the prefix (/usr).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/templates/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/vcompanion/templates
        FILES_MATCHING PATTERN "*.mustache")
install(FILES ${PROJECT_SOURCE_DIR}/redis/redis.conf ${PROJECT_SOURCE_DIR}/redis/users.acl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/vcompanion/redis)
install(FILES ${_pkg}/vcompanion.json.example
        DESTINATION ${CMAKE_INSTALL_DATADIR}/vcompanion)
install(FILES ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/vcompanion)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/vcompanion FILES_MATCHING PATTERN "*.md")
install(FILES ${_pkg}/debian/copyright
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/vcompanion)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vcompanion)
set(CPACK_PACKAGE_VENDOR "vCompanion")
set(CPACK_PACKAGE_CONTACT "vCompanion maintainers <vcompanion@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Multi-vCenter monitoring portal (collector, FastCGI web tier, CLI)")
set(CPACK_PACKAGE_DESCRIPTION
    "One portal for many independent vCenter Servers: a collector polls every vCenter\n over the vSphere API into Redis (sealed with libsodium); a FastCGI web tier behind\n nginx renders the inventory, search and reports.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/vcompanion/vcompanion")
# Release tags are vX.Y.Z; a build from a later commit may add a Debian revision.
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
# Runtime libraries (Debian 12 names, checked with apt-cache): dpkg-shlibdeps (from
# dpkg-dev, part of build-essential) derives them with minimum versions from the
# binaries; without it, the same names are listed by hand.
find_program(VC_DPKG_SHLIBDEPS dpkg-shlibdeps)
if(VC_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, openssl")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "adduser, openssl, libc6, libfcgi0ldbl, libcurl4, libxml2, libsodium23, libzstd1, libhiredis0.14, libjansson4, libxlsxwriter4")
endif()
# Redis and nginx may run on other nodes (docs/operations.md), so only recommended.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "nginx-light | nginx, redis-server (>= 5:7.0)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${_pkg}/debian/postinst ${_pkg}/debian/prerm ${_pkg}/debian/postrm ${_pkg}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
