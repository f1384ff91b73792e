#!/usr/bin/env bash
# Performance history end to end (issue 6): two small simulators, the collector
# --once twice (QueryPerf after each poll), then: the perf keys exist, are sealed and
# open (vcompanion dump --type perf); a powered-on VM, a host and a datastore have
# samples, a powered-off VM none; the API answers them through nginx for a logged-in
# user, picks the tier of the range, 404s for an object of a vCenter outside the
# session and 400s for an unknown range; the detail pages carry the chart
# containers and range tabs; a value moved to another key fails to open.
set -euo pipefail
. "$VC_RIG/lib.sh"
rig_init

pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok   $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

USER_OK=perf@vsphere.local PASS_OK=Perf-Test-1
rig_redis_start
# 20 datastores: more chart lines than the trends code first allocates for
rig_vcsim_spawn east -datacenters=1 -clusters=1 -hosts=2 -vms=6 -datastores=20 -user=$USER_OK -password=$PASS_OK
rig_vcsim_spawn west -vms=2 -user=$USER_OK -password=$PASS_OK
rig_vcsim_wait east
rig_vcsim_wait west
rig_config "$RIG_DIR/vcompanion.json"
BIN=${VC_BUILD}
coll() { "$BIN/collector/vcompanion-collector" -c "$RIG_CONFIG" --once >>"$RIG_DIR/log/coll.out" 2>&1; }
dump() { "$BIN/fcgi/vcompanion" -c "$RIG_CONFIG" dump --vcenter "$1" --type "$2"; }

check "first collector pass" coll
sleep 2   # the second pass asks for the samples after the first pass's last ones
check "second collector pass" coll
check "perf cycle logged" grep -q 'perf.cycle.*vcenter=east' "$RIG_DIR/log/coll.out"

dump east vm >"$RIG_DIR/vms.json"
VM_ON=$(jq -r '[.[] | select(.power_state == "poweredOn")][0].moref' "$RIG_DIR/vms.json")
VM_OFF=$(jq -r '[.[] | select(.power_state == "poweredOff")][0].moref' "$RIG_DIR/vms.json")
HOST=$(dump east host | jq -r '.[0].moref')
DS=$(dump east datastore | jq -r '.[0].moref')
WEST_VM=$(dump west vm | jq -r '[.[] | select(.power_state == "poweredOn")][0].moref')
check "simulator has a VM on ($VM_ON) and one off ($VM_OFF)" test -n "$VM_ON" -a "$VM_OFF" != null

# ---- Redis: keys under the vCenter's hash tag, sealed, opened by the CLI
KEYS=$(rig_redis_cli --scan --pattern 'vc:{east}:perf*' | sort)
check "20 s tier key of the VM" grep -qxF "vc:{east}:perf:20s:$VM_ON" <<<"$KEYS"
check "index key" grep -qxF "vc:{east}:perf" <<<"$KEYS"
check "tier keys expire" test "$(rig_redis_cli TTL "vc:{east}:perf:20s:$VM_ON")" -gt 3600
sealed() { rig_redis_cli --no-raw GET "vc:{east}:perf:20s:$VM_ON" | grep -q '^"\\x01'; }
check "value is sealed (seal version byte, not the series magic)" sealed
dump_perf() { dump east perf >"$RIG_DIR/perf.json"; }
check "dump --type perf opens" dump_perf
series() { jq -r --arg m "$1" --arg t "$2" --arg k "$3" \
	'[.[] | select(.moref == $m) | .tiers[$t][$k] // [] | .[] | select(. != null)] | length' "$RIG_DIR/perf.json"; }
check "powered-on VM has CPU samples" test "$(series "$VM_ON" 20s cpu_pct)" -ge 2
check "powered-on VM has memory, disk, network" test "$(series "$VM_ON" 20s mem_pct)" -ge 2 -a \
	"$(series "$VM_ON" 20s disk_kbps)" -ge 2 -a "$(series "$VM_ON" 20s net_kbps)" -ge 2
check "host has CPU samples" test "$(series "$HOST" 20s cpu_mhz)" -ge 2
check "datastore has space samples" test "$(series "$DS" 20s used_gb)" -ge 1
check "powered-off VM has no series" test "$(jq --arg m "$VM_OFF" '[.[] | select(.moref == $m)] | length' "$RIG_DIR/perf.json")" = 0
check "no key for the powered-off VM" test "$(rig_redis_cli EXISTS "vc:{east}:perf:20s:$VM_OFF")" = 0
check "west has its own series" test "$(dump west perf | jq --arg m "$WEST_VM" '[.[] | select(.moref == $m)] | length')" = 1

# ---- the API through nginx
RIG_WEB_WORKERS=2 rig_web_start
rig_nginx_start
U=$RIG_NGINX_URL
H=$RIG_DIR/h; B=$RIG_DIR/b; JAR=$RIG_DIR/jar
. "$VC_RIG/http.sh"   # req, hdr, csrf_of, body_has, body_lacks
get() { req GET "$@"; }
j() { jq -r "$@" "$B"; }
enc() { python3 -c 'import sys, urllib.parse as u; print(u.quote(u.quote(sys.argv[1], safe=""), safe=""))' "$1"; }

check "api without session 401" test "$(get "/api/v1/perf/vm/east/$VM_ON")" = 401
get /login >/dev/null
PRE=$(csrf_of)
st=$(req POST /login --data-urlencode "username=$USER_OK" --data-urlencode "password=$PASS_OK" \
	-d vcenter=east --data-urlencode "csrf=$PRE")
check "login to east 303" test "$st" = 303

check "api VM 200" test "$(get "/api/v1/perf/vm/east/$(enc "$VM_ON")")" = 200
check "api 1h reads the 20 s tier" test "$(j .tier)/$(j .step)" = 20s/20
check "api has timestamps" test "$(j '.t | length')" -ge 2
check "api CPU values line up with the timestamps" test "$(j '.series.cpu_pct | length')" = "$(j '.t | length')"
check "api CPU in percent" test "$(j '[.series.cpu_pct[] | select(. != null and . >= 0 and . <= 100)] | length')" -ge 2
check "api names the charts" test "$(j '.charts | keys | join(",")')" = cpu,disk,mem,net
check "api 24h reads the 5 min tier" test "$(get "/api/v1/perf/vm/east/$(enc "$VM_ON")?range=24h")" = 200 -a "$(j .tier)" = 5m
check "api 90d reads the 2 h tier" test "$(get "/api/v1/perf/vm/east/$(enc "$VM_ON")?range=90d")" = 200 -a "$(j .tier)" = 2h
check "api host 200 with samples" test "$(get "/api/v1/perf/host/east/$(enc "$HOST")")" = 200 -a "$(j '.t | length')" -ge 2
check "api datastore 200 with space" test "$(get "/api/v1/perf/datastore/east/$(enc "$DS")")" = 200 -a \
	"$(j '[.series.used_gb[] | select(. != null)] | length')" -ge 1
check "api powered-off VM: empty series" test "$(get "/api/v1/perf/vm/east/$(enc "$VM_OFF")")" = 200 -a "$(j '.t | length')" = 0
check "api VM of a vCenter outside the session 404" test "$(get "/api/v1/perf/vm/west/$(enc "$WEST_VM")")" = 404
check "api unknown object 404" test "$(get "/api/v1/perf/vm/east/vm-999999")" = 404
check "api host moref as a VM 404" test "$(get "/api/v1/perf/vm/east/$(enc "$HOST")")" = 404
check "api unknown kind 404" test "$(get "/api/v1/perf/cluster/east/$(enc "$VM_ON")")" = 404
check "api bad range 400" test "$(get "/api/v1/perf/vm/east/$(enc "$VM_ON")?range=1y")" = 400

# ---- detail pages: the panel, its chart containers and range tabs
check "VM page 200" test "$(get "/vms/east/$(enc "$VM_ON")")" = 200
check "VM page has the CPU chart container" grep -q "data-chart-src=\"/api/v1/perf/vm/east/[^\"]*range=1h\" data-chart-part=\"cpu\" data-chart-type=\"line\"" "$B"
check "VM page has four charts" test "$(grep -o 'data-chart-type="line"' "$B" | wc -l)" = 4
check "VM page range tabs" grep -q 'range=90d#perf' "$B"
check "VM page 7 d tab selected" test "$(get "/vms/east/$(enc "$VM_ON")?range=7d")" = 200 -a \
	"$(grep -c 'range=7d#perf" aria-current="page"' "$B")" = 1
check "VM page 7 d charts read 7 d" grep -q 'data-chart-src="/api/v1/perf/vm/east/[^"]*range=7d"' "$B"
check "VM page bad range 400" test "$(get "/vms/east/$(enc "$VM_ON")?range=2w")" = 400
check "host page has the panel" test "$(get "/hosts/east/$(enc "$HOST")")" = 200 -a "$(grep -c 'id="perf"' "$B")" = 1
check "datastore page has the space chart" test "$(get "/datastores/east/$(enc "$DS")")" = 200 -a \
	"$(grep -c 'data-chart-part="space"' "$B")" = 1
check "no inline script on the page" test "$(grep -c '<script>' "$B")" = 0

# ---- the dashboard's capacity trends (api_trends.c), over the session's vCenters
check "trends 200" test "$(get '/api/v1/charts/trends?range=1h')" = 200
check "trends: the cluster of east" test "$(j '.charts.clusters | length')" = 1 -a \
	"$(j '.charts.clusters[0] | startswith("cl:east:")')" = true
check "trends: cluster CPU as shares" test "$(j '[.series[.charts.clusters[0]][] | select(. != null and . >= 0)] | length')" -ge 1
check "trends: datastores of east" test "$(j '.charts.datastores | length')" -ge 1 -a \
	"$(j '[.charts.datastores[] | select(startswith("ds:east:") | not)] | length')" = 0
check "trends: the 8 fullest of the 20 datastores" test "$(j '.charts.datastores | length')" = 8
check "trends: datastore use in percent" test "$(j '[.series[.charts.datastores[0]][] | select(. != null and . >= 0 and . <= 100)] | length')" -ge 1
check "trends: values line up with the timestamps" test "$(j '.series[.charts.datastores[0]] | length')" = "$(j '.t | length')"
check "trends: labels name the vCenter" test "$(j '[.metrics[] | select(.label | endswith("(Simulator east)"))] | length')" = "$(j '.metrics | length')"
check "trends 7d reads the 30 min tier" test "$(get '/api/v1/charts/trends?range=7d')" = 200 -a "$(j .step)" = 1800
check "trends bad range 400" test "$(get '/api/v1/charts/trends?range=1y')" = 400
get /dashboard >/dev/null
check "dashboard has the trend charts" test "$(grep -c 'data-chart-src="/api/v1/charts/trends?range=7d"' "$B")" = 2

# ---- a value moved to another key fails to open
rig_redis_cli COPY "vc:{east}:perf:20s:$VM_ON" "vc:{east}:perf:20s:$HOST" REPLACE >/dev/null
check "moved value: dump exits 1" bash -c "! '$BIN/fcgi/vcompanion' -c '$RIG_CONFIG' dump --vcenter east --type perf >/dev/null 2>&1"
check "moved value: api shows no series" test "$(get "/api/v1/perf/host/east/$(enc "$HOST")")" = 200 -a "$(j '.t | length')" = 0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
