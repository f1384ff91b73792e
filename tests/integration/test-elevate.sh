#!/usr/bin/env bash
# Elevated mode and the host actions it unlocks, end to end: real nginx (TLS) ->
# FastCGI -> vcompanion-web, real Redis, two vCenter simulators filled by the
# collector ("east" in the session, "north" not). The simulator's HostServiceSystem
# is our own (tests/vcsim/hostservice.go); what the simulator really holds is read
# with the independent SOAP client test-collector-query.py. Checks: host records and
# the host page show the SSH state; a host action without elevation answers 403 and
# changes nothing; a wrong password is refused, audited and counted in the login
# throttle, over whose limit nothing is tried; the right one shows the "Elevated · m:ss" badge with elevated_until =
# now + web.elevate_timeout and leaves no extra vCenter session; SSH start/stop and
# maintenance enter/exit reach the simulator and the collector's host records; no
# CSRF, a host outside the session or unknown: refused; drop locks again; an expired
# elevation is refused; the password is in no log file of the rig.
set -euo pipefail
. "$VC_RIG/lib.sh"
. "$VC_RIG/check.sh"   # check, finish
rig_init

# The simulators' own user is an admin of the rig (rig_config), so /audit is readable.
USER_OK=administrator@vsphere.local PASS_OK=Elevate-Pass-4711 WRONG=Wrong-Guess-0815
rig_redis_start
rig_vcsim_spawn east -clusters=1 -hosts=2 -standalone=1 -vms=1 -password=$PASS_OK
rig_vcsim_spawn north -clusters=1 -hosts=1 -standalone=0 -vms=1 -password=$PASS_OK
rig_vcsim_wait east
rig_vcsim_wait north
rig_config "$RIG_DIR/vcompanion.json"
BIN=$VC_BUILD
collect() { "$BIN/collector/vcompanion-collector" -c "$RIG_CONFIG" --once >>"$RIG_DIR/log/collector.out" 2>&1 || true; }
collect
RIG_WEB_WORKERS=3 rig_web_start
rig_nginx_start

U=$RIG_NGINX_URL
H=$RIG_DIR/h; B=$RIG_DIR/b; JAR=$RIG_DIR/jar
. "$VC_RIG/http.sh"   # req, hdr, csrf_of, body_has, body_lacks

dump() { "$BIN/fcgi/vcompanion" -c "$RIG_CONFIG" dump --vcenter "$1" --type host; }
# rec VCENTER HOST FIELD: a field of the collector's host record.
rec() { dump "$1" | jq -r --arg h "$2" ".[] | select(.moref == \$h) | .$3"; }
# sim VCENTER [ARGS]: the independent SOAP client on that simulator.
sim() {
	local v; v=$(rig_vcsim_var "$1"); shift
	local url=${v}_URL user=${v}_USER pf=${v}_PASS_FILE cert=${v}_CERT
	python3 "$VC_TOP/tests/integration/test-collector-query.py" "${!url}" "${!user}" "${!pf}" "${!cert}" "$@"
}
# simhost VCENTER HOST FIELD: what the simulator itself holds (ssh_running, maintenance).
simhost() { sim "$1" facts | jq -r --arg h "$2" ".host[\$h].$3"; }
op() {   # op OP TARGET [curl args]: POST /ops/host with the page's csrf
	local o=$1 t=$2; shift 2
	req POST /ops/host -d "op=$o" --data-urlencode "target=$t" --data-urlencode "csrf=$CSRF" "$@"
}
# audited ACTION TARGET OUTCOME: a row of the /audit page (admins).
audited() {
	req GET /audit >/dev/null
	tr -d '\n' <"$B" | grep -Eq "<td>$1</td><td class=\"name\">$2</td> *<td><span class=\"badge plain\">$3</span>"
}
# badge_secs: the seconds the elevated badge of the last page counts down from.
badge_secs() { tr -d '\n' <"$B" | grep -o 'id="elevated"[^>]*data-expires-in="[0-9]*"' | grep -o '[0-9]*"$' | tr -d '"' || true; }
# location: the redirect target of the last answer (HTTP/2 header names are lower case).
location() { hdr "$1" | cut -d' ' -f2-; }
thr_user() { rig_redis_cli GET "thr:u:$(rig_sha256 "$USER_OK")"; }

HOST=$(dump east | jq -r '.[0].moref')
NORTH_HOST=$(dump north | jq -r '.[0].moref')
T="east:$HOST"
check "collector stored hosts of east and north" test -n "$HOST" -a "$HOST" != null -a -n "$NORTH_HOST" -a "$NORTH_HOST" != null

# ---- the SSH state in the records and on the page
check "host record: ssh stopped" test "$(rec east "$HOST" ssh_running)" = false
check "host record: ssh policy off" test "$(rec east "$HOST" ssh_policy)" = off
check "host record: not in maintenance" test "$(rec east "$HOST" maintenance)" = false

req GET /login >/dev/null
PRE=$(csrf_of)
check "login to east only 303" test "$(req POST /login --data-urlencode "username=$USER_OK" \
	--data-urlencode "password=$PASS_OK" -d vcenter=east --data-urlencode "csrf=$PRE")" = 303
check "host page 200" test "$(req GET "/hosts/east/$HOST")" = 200
CSRF=$(csrf_of)
check "host page shows ssh stopped" grep -q 'id="host-ssh"><span class="badge is-off">stopped' "$B"
check "host page: no badge before elevation" body_lacks 'id="elevated"'
check "host page: actions ask for the password" grep -q 'hx-get="/elevate" hx-target="#elevate-slot"' "$B"
check "host page: no acting button before elevation" body_lacks 'hx-post="/ops/host"'

# ---- not elevated: 403, nothing changes
check "ssh start not elevated 403" test "$(op ssh_start "$T")" = 403
check "the answer says host actions are locked" body_has 'Host actions are locked'
check "maintenance not elevated 403" test "$(op maintenance_enter "$T")" = 403
check "simulator: ssh still stopped" test "$(simhost east "$HOST" ssh_running)" = false
check "simulator: still not in maintenance" test "$(simhost east "$HOST" maintenance)" = false
check "refusal audited" audited ssh_start "$T" denied
check "simulator: an unknown service is a NotFound fault" test "$(sim east service "$HOST" StartService NO-SUCH)" = NotFound

# ---- the password form
check "GET /elevate (htmx) 200" test "$(req GET /elevate -H 'HX-Request: true')" = 200
check "form is a fragment" body_lacks '<html'
check "form has a password field" grep -Eq '<input[^>]*name="password"[^>]*type="password"' "$B"
check "GET /elevate page 200" test "$(req GET /elevate)" = 200
check "page is inside the layout" body_has '<html'
check "elevate without csrf 403" test "$(req POST /elevate --data-urlencode "password=$PASS_OK")" = 403
check "no elevation from a csrf-less post" test "$(op ssh_start "$T")" = 403

# ---- wrong password: refused, audited, throttled; no extra vCenter session left
SESSIONS=$(sim east sessions)
req GET '/elevate?back=//evil.example/x' >/dev/null
check "the form's Cancel stays on the site" bash -c "! grep -q 'href=\"//evil.example' '$B'"
req GET '/elevate?back=/%5Cevil.example' >/dev/null
check "nor leaves it by a backslash" bash -c "! grep -q 'href=\"/\\\\evil' '$B'"
st=$(req POST /elevate --data-urlencode "password=$WRONG" --data-urlencode "back=/hosts/east/$HOST" \
	--data-urlencode "csrf=$CSRF")
check "wrong password 403" test "$st" = 403
check "wrong password: clear message" body_has 'did not accept this password'
check "wrong password never rendered" body_lacks "$WRONG"
check "wrong password: no badge" body_lacks 'id="elevated"'
check "wrong password counted in the login throttle" test "$(thr_user)" = 1
check "still locked after a wrong password" test "$(op ssh_start "$T")" = 403
check "wrong password audited" audited elevate east denied
# Over the login throttle's limit (5 per user), even the right password is not tried.
rig_redis_cli SET "thr:u:$(rig_sha256 "$USER_OK")" 5 EX 300 >/dev/null
st=$(req POST /elevate --data-urlencode "password=$PASS_OK" --data-urlencode "csrf=$CSRF")
check "throttled elevation 429" test "$st" = 429
check "throttled: says to wait" body_has 'Too many failed attempts'
check "throttled: still locked" test "$(op ssh_start "$T")" = 403
check "throttled elevation audited" audited elevate "" denied
rig_redis_cli SET "thr:u:$(rig_sha256 "$USER_OK")" 1 EX 300 >/dev/null

# ---- right password: elevated for web.elevate_timeout (300 s by default)
st=$(req POST /elevate --data-urlencode "password=$PASS_OK" --data-urlencode "back=/hosts/east/$HOST" \
	--data-urlencode "csrf=$CSRF")
check "right password 303" test "$st" = 303
check "back to the host page" test "$(location Location)" = "/hosts/east/$HOST"
check "elevation audited" audited elevate east ok
check "throttle counter cleared" test -z "$(thr_user)"
check "the check's vCenter session was logged out" test "$(sim east sessions)" = "$SESSIONS"
req GET "/hosts/east/$HOST" >/dev/null
SECS=$(badge_secs)
check "badge present" grep -q 'Elevated · <span class="elevated-time">[0-9]:[0-5][0-9]</span>' "$B"
check "badge has a drop button" grep -q 'action="/elevate/drop"' "$B"
check "elevated_until = now + 300 s ($SECS s left)" test "${SECS:-0}" -gt 290 -a "${SECS:-0}" -le 300
check "host page now has acting buttons" grep -q 'hx-post="/ops/host" hx-target="#ops-result" data-swap-errors name="op" value="ssh_start"' "$B"
CSRF=$(csrf_of)
req GET /vms >/dev/null
check "the badge shows on other pages too" body_has 'id="elevated"'

# ---- SSH start and stop through the user's own session
check "ssh start 200" test "$(op ssh_start "$T")" = 200
check "ssh start done" body_has 'is-ok">done'
check "simulator: ssh running" test "$(simhost east "$HOST" ssh_running)" = true
collect
check "host record: ssh running" test "$(rec east "$HOST" ssh_running)" = true
req GET "/hosts/east/$HOST" >/dev/null
check "host page shows ssh running" body_has 'id="host-ssh"><span class="badge is-warning">running'
check "ssh start audited" audited ssh_start "$T" ok
check "ssh stop 200" test "$(op ssh_stop "$T")" = 200
check "simulator: ssh stopped" test "$(simhost east "$HOST" ssh_running)" = false
collect
check "host record: ssh stopped again" test "$(rec east "$HOST" ssh_running)" = false

# ---- maintenance mode
check "maintenance enter 200" test "$(op maintenance_enter "$T")" = 200
check "maintenance enter started a task" body_has 'task-'
sleep 1
check "simulator: in maintenance" test "$(simhost east "$HOST" maintenance)" = true
collect
check "host record: in maintenance" test "$(rec east "$HOST" maintenance)" = true
req GET "/hosts/east/$HOST" >/dev/null
check "host page offers exit maintenance" body_has 'value="maintenance_exit"'
CSRF=$(csrf_of)
check "maintenance exit 200" test "$(op maintenance_exit "$T")" = 200
sleep 1
check "simulator: out of maintenance" test "$(simhost east "$HOST" maintenance)" = false
collect
check "host record: out of maintenance" test "$(rec east "$HOST" maintenance)" = false

# ---- refusals while elevated
check "ssh start without csrf 403" test "$(req POST /ops/host -d op=ssh_start --data-urlencode "target=$T")" = 403
check "simulator: no start without csrf" test "$(simhost east "$HOST" ssh_running)" = false
check "host of a vCenter outside the session 403" test "$(op ssh_start "north:$NORTH_HOST")" = 403
check "the answer names the session" body_has 'not in the vCenters of your session'
check "north simulator unchanged" test "$(simhost north "$NORTH_HOST" ssh_running)" = false
check "refusal outside the session audited" audited ssh_start "north:$NORTH_HOST" denied
check "unknown host 403" test "$(op ssh_start "east:host-999999")" = 403
check "unknown op 400" test "$(op ssh_frobnicate "$T")" = 400

# ---- drop locks again
check "drop 303" test "$(req POST /elevate/drop --data-urlencode "csrf=$CSRF")" = 303
check "drop audited" audited elevate_drop "" ok
req GET "/hosts/east/$HOST" >/dev/null
check "no badge after drop" body_lacks 'id="elevated"'
CSRF=$(csrf_of)
check "ssh start after drop 403" test "$(op ssh_start "$T")" = 403
check "simulator: nothing started after drop" test "$(simhost east "$HOST" ssh_running)" = false

# ---- the first web instance left no sanitizer report
rig_stop_pid "$RIG_WEB_PID"; rig_forget "$RIG_WEB_PID"
check "no leak or UB in the elevation code" bash -c "! grep -E 'runtime error|(page_elevate|uservc|session|layout)\.c:' '$RIG_DIR/log/web.err'"
cp "$RIG_DIR/log/web.err" "$RIG_DIR/log/web-1.err"

# ---- an elevation ends at elevated_until: a 5-second one (the shortest), over HTMX
jq '.web.elevate_timeout = 5' "$RIG_CONFIG" >"$RIG_DIR/short.json"
RIG_CONFIG=$RIG_DIR/short.json
RIG_WEB_WORKERS=3 rig_web_start
st=$(req POST /elevate -H 'HX-Request: true' --data-urlencode "password=$PASS_OK" \
	--data-urlencode "back=/hosts/east/$HOST" --data-urlencode "csrf=$CSRF")
check "htmx elevation 204" test "$st" = 204
check "htmx elevation redirects back" test "$(location HX-Redirect)" = "/hosts/east/$HOST"
req GET "/hosts/east/$HOST" >/dev/null
SECS=$(badge_secs)
check "short elevation shows ${SECS:-no} s" test "${SECS:-0}" -ge 1 -a "${SECS:-0}" -le 5
CSRF=$(csrf_of)
sleep 6
check "expired elevation 403" test "$(op ssh_start "$T")" = 403
check "simulator: nothing started after expiry" test "$(simhost east "$HOST" ssh_running)" = false
req GET "/hosts/east/$HOST" >/dev/null
check "no badge after expiry" body_lacks 'id="elevated"'

# ---- the passwords are in no log file of the rig (nor in Redis's files)
rig_stop_pid "$RIG_WEB_PID"; rig_forget "$RIG_WEB_PID"
check "no leak or UB after the restart" bash -c "! grep -E 'runtime error|(page_elevate|uservc|session|layout)\.c:' '$RIG_DIR/log/web.err'"
LOGS=("$RIG_DIR/log" "$RIG_DIR/nginx/logs" "$RIG_DIR/redis/data")
check "logs were written" test -s "$RIG_DIR/log/web-1.err" -a -s "$RIG_DIR/nginx/logs/access.log"
# grep answers 1 for "not found" (2, an unreadable folder, must not pass).
nowhere() { local rc=0; grep -rqF -- "$1" "${LOGS[@]}" || rc=$?; [ "$rc" -eq 1 ]; }
check "right password in no log" nowhere "$PASS_OK"
check "wrong password in no log" nowhere "$WRONG"

finish
