#!/usr/bin/env bash
# Installs the vcompanion .deb into a throwaway root and checks what the package and
# its maintainer scripts leave there: the system user, owners and modes of /etc and
# the secrets, secrets kept on reinstall, the units (systemd-analyze verify), the
# Redis configuration postinst renders (a real redis-server with the ACL users), and
# purge. The throwaway root is an overlay of / (writes go to a tmpfs) in a private
# mount namespace, so dpkg, adduser and the scripts run for real and the host is
# untouched. Run as root:  unshare --mount --propagation private bash deb-check.sh DEB
# Prints "ok ..." / "FAIL ..." lines (test-rollout.sh counts them).
set -uo pipefail
deb=$1
work=$(mktemp -d /tmp/vcdeb.XXXXXX)
mount -t tmpfs tmpfs "$work" || { echo "FAIL deb: cannot mount a tmpfs"; exit 1; }
mkdir -p "$work/upper" "$work/work" "$work/root"
if ! mount -t overlay overlay -o "lowerdir=/,upperdir=$work/upper,workdir=$work/work" "$work/root"; then
	echo "FAIL deb: cannot mount an overlay of /"
	exit 1
fi
R=$work/root
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
mount -t tmpfs tmpfs "$R/run"
mount -t tmpfs tmpfs "$R/tmp"
cp "$deb" "$R/tmp/vcompanion.deb"
cat >"$R/tmp/inner.sh" <<'INNER'
set -uo pipefail
ok()  { echo "ok   deb: $*"; }
bad() { echo "FAIL deb: $*"; }
check() { local what=$1; shift; if "$@" >/tmp/check.out 2>&1; then ok "$what"; else bad "$what"; sed 's/^/     /' /tmp/check.out | head -20; fi; }
# mode_is PATH MODE OWNER:GROUP
mode_is() { [ "$(stat -c '%a %U:%G' "$1" 2>/dev/null)" = "$2 $3" ] || { stat -c '%n: %a %U:%G' "$1"; false; }; }
sums() { sha256sum /etc/vcompanion/cache.keys /etc/vcompanion/redis-*.pass /etc/redis/vcompanion-users.acl; }

# Nothing of a previous install may be in the overlay.
rm -rf /etc/vcompanion /var/lib/vcompanion /etc/redis/vcompanion.conf /etc/redis/vcompanion-users.acl \
	/etc/nginx/sites-available/vcompanion /etc/nginx/sites-enabled/vcompanion /etc/nginx/snippets/vcompanion-*.conf
check "dpkg -i installs" dpkg -i /tmp/vcompanion.deb
check "system user vcompanion" bash -c '[ "$(id -u vcompanion)" -lt 1000 ] && getent group vcompanion'
check "login shell nologin" bash -c 'getent passwd vcompanion | grep -q ":/usr/sbin/nologin$"'
check "/etc/vcompanion 0750 root:vcompanion" mode_is /etc/vcompanion 750 root:vcompanion
check "/var/lib/vcompanion root:vcompanion" mode_is /var/lib/vcompanion 755 root:vcompanion
for f in cache.keys redis-collector.pass redis-web.pass; do
	check "$f 0640 root:vcompanion" mode_is /etc/vcompanion/$f 640 root:vcompanion
done
check "key file is one id:base64 line" grep -Eqx '[0-9]+:[A-Za-z0-9+/]{43}=' /etc/vcompanion/cache.keys
check "passwords are 64 hex" grep -Eqx '[0-9a-f]{64}' /etc/vcompanion/redis-web.pass
check "the two passwords differ" bash -c '! cmp -s /etc/vcompanion/redis-web.pass /etc/vcompanion/redis-collector.pass'
for b in /usr/bin/vcompanion /usr/bin/vcompanion-web /usr/sbin/vcompanion-collector; do
	check "$b 0755 root:root" mode_is "$b" 755 root:root
done
check "templates installed" test -f /usr/share/vcompanion/templates/layout.mustache
check "static assets installed" test -f /usr/share/vcompanion/static/manifest.json
check "redis templates installed" test -f /usr/share/vcompanion/redis/users.acl -a -f /usr/share/vcompanion/redis/redis.conf
check "nginx site + snippets" test -f /etc/nginx/sites-available/vcompanion -a -f /etc/nginx/snippets/vcompanion-server.conf
check "nginx files are conffiles" grep -q '/etc/nginx/snippets/vcompanion-tls.conf' /var/lib/dpkg/info/vcompanion.conffiles
check "docs installed" test -f /usr/share/doc/vcompanion/operations.md
for u in vcompanion-collector.service vcompanion-web.service vcompanion-web.socket \
         vcompanion-web@.service vcompanion-web@.socket vcompanion-redis.service; do
	check "unit $u" mode_is "/lib/systemd/system/$u" 644 root:root
done
check "users.acl rendered 0640 root:redis" mode_is /etc/redis/vcompanion-users.acl 640 root:redis
check "redis conf rendered 0640 root:redis" mode_is /etc/redis/vcompanion.conf 640 root:redis
check "no placeholder left in users.acl" bash -c '! grep -Eq "@[A-Z0-9_]+@" /etc/redis/vcompanion-users.acl'
check "vcompanion in group redis (socket)" bash -c 'id -nG vcompanion | grep -qw redis'

# The example configuration validates, read as the service user; others read nothing.
(umask 027 && echo example-pass >/etc/vcompanion/vc-prod.pass) && chgrp vcompanion /etc/vcompanion/vc-prod.pass
check "example config validates as vcompanion" setpriv --reuid=vcompanion --regid=vcompanion --init-groups \
	vcompanion check-config /usr/share/vcompanion/vcompanion.json.example
check "nobody cannot read the key file" bash -c '! setpriv --reuid=nobody --regid=nogroup --clear-groups cat /etc/vcompanion/cache.keys'
check "redis cannot read the key file" bash -c '! setpriv --reuid=redis --regid=redis --init-groups cat /etc/vcompanion/cache.keys'

# Reinstall (postinst configure with the old version: the upgrade path) keeps secrets.
export -f sums
sums >/tmp/sums.before
check "dpkg -i again (upgrade path)" dpkg -i /tmp/vcompanion.deb
check "keys and passwords not overwritten" bash -c 'sums | cmp -s - /tmp/sums.before'

if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify" bash -c 'out=$(systemd-analyze verify vcompanion-collector.service \
		vcompanion-web.socket vcompanion-web.service vcompanion-web@1.socket vcompanion-web@1.service \
		vcompanion-redis.service 2>&1); echo "$out"; [ -z "$(echo "$out" | grep -v "^$")" ]'
fi

# Redis with the configuration postinst rendered, both ACL users with their files.
mkdir -p /run/vcompanion/redis /var/lib/vcompanion/redis
chown redis:redis /run/vcompanion/redis /var/lib/vcompanion/redis
setpriv --reuid=redis --regid=redis --init-groups redis-server /etc/redis/vcompanion.conf --daemonize no >/tmp/redis.log 2>&1 &
rpid=$!
for _ in $(seq 50); do [ -S /run/vcompanion/redis/redis.sock ] && break; sleep 0.1; done
as() { local u=$1; shift; setpriv --reuid=vcompanion --regid=vcompanion --init-groups \
	redis-cli -s /run/vcompanion/redis/redis.sock --user "$u" --pass "$(cat /etc/vcompanion/redis-$u.pass)" --no-auth-warning "$@"; }
check "redis starts with the rendered conf" test -S /run/vcompanion/redis/redis.sock
check "socket redis:redis 0770" mode_is /run/vcompanion/redis/redis.sock 770 redis:redis
export -f as
check "collector user writes vc:*" bash -c '[ "$(as collector SET "vc:{t}:gen" 1)" = OK ]'
check "web user may not write vc:* (NOPERM)" bash -c 'as web SET "vc:{t}:gen" 2 | grep -q NOPERM'
check "default user is off" bash -c "redis-cli -s /run/vcompanion/redis/redis.sock PING | grep -q NOAUTH"
kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null

check "dpkg --purge" dpkg --purge vcompanion
check "purge keeps the key file" test -f /etc/vcompanion/cache.keys
check "purge removes the generated redis conf" test ! -e /etc/redis/vcompanion.conf
check "purge removes the binaries" test ! -e /usr/bin/vcompanion
INNER
chroot "$R" bash /tmp/inner.sh
rc=$?
umount -R "$R" 2>/dev/null || umount -l "$R"
umount "$work"
rmdir "$work"
exit $rc
