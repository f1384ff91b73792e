#!/usr/bin/env bash
# Search through the real stack, one or more web binaries against the same data:
# three simulated vCenters of BENCH_VMS_PER_CR x 10 VMs each (default 1,700:
# 51,000 VMs), the collector once, then for each binary of BENCH_WEB (default
# $VC_BUILD/fcgi/vcompanion-web) vcompanion-web behind the rig's nginx over TLS, a
# logged-in session, and wrk on the search API and the suggestions. Prints per query
# requests per second, latency percentiles and the web workers' CPU per request
# (utime + stime of the workers over the run / requests): CPU is what to compare on a
# shared machine, where wall times queue behind other processes.
#
#   VC_BUILD=build/release BENCH_WEB="old/vcompanion-web build/release/fcgi/vcompanion-web" \
#       bash tests/bench/bench-search.sh
#
# Environment: BENCH_VMS_PER_CR (1700), BENCH_DURATION (10s), BENCH_CONNS (4),
# BENCH_THREADS (2), RIG_WEB_WORKERS (4).
set -euo pipefail
: "${VC_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${VC_RIG:=$VC_TOP/tests/rig}"
: "${VC_BUILD:?VC_BUILD: the build tree (Release)}"
: "${VC_VCSIM:=$VC_BUILD/tests/vcsim/vcsim}"
export VC_TOP VC_RIG VC_BUILD VC_VCSIM
. "$VC_RIG/lib.sh"
. "$VC_TOP/tests/bench/web.sh"
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }

PER_CR=${BENCH_VMS_PER_CR:-1700}
DUR=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNS:-4}
THREADS=${BENCH_THREADS:-2}
WEBS=${BENCH_WEB:-$VC_BUILD/fcgi/vcompanion-web}
USER_OK=bench@vsphere.local PASS_OK=Bench-Pass-1
export RIG_WEB_WORKERS=${RIG_WEB_WORKERS:-4}
export RIG_VCSIM_TIMEOUT=${RIG_VCSIM_TIMEOUT:-600}

rig_init
rig_redis_start
for vc in vc1 vc2 vc3; do
	rig_vcsim_spawn "$vc" -datacenters=2 -clusters=4 -hosts=4 -standalone=1 -vms="$PER_CR" \
		-user=$USER_OK -password=$PASS_OK
done
for vc in vc1 vc2 vc3; do rig_vcsim_wait "$vc"; done
rig_config "$RIG_DIR/vcompanion.json"
jq '.collector.timeout = 900' "$RIG_CONFIG" >"$RIG_CONFIG.new" && mv "$RIG_CONFIG.new" "$RIG_CONFIG"
rig_collector_once || { tail -5 "$RIG_DIR/log/collector-once.err" >&2; echo "bench: the collector failed" >&2; exit 1; }

# The suggest endpoint's view of a query: hits shown, of how many matches in all
# (the fragment's "All N results" link, present when there are more than shown).
suggest_total() {
	local html shown all
	html=$(curl -sS --cacert "$RIG_NGINX_CERT" -H "$COOKIE" "$1")
	shown=$(echo "$html" | grep -o 'class="suggest-item" ' | wc -l)
	all=$(echo "$html" | grep -o 'All [0-9]* results' | awk '{print $2}')
	echo "$shown shown of ${all:-$shown}"
}

VM=DC1_C3_RP0_VM777
TPS=$(getconf CLK_TCK)
for web in $WEBS; do
	rig_web_start "$web"
	rig_nginx_start
	COOKIE=$(bench_login "$USER_OK" "$PASS_OK" vc1 vc2 vc3)
	U=$RIG_NGINX_URL
	IP=$(curl -sS --cacert "$RIG_NGINX_CERT" -H "$COOKIE" "$U/api/v1/search?q=$VM" | jq -r '[.items[] | select(.ip != null)][0].ip // "10.1.2.3"')
	TARGETS=(
		"Search API, exact name|/api/v1/search?q=$VM"
		"Search API, IP prefix|/api/v1/search?q=${IP%.*}."
		"Search API, typo|/api/v1/search?q=DC1_C3_RP0_MV777"
		"Suggestions, partial word|/search/suggest?q=c3_rp0_vm77"
		"Suggestions, one byte|/search/suggest?q=7"
	)
	for t in "${TARGETS[@]}"; do warm_workers "${t#*|}"; done
	echo
	echo "$web ($(curl -sS --cacert "$RIG_NGINX_CERT" -H "$COOKIE" "$U/api/v1/vms?per_page=25" | jq .total) VMs)"
	echo
	echo "| query | total | req/s | p50 | p90 | p99 | worker CPU per request |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for t in "${TARGETS[@]}"; do
		name=${t%%|*} path=${t#*|}
		case $path in
		/search/suggest*) total=$(suggest_total "$U$path") ;;
		*) total=$(curl -sS --cacert "$RIG_NGINX_CERT" -H "$COOKIE" "$U$path" | jq .total) ;;
		esac
		c0=$(worker_ticks)
		out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency -H "$COOKIE" "$U$path")
		c1=$(worker_ticks)
		reqs=$(echo "$out" | awk '/requests in/ {print $1}')
		rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
		p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
		p90=$(echo "$out" | awk '$1 == "90%" {print $2}')
		p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
		non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
		cpu=$(awk -v c="$((c1 - c0))" -v n="$reqs" -v hz="$TPS" 'BEGIN { printf "%.2f ms", (n > 0 ? c * 1000 / hz / n : 0) }')
		echo "| $name${non2xx:+ (non-2xx: $non2xx)} | $total | $rps | $p50 | $p90 | $p99 | $cpu |"
	done
	echo
	echo "bench: web workers' RSS: $(for p in $(pgrep -P "$RIG_WEB_PID"); do awk '/VmRSS/ {printf "%d MiB ", $2 / 1024}' /proc/$p/status; done)"
	rig_nginx_stop
	rig_stop_pid "$RIG_WEB_PID"
	rig_forget "$RIG_WEB_PID"
	[ "${RIG_WEB_LISTEN#unix:}" = "$RIG_WEB_LISTEN" ] || rm -f "${RIG_WEB_LISTEN#unix:}"
done
echo
echo "bench: $(nproc) CPUs, $RIG_WEB_WORKERS workers, wrk -t$THREADS -c$CONNS -d$DUR, load average $(cut -d' ' -f1-3 /proc/loadavg)"
