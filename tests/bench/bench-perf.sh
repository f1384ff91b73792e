#!/usr/bin/env bash
# Performance history benchmark (docs/performance.md "Performance history"):
#  1. per simulator size (BENCH_SIZES, default "1000 10000" VMs): the collector --once
#     three times, BENCH_GAP seconds apart (default 20); the perf cycle's client CPU
#     (the polling thread's getrusage, logged as perf.cycle cpu_ms), its wall time and
#     samples, and the Redis memory of the perf keys (MEMORY USAGE summed over
#     vc:{id}:perf*) after the third pass, per 1,000 VMs;
#  2. projection: bench-perf writes the full retention of every tier for
#     BENCH_PROJECT VMs (default 1000) and INFO memory's used_memory is read before
#     and after.
# Usage: bench-perf.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: bench-perf.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export VC_BUILD="$build" VC_VCSIM="$build/tests/vcsim/vcsim"
: "${RIG_VCSIM_TIMEOUT:=300}"
export RIG_VCSIM_TIMEOUT
. "$here/../rig/lib.sh"
rig_init
COLLECTOR=$build/collector/vcompanion-collector

flags() {
	case $1 in
	1000) echo "-datacenters=1 -clusters=4 -hosts=4 -standalone=1 -vms=200" ;;
	10000) echo "-datacenters=2 -clusters=4 -hosts=4 -standalone=1 -vms=1000" ;;
	*) echo "-datacenters=1 -clusters=4 -hosts=4 -standalone=1 -vms=$(($1 / 5))" ;;
	esac
}
used_memory() { rig_redis_cli INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }
# perf_bytes ID: "keys bytes" of vc:{ID}:perf* by MEMORY USAGE (one redis-cli
# reading the commands from stdin).
perf_bytes() {
	rig_redis_cli --scan --pattern "vc:{$1}:perf*" | sed 's/^/MEMORY USAGE /' | rig_redis_cli |
		awk '{ n++; s += $1 } END { printf "%d %d\n", n, s }'
}

rig_redis_start
rig_keygen
printf '%-7s %6s | %-34s | %-34s | %s\n' VMs "on" "pass 2: samples, wall ms, cpu ms" \
	"pass 3: samples, wall ms, cpu ms" "Redis: keys, bytes, per 1,000 VMs"
for n in ${BENCH_SIZES:-1000 10000}; do
	name="p$n"
	# shellcheck disable=SC2046
	rig_vcsim_start "$name" $(flags "$n")
	# shellcheck disable=SC2034  # read by rig_config
	RIG_VCSIMS=("$name")
	rig_config "$RIG_DIR/$name.json"
	sed -i 's/"timeout": 30/"timeout": 600/' "$RIG_CONFIG"
	log=$RIG_DIR/log/coll-$name.out
	for pass in 1 2 3; do
		[ "$pass" = 1 ] || sleep "${BENCH_GAP:-20}"
		"$COLLECTOR" -c "$RIG_CONFIG" --once >>"$log" 2>&1
	done
	vms=$(eval echo "\$$(rig_vcsim_var "$name")_VMS")
	on=$(grep 'perf.cycle' "$log" | tail -1 | sed 's/.*vms=\([0-9]*\).*/\1/')
	cyc() { grep 'perf.cycle' "$log" | sed -n "${1}p" |
		sed 's/.*samples=\([0-9]*\) ms=\([0-9]*\) cpu_ms=\([0-9]*\).*/\1, \2, \3/'; }
	read -r keys bytes < <(perf_bytes "$name")
	printf '%-7s %6s | %-34s | %-34s | %s, %s, %s\n' "$vms" "$on" "$(cyc 2)" "$(cyc 3)" "$keys" "$bytes" \
		"$(awk -v b="$bytes" -v n="$vms" 'BEGIN { printf "%.2f MB", b / n * 1000 / 1048576 }')"
	rig_stop_pid "$(eval echo "\$$(rig_vcsim_var "$name")_PID")"
done

m0=$(used_memory)
"$build/tests/bench-perf" "$RIG_CONFIG" "${BENCH_PROJECT:-1000}"
m1=$(used_memory)
echo "projection: full retention of every tier for ${BENCH_PROJECT:-1000} VMs:" \
	"used_memory +$(awk -v a="$m0" -v b="$m1" 'BEGIN { printf "%.1f MB", (b - a) / 1048576 }')"
