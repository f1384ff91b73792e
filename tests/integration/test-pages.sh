#!/usr/bin/env bash
# Inventory pages end to end: real nginx (TLS) -> FastCGI -> vcompanion-web, real
# Redis with the project ACL, two vCenter simulators filled by the collector. Logs
# in to both, then checks: dashboard totals equal what the simulators hold, list
# sort / filter / paging at page edges, /api/v1 totals equal the collector's counts,
# a VM renamed through SOAP (Rename_Task) to markup shows escaped on the table,
# search and detail pages, another vCenter's object (or a vCenter outside the
# session) answers 404, and the API answers 401 JSON without a session.
# PAGES_HOLD=SECONDS keeps the rig up afterwards for poking at it by hand.
set -euo pipefail
. "$VC_RIG/lib.sh"
rig_init

pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok   $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

USER_OK=alice@vsphere.local PASS_OK=Pages-Test-1
rig_redis_start
rig_vcsim_spawn east -datacenters=1 -clusters=2 -hosts=2 -vms=6 -pods=1 -user=$USER_OK -password=$PASS_OK
rig_vcsim_spawn west -datacenters=1 -clusters=1 -hosts=2 -vms=5 -user=$USER_OK -password=$PASS_OK
rig_vcsim_spawn north -vms=2 -user=$USER_OK -password=$PASS_OK
rig_vcsim_wait east
rig_vcsim_wait west
rig_vcsim_wait north
rig_config "$RIG_DIR/vcompanion.json"
BIN=${VC_BUILD}
"$BIN/collector/vcompanion-collector" -c "$RIG_CONFIG" --once >"$RIG_DIR/log/coll1.out" 2>&1 || true
RIG_WEB_WORKERS=3 rig_web_start
rig_nginx_start

U=$RIG_NGINX_URL
H=$RIG_DIR/h; B=$RIG_DIR/b; JAR=$RIG_DIR/jar

. "$VC_RIG/http.sh"   # req, hdr, csrf_of, body_has, body_lacks
get() { req GET "$@"; }
# jq over the last body.
j() { jq -r "$@" "$B"; }
# jget PATH FILTER: GET PATH, then FILTER over its JSON body.
jget() { get "$1" >/dev/null; jq -r "$2" "$B"; }
dump() { "$BIN/fcgi/vcompanion" -c "$RIG_CONFIG" dump --vcenter "$1" --type "$2"; }
# Names of the rows in the table of the last page, in order.
row_names() {
	python3 - "$B" <<'PY'
import re, sys, html
s = open(sys.argv[1], encoding="utf-8").read()
body = s[s.find("<tbody>"):s.find("</tbody>")]
for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
    # the first cell after the selection checkbox (class "select") of VM rows
    cells = re.findall(r"<td(?![^>]*class=\"select\")[^>]*>(.*?)</td>", row, re.S)
    if cells:
        print(html.unescape(re.sub(r"<[^>]+>", "", cells[0])))
PY
}

# ---- no session: pages redirect, the API answers 401 JSON
check "page without session redirects" test "$(get /vms)" = 303
check "api without session 401" test "$(get /api/v1/vms)" = 401
check "api 401 is json" grep -q '"error"' "$B"

# ---- log in to east and west (north stays out of the session)
get /login >/dev/null
PRE=$(csrf_of)
st=$(req POST /login --data-urlencode "username=$USER_OK" --data-urlencode "password=$PASS_OK" \
	-d vcenter=east -d vcenter=west --data-urlencode "csrf=$PRE")
check "login 303" test "$st" = 303

EAST_VMS=$(dump east vm | jq length)
WEST_VMS=$(dump west vm | jq length)
EAST_HOSTS=$(dump east host | jq length)
WEST_HOSTS=$(dump west host | jq length)
check "collector got east VMs ($EAST_VMS = $RIG_VCSIM_EAST_VMS)" test "$EAST_VMS" = "$RIG_VCSIM_EAST_VMS"
check "collector got west VMs" test "$WEST_VMS" = "$RIG_VCSIM_WEST_VMS"
TOTAL_VMS=$((EAST_VMS + WEST_VMS))
TOTAL_HOSTS=$((EAST_HOSTS + WEST_HOSTS))

# ---- dashboard totals
check "dashboard 200" test "$(get /dashboard)" = 200
kpi() { grep -o "id=\"total-$1\">[0-9]*<" "$B" | grep -o '[0-9]*'; }
check "dashboard VMs = simulators ($TOTAL_VMS)" test "$(kpi vms)" = "$TOTAL_VMS"
check "dashboard hosts = simulators ($TOTAL_HOSTS)" test "$(kpi hosts)" = "$TOTAL_HOSTS"
check "dashboard has a refresh form" grep -q 'action="/refresh"' "$B"
CSRF=$(csrf_of)
check "refresh without csrf 403" test "$(req POST /refresh)" = 403
check "refresh 303" test "$(req POST /refresh -d csrf=$CSRF)" = 303
check "refresh counter bumped" test "$(rig_redis_cli GET cmd:refresh)" = 1
check "dashboard alarms filter" test "$(get '/dashboard?period=day&severity=red')" = 200
check "dashboard bad period 400" test "$(get '/dashboard?period=year')" = 400
check "charts json" test "$(get /api/v1/charts/capacity)" = 200
check "charts have clusters" test "$(j '.clusters.categories | length')" -ge 3
check "north never shown" bash -c "! grep -q 'Simulator north' '$B'"

# ---- API totals and the same parameters
check "api vms 200" test "$(get /api/v1/vms)" = 200
check "api vms total = collector ($TOTAL_VMS)" test "$(j .total)" = "$TOTAL_VMS"
check "api vms 50 items max" test "$(j '.items | length')" -le 50
check "api vcenter filter" test "$(jget '/api/v1/vms?vcenter=west' .total)" = "$WEST_VMS"
check "api vcenter outside the session: nothing" test "$(jget '/api/v1/vms?vcenter=north' .total)" = 0
check "api hosts total" test "$(jget /api/v1/hosts .total)" = "$TOTAL_HOSTS"
check "api datastores" test "$(jget /api/v1/datastores .total)" -ge 2
check "api clusters total" test "$(jget /api/v1/clusters .total)" = 3
check "api networks" test "$(jget /api/v1/networks .total)" -ge 2
check "api networks dvs" test "$(jget '/api/v1/networks?view=dvs' .total)" = 2
check "api items carry vcenter" test "$(jget /api/v1/vms '[.items[].vcenter] | unique | join(",")')" = "east,west"

# ---- sorting, paging at the edges
get "/api/v1/vms?sort=name&order=asc&per_page=25" >/dev/null
check "api sorted asc" bash -c "jq -r '.items[].name' '$B' | sort -V -c"
PAGES=$(j .pages)
check "pages = ceil(total/25)" test "$PAGES" = $(( (TOTAL_VMS + 24) / 25 ))
get "/api/v1/vms?sort=name&order=asc&per_page=25&page=$PAGES" >/dev/null
LAST_N=$(j '.items | length')
check "last page holds the remainder" test "$LAST_N" = $(( TOTAL_VMS - (PAGES - 1) * 25 ))
get "/api/v1/vms?sort=name&order=asc&per_page=25&page=999" >/dev/null
check "page past the end clamps to the last" test "$(j .page)" = "$PAGES"
check "page 0 rejected" test "$(get '/api/v1/vms?page=0')" = 400
check "per_page outside the choices rejected" test "$(get '/api/v1/vms?per_page=7')" = 400
# Walking every page asc gives every VM once, in order; desc is its reverse.
walk() {
	local order=$1 p=1
	while :; do
		get "/api/v1/vms?sort=cpus&order=$order&per_page=25&page=$p" >/dev/null
		jq -r '.items[] | "\(.cpus) \(.vcenter)/\(.moref)"' "$B"
		[ "$p" -ge "$(j .pages)" ] && break
		p=$((p + 1))
	done
}
walk asc >"$RIG_DIR/asc"
walk desc >"$RIG_DIR/desc"
check "walk covers every VM once" test "$(cut -d' ' -f2 "$RIG_DIR/asc" | sort -u | wc -l)" = "$TOTAL_VMS"
check "asc is sorted by cpus" bash -c "cut -d' ' -f1 '$RIG_DIR/asc' | sort -n -c"
check "desc is sorted by cpus" bash -c "cut -d' ' -f1 '$RIG_DIR/desc' | sort -n -r -c"
check "power filter" test "$(jget '/api/v1/vms?power=poweredOff' '[.items[].power_state] | unique | join(",")')" = "poweredOff"
FIRST_CL=$(dump east cluster | jq -r '.[0].name')
get "/api/v1/vms?cluster=$FIRST_CL&vcenter=east&per_page=250" >/dev/null
check "cluster filter" test "$(j '[.items[].cluster_name] | unique | join(",")')" = "$FIRST_CL"
check "q filter" test "$(jget '/api/v1/vms?q=C1_RP0' '[.items[].name | test("C1_RP0")] | all')" = true

# ---- HTML tables
check "vms page 200" test "$(get '/vms?sort=name&order=desc')" = 200
check "vms page total" grep -q "<b class=\"total\">$TOTAL_VMS</b>" "$B"
check "aria-sort descending on name" grep -q 'aria-sort="descending"><a href="/vms?sort=name&amp;order=asc"' "$B"
check "rows link to details" grep -q 'href="/vms/east/vm-' "$B"
NAMES=$(row_names)
check "html page holds 50 rows" test "$(echo "$NAMES" | wc -l)" = $(( TOTAL_VMS < 50 ? TOTAL_VMS : 50 ))
check "html rows sorted desc" bash -c "printf '%s\n' \"\$1\" | sort -V -r -c" _ "$NAMES"
check "htmx partial has no layout" bash -c "curl -sS --cacert '$RIG_NGINX_CERT' -b '$JAR' -H 'HX-Request: true' '$U/vms?page=2' | grep -q 'id=\"tbl\"' && ! curl -sS --cacert '$RIG_NGINX_CERT' -b '$JAR' -H 'HX-Request: true' '$U/vms?page=2' | grep -q '<html'"
for p in /hosts /datastores /clusters /networks '/networks?view=dvs' '/networks?view=vswitches' /storage /network-topology /search '/search?q=vm'; do
	check "GET $p 200" test "$(get "$p")" = 200
done

# ---- details and scope
VM=$(dump east vm | jq -r '.[1].moref')
HOST=$(dump east host | jq -r '.[0].moref')
# Detail URLs carry the moref percent-encoded twice (it may hold slashes).
DS=$(dump east datastore | jq -r '.[0].moref | @uri | @uri')
CL=$(dump east cluster | jq -r '.[0].moref')
NORTH_VM=$(dump north vm | jq -r '.[0].moref')
check "vm detail 200" test "$(get "/vms/east/$VM")" = 200
check "host detail 200" test "$(get "/hosts/east/$HOST")" = 200
check "host detail lists vmk" grep -q 'vmk0' "$B"
check "datastore detail 200" test "$(get "/datastores/east/$DS")" = 200
check "cluster detail 200" test "$(get "/clusters/east/$CL")" = 200
check "unknown moref 404" test "$(get "/vms/east/vm-999999")" = 404
check "vm of a vCenter outside the session 404" test "$(get "/vms/north/$NORTH_VM")" = 404
check "unknown vCenter 404" test "$(get "/vms/nowhere/$VM")" = 404
check "host moref on the vm path 404" test "$(get "/vms/east/$HOST")" = 404
check "search never returns north" test "$(jget "/api/v1/search?q=DC0" '[.items[].vcenter] | map(select(. == "north")) | length')" = 0

# ---- search
SOME=$(dump west vm | jq -r '.[3].name')
SOME_IP=$(dump west vm | jq -r '[.[] | select(.ip != null)][0].ip')
SOME_DNS=$(dump west vm | jq -r '[.[] | select(.dns_name != null)][0].dns_name')
check "search exact name first" test "$(jget "/api/v1/search?q=$SOME" '.items[0].name')" = "$SOME"
TYPO=$(echo "$SOME" | sed 's/VM/VN/')
check "search with a typo finds it" test "$(jget "/api/v1/search?q=$TYPO&per_page=250" "[.items[].name] | index(\"$SOME\") != null")" = true
check "search by IP" test "$(jget "/api/v1/search?q=$SOME_IP" '.items[0].ip')" = "$SOME_IP"
check "search by IP prefix" test "$(jget "/api/v1/search?q=${SOME_IP%.*}." '.total')" -ge 1
check "search by DNS name" test "$(jget "/api/v1/search?q=$SOME_DNS" '.items[0].match')" = dns
PART=${SOME#*_}                                              # "C0_RP0_VM3": a partial word
check "search by a partial word finds it" test "$(jget "/api/v1/search?q=$PART&per_page=250" "[.items[] | select(.name == \"$SOME\")][0].match")" = partial
HOST_IP=$(dump west vmk | jq -r '[.[] | select(.ip != null)][0].ip')
HOST_OF_IP=$(dump west vmk | jq -r '[.[] | select(.ip != null)][0].host_name')
check "search finds a host by its vmk IP" test "$(jget "/api/v1/search?q=$HOST_IP&per_page=250" "[.items[] | select(.kind == \"host\" and .match == \"ip\") | .name] | index(\"$HOST_OF_IP\") != null")" = true
check "search by IP prefix, one per page: same total" test "$(jget "/api/v1/search?q=${SOME_IP%.*}.&per_page=1" '"\(.items | length) \(.total)"')" = "1 $(jget "/api/v1/search?q=${SOME_IP%.*}." .total)"
check "suggest fragment" test "$(get "/search/suggest?q=${SOME:0:6}")" = 200
check "suggest has links" grep -q 'class="suggest-item' "$B"

# ---- a VM renamed to markup through the simulator's SOAP API
URL=$RIG_VCSIM_EAST_URL
soap() {
	curl -sS --cacert "$RIG_VCSIM_EAST_CERT" -b "$RIG_DIR/sj" -c "$RIG_DIR/sj" -H 'Content-Type: text/xml' \
		-H 'SOAPAction: "urn:vim25/7.0"' --data-binary @- "$URL"
}
soap >/dev/null <<EOF
<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:vim25"><soapenv:Body>
<v:Login><v:_this type="SessionManager">SessionManager</v:_this><v:userName>$USER_OK</v:userName><v:password>$PASS_OK</v:password></v:Login>
</soapenv:Body></soapenv:Envelope>
EOF
EVIL='<script>alert(1)</script>{{x}}'
soap >"$RIG_DIR/rename.xml" <<EOF
<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:vim25"><soapenv:Body>
<v:Rename_Task><v:_this type="VirtualMachine">$VM</v:_this><v:newName>&lt;script&gt;alert(1)&lt;/script&gt;{{x}}</v:newName></v:Rename_Task>
</soapenv:Body></soapenv:Envelope>
EOF
check "rename task accepted" grep -q 'Rename_TaskResponse' "$RIG_DIR/rename.xml"
soap >"$RIG_DIR/snap.xml" <<EOF
<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:vim25"><soapenv:Body>
<v:CreateSnapshot_Task><v:_this type="VirtualMachine">$VM</v:_this><v:name>before-upgrade</v:name><v:memory>false</v:memory><v:quiesce>false</v:quiesce></v:CreateSnapshot_Task>
</soapenv:Body></soapenv:Envelope>
EOF
sleep 1
"$BIN/collector/vcompanion-collector" -c "$RIG_CONFIG" --once >"$RIG_DIR/log/coll2.out" 2>&1 || true
check "collector stored the new name" test "$(dump east vm | jq -r ".[] | select(.moref == \"$VM\") | .name")" = "$EVIL"
ESC='&lt;script&gt;alert(1)&lt;/script&gt;{{x}}'
noraw() { ! grep -q '<script>alert(1)' "$B"; }
get "/vms?q=alert" >/dev/null
check "table shows the name escaped" grep -qF "$ESC" "$B"
check "table has no raw script" noraw
check "row checkbox names the VM escaped" grep -qF "value=\"east:$VM\" form=\"row-ops\" aria-label=\"Select $ESC\"" "$B"
get "/search?q=alert" >/dev/null
check "search page shows it escaped" grep -qF "$ESC" "$B"
check "search page has no raw script" noraw
get "/search/suggest?q=alert" >/dev/null
check "suggest shows it escaped" grep -qF "$ESC" "$B"
check "suggest has no raw script" noraw
get "/vms/east/$VM" >/dev/null
check "detail shows it escaped" grep -qF "$ESC" "$B"
check "detail has no raw script" noraw
check "detail shows the snapshot" grep -q 'before-upgrade' "$B"
get /dashboard >/dev/null
check "dashboard lists the snapshot" grep -q 'before-upgrade' "$B"
check "dashboard has no raw script" noraw
check "api returns the name as data" test "$(jget "/api/v1/vms?q=alert" '.items[0].name')" = "$EVIL"

# ---- operations run with the user's own vCenter session
get "/vms/east/$VM" >/dev/null
check "detail offers operations" grep -q 'name="op" value="power_off"' "$B"
CSRF=$(csrf_of)
st=$(req POST /ops/vm -d "target=east:$VM" -d op=power_off --data-urlencode "csrf=$CSRF")
check "power off answered 200" test "$st" = 200
check "power off started a task" grep -q 'task-' "$B"
TASK=$(grep -o 'data-watch-tasks="east:task-[0-9]*' "$B" | head -1 | cut -d'"' -f2)
check "the answer names the task to watch" test -n "$TASK"
st=$(req POST /ops/vm -d "target=north:vm-1" -d op=power_on --data-urlencode "csrf=$CSRF")
check "operation outside the session refused" grep -q 'not an object of this session' "$B"
check "operation without csrf 403" test "$(req POST /ops/vm -d "target=east:$VM" -d op=power_on)" = 403
task_done() { # the task ends in success, seen through /tasks/state
	local i
	for i in $(seq 20); do
		[ "$(jget "/tasks/state?task=$1" '.tasks[0].state')" = success ] && return 0
		sleep 0.3
	done
	return 1
}
check "the task's state is followed" task_done "$TASK"
check "a task outside the session is unknown" test "$(jget "/tasks/state?task=north:task-1" '.tasks[0].state')" = unknown
check "a malformed task is unknown" test "$(jget "/tasks/state?task=east:%3Cx%3E" '.tasks[0].state')" = unknown
sleep 1
"$BIN/collector/vcompanion-collector" -c "$RIG_CONFIG" --once >"$RIG_DIR/log/coll3.out" 2>&1 || true
check "the simulator's VM is off" test "$(dump east vm | jq -r ".[] | select(.moref == \"$VM\") | .power_state")" = poweredOff
get /tasks >/dev/null
check "tasks page shows the power-off" grep -qi "powerOff" "$B"

# ---- the dashboard's recent changes and tasks, with the collector daemon following
rig_spawn collector "$BIN/collector/vcompanion-collector" -c "$RIG_CONFIG"
incremental() { # a WaitForUpdatesEx cycle ran: the updates filter is in place
	rig_redis_cli INCR cmd:refresh >/dev/null
	sleep 0.5
	dump east status | jq -e '.mode == "incremental" and .incremental_cycles >= 1' >/dev/null
}
check "the daemon follows east incrementally" rig_wait_for 30 "an incremental cycle" incremental
req POST /ops/vm -d "target=east:$VM" -d op=power_on --data-urlencode "csrf=$CSRF" >/dev/null
power_event() { # a refresh makes the daemon take the update; the event log then has it
	rig_redis_cli INCR cmd:refresh >/dev/null
	sleep 0.5
	dump east events | jq -e --arg m "$VM" 'any(.[]; .moref == $m and .kind == "vm.power")' >/dev/null
}
check "the power-on reaches the event log" rig_wait_for 30 "power event" power_event
get /dashboard >/dev/null
check "dashboard lists recent changes" python3 - "$B" "$ESC" <<'PY'
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
panel = s[s.index('id="events-panel"'):s.index('id="tasks-panel"')]
sys.exit(0 if "vm.power" in panel and sys.argv[2] in panel else 1)
PY
check "dashboard loads its tasks panel" grep -q 'hx-get="/tasks?panel=1"' "$B"
get "/vms/east/$VM" >/dev/null
check "VM timeline shows the power change" python3 - "$B" <<'PY'
import sys
s = open(sys.argv[1], encoding="utf-8").read()
panel = s[s.index('class="panel timeline-panel"'):]
sys.exit(0 if "vm.power" in panel and "poweredOff → poweredOn" in panel else 1)
PY
check "timeline links the events of the name, URL-encoded" grep -q 'href="/events?q=%3Cscript%3Ealert%281%29%3C%2Fscript%3E' "$B"
get "/hosts/east/$(dump east host | jq -r '.[0].moref')" >/dev/null
check "host detail has a timeline" grep -q 'class="panel timeline-panel"' "$B"
st=$(req GET '/tasks?panel=1' -H 'HX-Request: true')
check "tasks panel answers a fragment" test "$st" = 200 -a -z "$(grep -l '<html' "$B")"
check "tasks panel shows the power-on first" python3 - "$B" <<'PY'
import re, sys
rows = re.findall(r"<tr>\s*<td>([^<]*)", open(sys.argv[1], encoding="utf-8").read())
sys.exit(0 if rows and rows[0].strip() == "VirtualMachine.powerOn" else 1)
PY

# ---- logout ends access
CSRF=$(get /dashboard >/dev/null; csrf_of)
req POST /logout -d csrf=$CSRF >/dev/null
check "api after logout 401" test "$(get /api/v1/vms)" = 401

# ---- no sanitizer report from the inventory code when the workers exit
if [ -z "${PAGES_HOLD:-}" ]; then
	rig_stop_pid "$RIG_WEB_PID"
	check "no leak or UB in the inventory pages" bash -c "! grep -E 'runtime error|(page_(tables|detail|search|dashboard|topology)|scope|table|api_v1)\.c:' '$RIG_DIR/log/web.err'"
fi

if [ -n "${PAGES_HOLD:-}" ]; then
	echo "holding the rig for $PAGES_HOLD s: $U (user $USER_OK / $PASS_OK), dir $RIG_DIR"
	sleep "$PAGES_HOLD"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
