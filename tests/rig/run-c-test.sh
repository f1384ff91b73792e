#!/usr/bin/env bash
# ctest entry for a C integration test: run-c-test.sh SRC BINARY. The services come
# from SRC's first line, e.g.
#     /* rig: redis vcsim */
#     /* rig: redis vcsim:name=prod,-vms=50 vcsim:name=lab,-esx nginx */
# (tokens as for with.sh). A source without that line runs with no services.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: run-c-test.sh SRC BINARY" >&2; exit 2; }
src=$1 bin=$2
line=$(head -n1 "$src")
services=$(printf '%s\n' "$line" | sed -n 's|^[[:space:]]*/\*[[:space:]]*rig:[[:space:]]*\(.*[^[:space:]]\)[[:space:]]*\*/.*$|\1|p')
if [ -z "$services" ]; then
	exec "$bin"
fi
# shellcheck disable=SC2086 # one word per service, by design
exec "$(dirname "$0")/with.sh" $services -- "$bin"
