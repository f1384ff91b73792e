#!/usr/bin/env bash
# Benchmark of the inventory pages through the real stack: three simulated vCenters
# of BENCH_VMS VMs each (default 10,000: 2 datacenters x (4 clusters + 1 standalone
# host) x 1,000), the collector once, vcompanion-web behind nginx over TLS, and wrk
# with a logged-in session cookie. Prints requests per second and latency
# percentiles of the VM table (50 rows: sorted; filtered + sorted), the search API
# (exact, IP prefix, typo) and the suggestions, as a Markdown table; then /healthz (the
# trivial-FastCGI ceiling: one Redis PING) with the same wrk settings in the same run
# and each VM table page's share of it (issue #5 asks for at least 1/3); then the VM
# table pages against the same pages of a FastAPI + Jinja2 reference (ref_fastapi.py)
# on the same records.
#
#   VC_BUILD=build/release VC_VCSIM=build/release/tests/vcsim/vcsim \
#       bash tests/bench/bench-pages.sh
#
# Environment: BENCH_VMS_PER_CR (1000), BENCH_DURATION (15s), BENCH_CONNS (4),
# BENCH_THREADS (2), RIG_WEB_WORKERS (4). Build without sanitizers for real figures.
set -euo pipefail
: "${VC_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${VC_RIG:=$VC_TOP/tests/rig}"
: "${VC_BUILD:?VC_BUILD: the build tree (Release)}"
: "${VC_VCSIM:=$VC_BUILD/tests/vcsim/vcsim}"
export VC_TOP VC_RIG VC_BUILD VC_VCSIM
. "$VC_RIG/lib.sh"
. "$VC_TOP/tests/bench/web.sh"
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }

PER_CR=${BENCH_VMS_PER_CR:-1000}
DUR=${BENCH_DURATION:-15s}
CONNS=${BENCH_CONNS:-4}
THREADS=${BENCH_THREADS:-2}
USER_OK=bench@vsphere.local PASS_OK=Bench-Pass-1
export RIG_WEB_WORKERS=${RIG_WEB_WORKERS:-4}
export RIG_VCSIM_TIMEOUT=${RIG_VCSIM_TIMEOUT:-400}

rig_init
rig_redis_start
for vc in vc1 vc2 vc3; do
	rig_vcsim_spawn "$vc" -datacenters=2 -clusters=4 -hosts=4 -standalone=1 -vms="$PER_CR" \
		-user=$USER_OK -password=$PASS_OK
done
t0=$(date +%s)
for vc in vc1 vc2 vc3; do rig_vcsim_wait "$vc"; done
echo "bench: simulators ready in $(( $(date +%s) - t0 )) s" \
	"($RIG_VCSIM_VC1_VMS + $RIG_VCSIM_VC2_VMS + $RIG_VCSIM_VC3_VMS VMs)" >&2
rig_config "$RIG_DIR/vcompanion.json"
# 10,000 VMs take longer than the rig's 30 s poll timeout on a busy 2-core machine.
jq '.collector.timeout = 600' "$RIG_CONFIG" >"$RIG_CONFIG.new" && mv "$RIG_CONFIG.new" "$RIG_CONFIG"
t0=$(date +%s)
if ! "$VC_BUILD/collector/vcompanion-collector" -c "$RIG_CONFIG" --once >"$RIG_DIR/log/collector.out" 2>&1; then
	tail -5 "$RIG_DIR/log/collector.out" >&2
	echo "bench: the collector failed" >&2
	exit 1
fi
echo "bench: collector --once took $(( $(date +%s) - t0 )) s" >&2
rig_web_start
rig_nginx_start
U=$RIG_NGINX_URL
# Log in to the three vCenters and keep the session cookie for wrk.
COOKIE=$(bench_login "$USER_OK" "$PASS_OK" vc1 vc2 vc3)
TOTAL=$(curl -sS --cacert "$RIG_NGINX_CERT" -H "$COOKIE" "$U/api/v1/vms?per_page=25" | jq .total)
echo "bench: /api/v1/vms total = $TOTAL" >&2

# Targets: name | path.
VM=DC1_C3_RP0_VM777
IP=$(curl -sS --cacert "$RIG_NGINX_CERT" -H "$COOKIE" "$U/api/v1/search?q=$VM" | jq -r '[.items[] | select(.ip != null)][0].ip // "10.1.2.3"')
TARGETS=(
	"VM table, sorted by name|/vms?sort=name&order=asc"
	"VM table, filtered (q, power) + sorted by memory desc|/vms?q=rp0&power=poweredOn&sort=memory&order=desc"
	"VM table, page 120 of 25-row pages, sorted by host|/vms?sort=host&per_page=25&page=120"
	"Search API, exact name|/api/v1/search?q=$VM"
	"Search API, IP prefix|/api/v1/search?q=${IP%.*}."
	"Search API, typo|/api/v1/search?q=DC1_C3_RP0_MV777"
	"Suggestions, partial word|/search/suggest?q=c3_rp0_vm77"
)

# Warm every worker's caches: indexes and sort orders are built per worker on first
# use (a few hundred ms for 30,000 VMs), and nginx's keepalive pool may leave a worker
# idle through a short warm-up: web.sh repeats until every worker served each target.
for t in "${TARGETS[@]}"; do warm_workers "${t#*|}" >&2; done

echo
declare -A RPS
echo "| page | req/s | p50 | p90 | p99 |"
echo "|---|---:|---:|---:|---:|"
for t in "${TARGETS[@]}"; do
	name=${t%%|*} path=${t#*|}
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency -H "$COOKIE" "$U$path")
	rps=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
	p90=$(echo "$out" | awk '$1 == "90%" {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
	echo "| $name${non2xx:+ (non-2xx: $non2xx)} | $rps | $p50 | $p90 | $p99 |"
	RPS[$name]=$rps
done
# The filtered page once more with a new text filter on every request (vary-q.lua):
# what a first-time query costs, which the per-worker query memo cannot answer.
COLD="VM table, filtered, a new q every request (no memo)"
out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency -H "$COOKIE" -s "$VC_TOP/tests/bench/vary-q.lua" "$U")
RPS[$COLD]=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
echo "| $COLD | ${RPS[$COLD]} | $(echo "$out" | awk '$1 == "50%" {print $2}') | $(echo "$out" | awk '$1 == "90%" {print $2}') | $(echo "$out" | awk '$1 == "99%" {print $2}') |"
echo

# ---- the ceiling: /healthz with the same wrk settings, right after the pages, and
# the VM table pages' share of it.
wrk -t"$THREADS" -c"$CONNS" -d3s "$U/healthz" >/dev/null
out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency "$U/healthz")
H_RPS=$(echo "$out" | awk '/^Requests\/sec/ {print $2}')
echo "| page | req/s | /healthz req/s | share of /healthz |"
echo "|---|---:|---:|---:|"
for t in "${TARGETS[@]:0:3}" "$COLD|"; do
	name=${t%%|*}
	echo "| $name | ${RPS[$name]} | $H_RPS | $(awk -v p="${RPS[$name]}" -v h="$H_RPS" 'BEGIN { printf "%.0f%%", (h > 0 ? 100 * p / h : 0) }') |"
done
echo
echo "bench: $(nproc) CPUs, $RIG_WEB_WORKERS workers, wrk -t$THREADS -c$CONNS -d$DUR, $TOTAL VMs" >&2

# ---- the yardstick: the same VM table pages from FastAPI + Jinja2 (ref_fastapi.py)
# on the same records (dumped from Redis), as many uvicorn workers as web workers,
# plain HTTP on loopback (no nginx, no TLS: every advantage to the reference). Each
# uvicorn worker parses the 30,000 records at start: allow it minutes on a busy machine.
PY=/usr/bin/python3    # Debian's, where python3-fastapi lives
if [ "${BENCH_REF:-1}" = 1 ] && "$PY" -c 'import fastapi, uvicorn, jinja2' 2>/dev/null; then
	mkdir -p "$RIG_DIR/ref"
	for vc in vc1 vc2 vc3; do
		"$VC_BUILD/fcgi/vcompanion" -c "$RIG_CONFIG" dump --vcenter "$vc" --type vm >"$RIG_DIR/ref/$vc.json"
	done
	RPORT=$(rig_free_port)
	export VC_REF_DATA="$RIG_DIR/ref"
	rig_spawn ref-fastapi "$PY" -m uvicorn --app-dir "$VC_TOP/tests/bench" \
		ref_fastapi:app --workers "$RIG_WEB_WORKERS" --host 127.0.0.1 --port "$RPORT" --log-level warning
	rig_wait_for 600 "the FastAPI reference" curl -sf -o /dev/null "http://127.0.0.1:$RPORT/vms?per_page=1"
	RTOTAL=$(curl -sS "http://127.0.0.1:$RPORT/vms?per_page=1" | grep -o '<b class="total">[0-9]*' | grep -o '[0-9]*$')
	[ "$RTOTAL" = "$TOTAL" ] || echo "bench: the reference holds $RTOTAL VMs, the portal $TOTAL" >&2
	echo
	echo "| page | portal req/s | FastAPI + Jinja2 req/s | FastAPI p99 | ratio |"
	echo "|---|---:|---:|---:|---:|"
	for t in "${TARGETS[@]:0:3}"; do
		name=${t%%|*} path=${t#*|}
		wrk -t"$THREADS" -c"$CONNS" -d3s "http://127.0.0.1:$RPORT$path" >/dev/null
		ref=$(wrk -t"$THREADS" -c"$CONNS" -d"$DUR" --latency "http://127.0.0.1:$RPORT$path")
		ours=$(wrk -t"$THREADS" -c"$CONNS" -d"$DUR" -H "$COOKIE" "$U$path")
		r_rps=$(echo "$ref" | awk '/^Requests\/sec/ {print $2}')
		o_rps=$(echo "$ours" | awk '/^Requests\/sec/ {print $2}')
		r_p99=$(echo "$ref" | awk '$1 == "99%" {print $2}')
		echo "| $name | $o_rps | $r_rps | $r_p99 | $(awk -v o="$o_rps" -v r="$r_rps" 'BEGIN { printf "%.1fx", (r > 0 ? o / r : 0) }') |"
	done
else
	echo "bench: FastAPI reference skipped (BENCH_REF=0 or python3-fastapi missing: make deps)" >&2
fi
