#!/usr/bin/env bash
# Incremental cycles against a full retrieval: client CPU and wall time on a
# simulated vCenter of about 10,000 VMs (no-change cycles), and the cost of a cycle
# after 1 % of the VMs changed on one of 1,000 VMs (the simulator recomputes every
# filter over its whole inventory for each update, so larger change sets measure the
# simulator, not the client). Usage: bench-incr.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: bench-incr.sh BUILD_DIR}" && pwd)
export VC_VCSIM="$build/tests/vcsim/vcsim" VC_BUILD="$build"
. "$(dirname "$0")/../rig/lib.sh"
rig_init
run() { # run NAME VMS_PER_POOL [skip-changes]
	local v
	rig_vcsim_start "$1" -datacenters=2 -clusters=4 -hosts=4 -standalone=1 -vms="$2"
	v=$(rig_vcsim_var "$1")
	eval "echo \"== \$${v}_VMS VMs (simulator): client CPU and wall time\""
	BENCH_SKIP_CHANGES=${3:-} "$build/tests/bench-incr" "${v#RIG_VCSIM_}"
}
run big "${BENCH_VMS_PER_POOL:-1000}" skip
run small 100
