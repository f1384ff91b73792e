#!/usr/bin/env bash
# Benchmark of `vcompanion report --format xlsx` on a large estate: three
# simulators of 10,000 VMs each (30,000 VMs), one collector pass, then the
# inventory workbook, timed with /usr/bin/time -v (wall time and peak RSS).
# Targets (docs/performance.md, "Reports"): under 5 s and under 100 MB.
#
#   VC_BUILD=build/release VC_VCSIM=build/release/tests/vcsim/vcsim tests/bench/bench-report.sh
#
# BENCH_VCENTERS (3) simulators of BENCH_VMS (1000) VMs per compute resource:
# -datacenters=2 -clusters=4 -hosts=4 -standalone=1 gives 10 compute resources,
# so 10,000 VMs each. BENCH_RUNS (3) timed runs, each printed with the load average.
# BENCH_VARIANTS ("- VC_REPORT_LANES=1 VC_REPORT_LANES=1,VC_REPORT_ZIP_LEVEL=6"):
# each run times the workbook once per variant (environment assignments joined by
# commas, "-" for none), alternating on the same data: the CLI's defaults (two
# lanes, deflate level 1), one thread, and one thread at zlib's default level (the
# behaviour before either).
set -euo pipefail
: "${VC_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${VC_RIG:=$VC_TOP/tests/rig}"
: "${VC_BUILD:?set VC_BUILD to a build tree}"
: "${VC_VCSIM:=$VC_BUILD/tests/vcsim/vcsim}"
export VC_TOP VC_RIG VC_VCSIM
: "${RIG_VCSIM_TIMEOUT:=300}"
export RIG_VCSIM_TIMEOUT
VC=${VC_CLI:-$VC_BUILD/fcgi/vcompanion}
COLLECTOR=${VC_COLLECTOR:-$VC_BUILD/collector/vcompanion-collector}
N=${BENCH_VCENTERS:-3}
VMS=${BENCH_VMS:-1000}
RUNS=${BENCH_RUNS:-3}
FORMAT=${BENCH_FORMAT:-xlsx}
VARIANTS=${BENCH_VARIANTS:-- VC_REPORT_LANES=1 VC_REPORT_LANES=1,VC_REPORT_ZIP_LEVEL=6}
# shellcheck source=../rig/lib.sh
. "$VC_RIG/lib.sh"

rig_init
rig_redis_start
start=$(date +%s)
for i in $(seq 1 "$N"); do
	rig_vcsim_spawn "big$i" -datacenters=2 -clusters=4 -hosts=4 -standalone=1 -vms="$VMS"
done
for i in $(seq 1 "$N"); do
	rig_vcsim_wait "big$i"
done
echo "simulators ready in $(($(date +%s) - start)) s"
rig_config "$RIG_DIR/vcompanion.json"
# A 10,000-VM poll takes longer than the rig's 30 s default.
sed -i 's/"timeout": 30/"timeout": 900/' "$RIG_CONFIG"
start=$(date +%s)
# One vCenter at a time, retried: three 10,000-VM answers at once can exceed the
# client's per-request timeout on a busy 2-core machine.
for i in $(seq 1 "$N"); do
	for try in 1 2 3; do
		"$COLLECTOR" -c "$RIG_CONFIG" --once --vcenter "big$i" >>"$RIG_DIR/log/collector.out" 2>&1 && break
		[ "$try" -lt 3 ] || { tail -5 "$RIG_DIR/log/collector.out" >&2; rig_die "collector failed on big$i"; }
	done
done
echo "collector pass in $(($(date +%s) - start)) s"
vms=$("$VC" -c "$RIG_CONFIG" dump --type status | python3 -c 'import json,sys; print(sum(s["counts"]["vm"] for s in json.load(sys.stdin)))')
echo "VMs in Redis: $vms"
# The report reads only Redis: the simulators stop before the timed runs so their
# background work does not share the two cores with what is measured.
for i in $(seq 1 "$N"); do
	pidvar="$(rig_vcsim_var "big$i")_PID"
	rig_stop_pid "${!pidvar}"
	rig_forget "${!pidvar}"
done
sleep "${BENCH_SETTLE:-5}"

for r in $(seq 1 "$RUNS"); do
	for variant in $VARIANTS; do
	t="$RIG_DIR/time.$r.${variant//[^A-Z0-9=]/_}"
	assigns=${variant//,/ }
	[ "$variant" = - ] && assigns= variant=defaults
	# shellcheck disable=SC2086 # the assignments split on purpose
	env $assigns /usr/bin/time -v "$VC" -c "$RIG_CONFIG" report --format "$FORMAT" \
		-o "$RIG_DIR/bench.$FORMAT" 2>"$t" || { cat "$t" >&2; rig_die "report failed"; }
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$t")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$t")
	cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u + s}' "$t")
	rows=$(grep -o '[0-9]* rows' "$t" || true)
	echo "run $r, ${variant}: load $(cut -d" " -f1 /proc/loadavg), wall $wall, CPU ${cpu} s, peak RSS $((rss / 1024)) MiB, $rows, $(stat -c %s "$RIG_DIR/bench.$FORMAT") bytes"
	done
done
