#!/usr/bin/env bash
# Builds the static assets nginx serves: installs the pinned browser libraries from npm
# (package-lock.json), copies them and our own CSS/JS into OUT_DIR under content-hashed
# names, and writes OUT_DIR/manifest.json, which maps logical names to URLs for the
# templates. Idempotent: an unchanged input gives the same names and leaves no stale files.
#
# Usage: build-assets.sh OUT_DIR
# Environment: VC_NPM_DIR   where node_modules lives (default: this script's folder)
#              VC_STATIC_URL URL prefix of OUT_DIR (default: /static)
set -euo pipefail

die() { echo "build-assets: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUT_DIR"
OUT_DIR=$1
SRC_DIR=$(cd "$(dirname "$0")" && pwd)
NPM_DIR=${VC_NPM_DIR:-$SRC_DIR}
URL_PREFIX=${VC_STATIC_URL:-/static}
MODULES=$NPM_DIR/node_modules
STAMP=$MODULES/.vc-lock.sha256

command -v sha256sum >/dev/null || die "sha256sum is missing (coreutils)"

# npm ci only when node_modules does not match the lock file, so offline rebuilds work.
# The stamp holds the hash of the lock file that node_modules was installed from.
install_modules() {
    local want have=""
    want=$(sha256sum "$SRC_DIR/package-lock.json" | cut -c1-64)
    [ -f "$STAMP" ] && have=$(cat "$STAMP")
    if [ "$want" = "$have" ] && [ -d "$MODULES" ]; then
        return 0
    fi
    command -v npm >/dev/null || die "npm is missing: install nodejs and npm (make deps)"
    if [ "$NPM_DIR" != "$SRC_DIR" ]; then
        mkdir -p "$NPM_DIR"
        cp "$SRC_DIR/package.json" "$SRC_DIR/package-lock.json" "$NPM_DIR/"
    fi
    echo "build-assets: npm ci in $NPM_DIR" >&2
    (cd "$NPM_DIR" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2) \
        || die "npm ci failed (is the npm registry reachable?)"
    echo "$want" > "$STAMP"
}

# Vendor minified files end with a sourceMappingURL comment for a map we do not ship;
# dropping it spares browsers a 404 on every page with developer tools open.
strip_map() { sed -e '/^\/\/# sourceMappingURL=/d' "$1"; }

# publish LOGICAL_NAME FILE: copy FILE to OUT_DIR as base.HASH.ext, remove older copies
# of the same logical name, and record the URL for the manifest.
declare -a MANIFEST=()
publish() {
    local logical=$1 file=$2 base ext hash name old
    base=${logical%.*}
    ext=${logical##*.}
    hash=$(sha256sum "$file" | cut -c1-8)
    name=$base.$hash.$ext
    for old in "$OUT_DIR/$base".????????."$ext" "$OUT_DIR/$base".????????."$ext".gz; do
        [ -e "$old" ] || continue
        case "$old" in "$OUT_DIR/$name"|"$OUT_DIR/$name.gz") ;; *) rm -f "$old" ;; esac
    done
    if ! cmp -s "$file" "$OUT_DIR/$name" 2>/dev/null; then
        cp "$file" "$OUT_DIR/$name.tmp" && mv "$OUT_DIR/$name.tmp" "$OUT_DIR/$name"
    fi
    # Precompressed twin for nginx's gzip_static; -n keeps it byte-identical per input.
    if command -v gzip >/dev/null && [ ! -e "$OUT_DIR/$name.gz" ]; then
        gzip -9 -n -c "$OUT_DIR/$name" > "$OUT_DIR/$name.gz.tmp"
        mv "$OUT_DIR/$name.gz.tmp" "$OUT_DIR/$name.gz"
    fi
    MANIFEST+=("$(printf '  "%s": "%s/%s"' "$logical" "$URL_PREFIX" "$name")")
}

TMP_DIR=""
cleanup() { [ -z "$TMP_DIR" ] || rm -rf "$TMP_DIR"; }
trap cleanup EXIT

main() {
    local tmp
    install_modules
    mkdir -p "$OUT_DIR"
    TMP_DIR=$(mktemp -d)
    tmp=$TMP_DIR

    strip_map "$MODULES/htmx.org/dist/htmx.min.js"       > "$tmp/htmx.js"
    strip_map "$MODULES/apexcharts/dist/apexcharts.min.js" > "$tmp/apexcharts.js"
    strip_map "$MODULES/lucide/dist/umd/lucide.min.js"   > "$tmp/lucide.js"
    # ApexCharts injects its stylesheet as an inline <style> unless an element with
    # id="apexcharts-css" exists; the layout gives our stylesheet's <link> that id and
    # we ship ApexCharts' rules first inside it, so a strict style-src CSP holds.
    # One stylesheet and one script of our own: the look (app.*) and the inventory
    # pages' additions (pages.*), bundled so a page costs one request of each.
    { cat "$MODULES/apexcharts/dist/apexcharts.css"; echo; cat "$SRC_DIR/static/css/app.css"; echo;
      cat "$SRC_DIR/static/css/pages.css"; } > "$tmp/app.css"
    { cat "$SRC_DIR/static/js/app.js"; echo; cat "$SRC_DIR/static/js/pages.js"; } > "$tmp/app.js"

    publish app.css        "$tmp/app.css"
    publish app.js         "$tmp/app.js"
    publish htmx.js        "$tmp/htmx.js"
    publish apexcharts.js  "$tmp/apexcharts.js"
    publish lucide.js      "$tmp/lucide.js"

    {
        echo "{"
        local i n=${#MANIFEST[@]}
        for ((i = 0; i < n; i++)); do
            if ((i < n - 1)); then echo "${MANIFEST[$i]},"; else echo "${MANIFEST[$i]}"; fi
        done
        echo "}"
    } > "$tmp/manifest.json"
    if ! cmp -s "$tmp/manifest.json" "$OUT_DIR/manifest.json"; then
        cp "$tmp/manifest.json" "$OUT_DIR/manifest.json.tmp"
        mv "$OUT_DIR/manifest.json.tmp" "$OUT_DIR/manifest.json"
    fi
    # The CMake rule depends on the manifest's time: touch it even when unchanged.
    touch "$OUT_DIR/manifest.json"
}

main
