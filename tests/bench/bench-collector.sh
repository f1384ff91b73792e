#!/usr/bin/env bash
# Collector benchmark: one full poll (`vcompanion-collector --once`) of a simulated
# vCenter of about 1,000, 5,000 and 10,000 VMs, and of three simulators polled in
# parallel: client CPU seconds (user + sys), wall time and peak RSS from
# /usr/bin/time. Against two yardsticks on the same simulator:
#   - pyvmomi: a PropertyCollector script fetching the same properties
#     (bench-collector.py pyvmomi); target: collector CPU at least 20x lower;
#   - replay: the requests of a poll (service versions, login, each type's view and
#     RetrievePropertiesEx, custom fields, the tags over REST, the VM chunks, alarms,
#     logout) replayed with one curl process (bench-collector.py replay), i.e. the
#     time the simulator needs to answer them; target: collector wall time within
#     1.2x of it. Also the same run less all but the types' and the VM chunks'
#     RetrievePropertiesEx requests ("RPE only": the stricter yardstick the bench
#     used until 2026-12-05). For three simulators the three replays run at once
#     (each simulator then has the share of the two cores it has while the
#     collector polls all three): the slowest of them.
# Each figure is the median of BENCH_RUNS (5) runs, the collector, the replay and
# pyvmomi taking turns; the last lines give the CPU per further 1,000 VMs (between
# the smallest and the largest size), what the 20x target is about: from the medians,
# and from the least CPU each client used in its runs.
# Usage: bench-collector.sh BUILD_DIR. BENCH_SIZES ("1000 5000 10000") picks sizes;
# BENCH_PYVMOMI=0 skips the (slow) pyvmomi runs; BENCH_INCREMENTAL=1 polls with the
# default settings (incremental, performance history) instead of a plain full
# retrieval. BENCH_PARSE=1 also saves the simulator's answers and times the parser
# and the record builders on them alone (bench-parse: no network, no simulator,
# best of 5 rounds). BENCH_SEAL=1 times sealing and opening each size's VM text as
# it is and packed (bench-seal). Figures: docs/performance.md.
set -euo pipefail
build=$(cd "${1:?usage: bench-collector.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
export VC_BUILD="$build" VC_VCSIM="$build/tests/vcsim/vcsim"
: "${RIG_VCSIM_TIMEOUT:=300}"
export RIG_VCSIM_TIMEOUT
. "$here/../rig/lib.sh"
rig_init
PY=/usr/bin/python3
HELPER=$here/bench-collector.py
# The collector runs as the systemd unit runs it: with its allocator tunables in its
# environment, so it does not start twice to set them (collector/main.c); nothing
# else (pyvmomi, curl, the simulators) gets them.
TUNABLES=$(sed -n 's/^Environment=GLIBC_TUNABLES=//p' \
	"$here/../../ansible/packaging/systemd/vcompanion-collector.service")
[ -n "$TUNABLES" ] || { echo "no GLIBC_TUNABLES in the collector's systemd unit" >&2; exit 1; }
COLLECTOR=(env "GLIBC_TUNABLES=$TUNABLES" "$build/collector/vcompanion-collector")

RUNS=${BENCH_RUNS:-5}

# median: the median of the numbers on stdin, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# minimum: the smallest of the numbers on stdin.
minimum() { sort -g | head -n 1; }

# over A B: A / B to two decimals.
over() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# medians FILE...: per column (three at most), the median over the files' lines ("cpu
# wall rss", or the replays' "all rpe").
medians() {
	local c cols=()
	for c in 1 2 3; do cols+=("$(cat "$@" | awk -v c="$c" '{ print $c }' | median)"); done
	echo "${cols[*]}"
}

# timed OUTFILE CMD...: runs CMD; OUTFILE gets "cpu_s wall_s maxrss_mb". CPU and wall
# to the millisecond from bash's `time` (GNU time rounds them to 10 ms, a tenth of a
# 1,000-VM poll), the peak RSS from GNU time (its own CPU, about a millisecond, is
# counted with the command's and cancels out between sizes).
timed() {
	local out=$1 rc=0
	shift
	{
		TIMEFORMAT='%3U %3S %3R'
		time /usr/bin/time -f '%M' -o "$out.rss" "$@" >"$out.log" 2>&1 || rc=$?
	} 2>"$out.raw"
	[ "$rc" = 0 ] || { cat "$out.log" >&2; return 1; }
	awk -v rss="$(tail -n 1 "$out.rss")" '{ printf "%.3f %.3f %.1f\n", $1 + $2, $3, rss / 1024 }' \
		"$out.raw" >"$out"
}

# flags N: simulator flags for about N VMs (datacenters x (clusters + standalone) x vms).
flags() {
	case $1 in
	1000) echo "-datacenters=1 -clusters=4 -hosts=4 -standalone=1 -vms=200" ;;
	5000) echo "-datacenters=1 -clusters=9 -hosts=4 -standalone=1 -vms=500" ;;
	10000) echo "-datacenters=2 -clusters=4 -hosts=4 -standalone=1 -vms=1000" ;;
	*) echo "-datacenters=1 -clusters=4 -hosts=4 -standalone=1 -vms=$(($1 / 5))" ;;
	esac
}

# bench_settings CONFIG: a long timeout, and the poll the yardsticks make: a plain
# full retrieval (RetrievePropertiesEx pages, what replay sends) without the
# performance history. BENCH_INCREMENTAL=1 keeps the defaults instead (the first
# poll then loads everything through WaitForUpdatesEx and QueryPerf follows).
bench_settings() {
	local extra=', "incremental": false, "perf": false'
	[ "${BENCH_INCREMENTAL:-0}" = 1 ] && extra=
	sed -i "s/\"timeout\": 30/\"timeout\": 600$extra/" "$1"
}

sim_args() { # sim_args NAME: URL USER PASSFILE CAFILE
	local v
	v=$(rig_vcsim_var "$1")
	local url=${v}_URL user=${v}_USER pf=${v}_PASS_FILE cert=${v}_CERT
	echo "${!url} ${!user} ${!pf} ${!cert}"
}

rig_redis_start
rig_keygen
printf '%-14s %8s | %9s %8s %8s | %9s %8s | %8s %7s | %8s %7s\n' size VMs "coll CPU" wall "RSS MB" \
	"pyvm CPU" ratio replay "wall/rp" "RPE only" "wall/rp"

declare -A CPU PCPU MCPU MPCPU VMS_OF

bench_one() { # bench_one N
	local n=$1 name="s$1" vms r rpe cpu wall rss pcpu ratio i cruns=() pruns=()
	# shellcheck disable=SC2046
	rig_vcsim_start "$name" $(flags "$n")
	# shellcheck disable=SC2034  # read by rig_config
	RIG_VCSIMS=("$name")
	rig_config "$RIG_DIR/$name.json"
	bench_settings "$RIG_CONFIG"
	vms=$(eval echo "\$$(rig_vcsim_var "$name")_VMS")
	# shellcheck disable=SC2046
	r=$("$PY" "$HELPER" replay $(sim_args "$name") "$RIG_DIR")       # warm-up of the simulator
	rm -f "$RIG_DIR/r-$n"
	for ((i = 1; i <= RUNS; i++)); do
		timed "$RIG_DIR/c-$n.$i" "${COLLECTOR[@]}" -c "$RIG_CONFIG" --once
		cruns+=("$RIG_DIR/c-$n.$i")
		# shellcheck disable=SC2046
		"$PY" "$HELPER" replay $(sim_args "$name") "$RIG_DIR" >>"$RIG_DIR/r-$n"
		if [ "${BENCH_PYVMOMI:-1}" = 1 ]; then
			# shellcheck disable=SC2046
			timed "$RIG_DIR/p-$n.$i" "$PY" "$HELPER" pyvmomi $(sim_args "$name")
			pruns+=("$RIG_DIR/p-$n.$i")
		fi
	done
	read -r cpu wall rss <<<"$(medians "${cruns[@]}")"
	read -r r rpe _ <<<"$(medians "$RIG_DIR/r-$n")"
	pcpu=- ratio=-
	if [ "${BENCH_PYVMOMI:-1}" = 1 ]; then
		read -r pcpu _ _ <<<"$(medians "${pruns[@]}")"
		ratio=$(awk -v a="$pcpu" -v b="$cpu" 'BEGIN { printf "%.0fx", (b > 0 ? a / b : 0) }')
	fi
	CPU[$n]=$cpu PCPU[$n]=$pcpu VMS_OF[$n]=$vms
	MCPU[$n]=$(cat "${cruns[@]}" | awk '{ print $1 }' | minimum)
	[ "${BENCH_PYVMOMI:-1}" = 1 ] && MPCPU[$n]=$(cat "${pruns[@]}" | awk '{ print $1 }' | minimum)
	if [ "${BENCH_PARSE:-0}" = 1 ]; then
		rm -f "$RIG_DIR"/answer-*.xml
		# shellcheck disable=SC2046
		BENCH_SAVE=1 "$PY" "$HELPER" replay $(sim_args "$name") "$RIG_DIR" >/dev/null
		echo "  parse + build alone ($n): $("$build/tests/bench-parse" 5 "$RIG_DIR"/answer-*.xml)"
		rm -f "$RIG_DIR"/answer-*.xml
	fi
	if [ "${BENCH_SEAL:-0}" = 1 ]; then
		"$build/fcgi/vcompanion" -c "$RIG_CONFIG" dump --vcenter "$name" --type vm | jq -c . \
			>"$RIG_DIR/vm-$n.json"
		echo "  sealing the VM text: $("$build/tests/bench-seal" 5 "$RIG_DIR/vm-$n.json")"
		rm -f "$RIG_DIR/vm-$n.json"
	fi
	printf '%-14s %8s | %9s %8s %8s | %9s %8s | %8s %7s | %8s %7s\n' "$n" "$vms" "$cpu" "$wall" \
		"$rss" "$pcpu" "$ratio" "$r" "$(over "$wall" "$r")" "$rpe" "$(over "$wall" "$rpe")"
	rig_stop_pid "$(eval echo "\$$(rig_vcsim_var "$name")_PID")"
}

# sims_cpu PID...: the simulators' CPU seconds so far (user + system, every thread).
sims_cpu() {
	local pid ticks=0
	for pid in "$@"; do ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done
	awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# replay_together NAME...: the simulators' replays at once, their timed runs started
# together (as the collector polls them); prints the slowest one's seconds, all
# requests and RPE only (each the slowest of the three). SIM_PIDS
# set: appends the simulators' CPU seconds from the start to the end of the timed
# runs to $RIG_DIR/s-replay.
replay_together() {
	local nm pids=() i slow=0 slowrpe=0 r rpe a
	rm -f "$RIG_DIR"/go "$RIG_DIR"/go.ready.*
	for nm in "$@"; do
		mkdir -p "$RIG_DIR/$nm"
		# shellcheck disable=SC2046
		BENCH_GO="$RIG_DIR/go" "$PY" "$HELPER" replay $(sim_args "$nm") "$RIG_DIR/$nm" \
			>"$RIG_DIR/rp-$nm" &
		pids+=("$!")
	done
	for ((i = 0; i < 600; i++)); do
		[ "$(find "$RIG_DIR" -maxdepth 1 -name 'go.ready.*' | wc -l)" -ge $# ] && break
		sleep 0.05
	done
	a=$(sims_cpu "${SIM_PIDS[@]}")
	touch "$RIG_DIR/go"
	wait "${pids[@]}"
	awk -v a="$a" -v b="$(sims_cpu "${SIM_PIDS[@]}")" 'BEGIN { print b - a }' >>"$RIG_DIR/s-replay"
	for nm in "$@"; do
		read -r r rpe <"$RIG_DIR/rp-$nm"
		slow=$(awk -v a="$slow" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
		slowrpe=$(awk -v a="$slowrpe" -v b="$rpe" 'BEGIN { print (b > a ? b : a) }')
	done
	echo "$slow $slowrpe"
}

# bench_parallel N: three simulators of N VMs, one --once over all. Below the row, what
# the cores allow: the simulators' CPU during a poll plus the collector's, over the
# cores, is the shortest wall any client could reach while sharing them; the same for
# the replays (the simulators' CPU while they ran). The simulators are CPU-bound, so
# the collector's own CPU lengthens their answers; the replays' curl hardly does.
bench_parallel() {
	local n=$1 names=(p1 p2 p3) nm cpu wall rss slow rpe i a cruns=() cores
	SIM_PIDS=()
	for nm in "${names[@]}"; do
		# shellcheck disable=SC2046
		rig_vcsim_spawn "$nm" $(flags "$n")
	done
	for nm in "${names[@]}"; do rig_vcsim_wait "$nm"; done
	# shellcheck disable=SC2034  # read by rig_config
	RIG_VCSIMS=("${names[@]}")
	rig_config "$RIG_DIR/par.json"
	bench_settings "$RIG_CONFIG"
	for nm in "${names[@]}"; do
		# shellcheck disable=SC2046
		"$PY" "$HELPER" replay $(sim_args "$nm") "$RIG_DIR" >/dev/null
	done
	for nm in "${names[@]}"; do SIM_PIDS+=("$(eval echo "\$$(rig_vcsim_var "$nm")_PID")"); done
	rm -f "$RIG_DIR/r-par" "$RIG_DIR/s-poll" "$RIG_DIR/s-replay"
	for ((i = 1; i <= RUNS; i++)); do
		a=$(sims_cpu "${SIM_PIDS[@]}")
		timed "$RIG_DIR/c-par.$i" "${COLLECTOR[@]}" -c "$RIG_CONFIG" --once
		awk -v a="$a" -v b="$(sims_cpu "${SIM_PIDS[@]}")" 'BEGIN { print b - a }' >>"$RIG_DIR/s-poll"
		cruns+=("$RIG_DIR/c-par.$i")
		replay_together "${names[@]}" >>"$RIG_DIR/r-par"
	done
	read -r cpu wall rss <<<"$(medians "${cruns[@]}")"
	read -r slow rpe _ <<<"$(medians "$RIG_DIR/r-par")"
	printf '%-14s %8s | %9s %8s %8s | %9s %8s | %8s %7s | %8s %7s\n' "3x$n parallel" $((3 * n)) \
		"$cpu" "$wall" "$rss" - - "$slow" "$(over "$wall" "$slow")" "$rpe" "$(over "$wall" "$rpe")"
	cores=$(nproc)
	awk -v s="$(median <"$RIG_DIR/s-poll")" -v c="$cpu" -v w="$wall" -v n="$cores" \
		-v sr="$(median <"$RIG_DIR/s-replay")" -v r="$slow" 'BEGIN {
		f = (s + c) / n; fr = sr / n
		printf "  on %d cores: simulators %.2f s + collector %.2f s of CPU per poll: no wall below %.2f s " \
			"(wall %.2f s, %.0f %% busy);\n", n, s, c, f, w, (w > 0 ? 100 * f / w : 0)
		printf "  simulators %.2f s of CPU per replay: %.2f s (replay %.2f s, %.0f %% busy); " \
			"the two floors alone: %.2f\n", sr, fr, r, (r > 0 ? 100 * fr / r : 0), (fr > 0 ? f / fr : 0) }'
}

for n in ${BENCH_SIZES:-1000 5000 10000}; do
	bench_one "$n"
done
bench_parallel "${BENCH_PARALLEL_SIZE:-1000}"
read -r -a sizes <<<"${BENCH_SIZES:-1000 5000 10000}"
lo=${sizes[0]} hi=${sizes[${#sizes[@]} - 1]}
# slope LO HI CPU_LO CPU_HI PY_LO PY_HI LABEL: the CPU per further 1,000 VMs of both.
slope() {
	awk -v v0="${VMS_OF[$1]}" -v v1="${VMS_OF[$2]}" -v c0="$3" -v c1="$4" -v p0="$5" -v p1="$6" \
		-v what="$7" 'BEGIN {
		c = (c1 - c0) / (v1 - v0) * 1000; p = (p1 - p0) / (v1 - v0) * 1000
		printf "per further 1,000 VMs (%d to %d, %s): collector %.4f s CPU, pyvmomi %.3f s: %.1fx\n",
			v0, v1, what, c, p, (c > 0 ? p / c : 0) }'
}
if [ "${BENCH_PYVMOMI:-1}" = 1 ] && [ "$lo" != "$hi" ]; then
	slope "$lo" "$hi" "${CPU[$lo]}" "${CPU[$hi]}" "${PCPU[$lo]}" "${PCPU[$hi]}" medians
	# The host's other guests only ever add CPU time to a run (a slower memory, a
	# colder cache): the least of the runs is the closest to each client's own cost.
	slope "$lo" "$hi" "${MCPU[$lo]}" "${MCPU[$hi]}" "${MPCPU[$lo]}" "${MPCPU[$hi]}" "least of the runs"
fi
echo "(medians of $RUNS runs; CPU and wall in seconds; replay: the simulator answering the same"
echo " requests as a poll, one after the other, to one curl process; RPE only: that run less all"
echo " but the types' and the VM chunks' RetrievePropertiesEx (the yardstick until 2026-12-05);"
echo " wall/rp: collector wall over either; the parallel row: the three simulators' replays run at"
echo " once, the slowest)"
