#!/usr/bin/env bash
# The web tier's ceiling and a real page, through nginx over TLS with wrk: requests
# per second and latency percentiles of /healthz (a trivial FastCGI answer: one Redis
# PING) and of the VM table (50 rows rendered from the inventory of one simulated
# vCenter with BENCH_WEB_VMS_PER_POOL×DCs×pools VMs), and the FastCGI workers' CPU
# time (user + system, from /proc) per request of each run: on a shared machine that
# figure is steadier than requests per second. Usage: bench-web.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: bench-web.sh BUILD_DIR}" && pwd)
export VC_VCSIM="$build/tests/vcsim/vcsim" VC_BUILD="$build"
. "$(dirname "$0")/../rig/lib.sh"
. "$(dirname "$0")/web.sh"
rig_init
duration=${BENCH_DURATION:-10s}
conns=${BENCH_CONNS:-16}
export RIG_WEB_WORKERS=${BENCH_WORKERS:-4}
rig_redis_start
rig_vcsim_start bench -datacenters=1 -clusters=2 -hosts=2 -vms="${BENCH_WEB_VMS_PER_POOL:-250}"
rig_keygen
rig_config "$RIG_DIR/vc.json"
rig_collector_once
rig_web_start
rig_nginx_start
COOKIE=$(bench_login "$RIG_VCSIM_BENCH_USER" "$RIG_VCSIM_BENCH_PASSWORD" bench)
page="/vms?per_page=50&sort=name&order=asc"
code=$(curl -sk -o /dev/null -w '%{http_code}' -H "$COOKIE" "$RIG_NGINX_URL$page")
[ "$code" = 200 ] || { echo "bench-web: $page answered $code" >&2; exit 1; }
echo "== web tier through nginx: $conns connections, $duration, ${RIG_WEB_WORKERS} FastCGI workers, $RIG_VCSIM_BENCH_VMS VMs"
# run URL [HEADER...]: one wrk run; its figures, then worker CPU per request.
run() {
	local url=$1 c0 c1 out
	shift
	c0=$(worker_ticks)
	out=$(wrk -t2 -c"$conns" -d"$duration" --latency "$@" "$url")
	c1=$(worker_ticks)
	echo "$out" | grep -E 'Requests/sec|^ +(50|90|99)%|Non-2xx'
	echo "$out" | awk -v c=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" '/requests in/ {
		printf "  worker CPU %.2f s for %d requests: %.3f ms/request\n", c / hz, $1, c / hz * 1000 / $1 }'
}
echo "-- /healthz (trivial FastCGI answer)"
run "$RIG_NGINX_URL/healthz"
echo "-- $page (50 rendered rows)"
run "$RIG_NGINX_URL$page" -H "$COOKIE"
