#!/usr/bin/env bash
# Incremental cycles against a full retrieval: client CPU and wall time on a
# simulated vCenter of about 10,000 VMs and one of 1,000. Changed cycles: 1 % of the
# VMs renamed or powered through the simulator at 1,000 VMs only (it recomputes every
# filter over its whole inventory for each modify update: at 10,000 VMs a handful of
# changes take it many minutes), and 10 and 100 changes injected into the model as
# UpdateSets at both sizes. Usage: bench-incr.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: bench-incr.sh BUILD_DIR}" && pwd)
export VC_VCSIM="$build/tests/vcsim/vcsim" VC_BUILD="$build"
. "$(dirname "$0")/../rig/lib.sh"
rig_init
run() { # run NAME VMS_PER_POOL SIMULATOR_CHANGES (empty: 1 % of the VMs)
	local v
	rig_vcsim_start "$1" -datacenters=2 -clusters=4 -hosts=4 -standalone=1 -vms="$2"
	v=$(rig_vcsim_var "$1")
	eval "echo \"== \$${v}_VMS VMs (simulator): client CPU and wall time\""
	BENCH_SIM_CHANGES=${3:-} "$build/tests/bench-incr" "${v#RIG_VCSIM_}"
}
run big "${BENCH_VMS_PER_POOL:-1000}" 0
run small 100 ""
