#!/usr/bin/env bash
# `make bench`: runs every tests/bench/bench-*.sh in turn against one build tree and
# reports which failed. Usage: tests/bench/run.sh BUILD_DIR
set -uo pipefail
build=$(cd "${1:?usage: run.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
VC_TOP=$(cd "$here/../.." && pwd)
export VC_BUILD="$build" VC_TOP
export VC_RIG="$VC_TOP/tests/rig" VC_VCSIM="$build/tests/vcsim/vcsim"
failed=()
for b in "$here"/bench-*.sh; do
	echo "=== $(basename "$b")"
	if ! bash "$b" "$build"; then
		failed+=("$(basename "$b")")
	fi
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "bench: failed: ${failed[*]}" >&2
	exit 1
fi
