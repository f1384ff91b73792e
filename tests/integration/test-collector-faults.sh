#!/usr/bin/env bash
# The collector against bad vCenters, all polled at once by one --once run: three
# simulators of different sizes, a closed port, a server that accepts and never
# answers, and fake servers answering truncated XML, a SOAP fault, an HTML error page
# and a bare 500 (test-collector-fake.py). The good ones must land in about the time
# of the slowest good one, each bad one must be recorded with a clear error, nothing
# may hang past collector.timeout. Then SIGTERM while a poll hangs: exit within 5 s,
# sessions logged out.
set -uo pipefail
. "$VC_RIG/lib.sh"
# /usr/bin/python3 first: a version manager's shim on PATH costs seconds per call.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
rig_init

. "$VC_RIG/check.sh"   # ok, not_ok, check, finish

COLLECTOR=$VC_BUILD/collector/vcompanion-collector
ADMIN=$VC_BUILD/fcgi/vcompanion
FAKE=$VC_TOP/tests/integration/test-collector-fake.py

now_ms() { date +%s%3N; }
# jget FILE EXPR: a value from a JSON file (python expression over d).
jget() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
status_of() { "$ADMIN" -c "$CFG" dump --vcenter "$1" --type status >"$RIG_DIR/st-$1.json" 2>/dev/null; }
gen_of() { rig_redis_cli GET "vc:{$1}:gen"; }
has_gen() { [ -n "$(gen_of "$1")" ]; }

# entry ID URL [CA_FILE] [PASS_FILE]: one vCenter of the configuration.
entry() {
	local ca=null
	[ -n "${3:-}" ] && ca="\"$3\""
	printf '{ "id": "%s", "url": "%s", "verify_tls": true, "ca_file": %s, "interval": 60,
	   "user": "administrator@vsphere.local", "password_file": "%s" }' \
		"$1" "$2" "$ca" "${4:-$RIG_DIR/any.pass}"
}
sim_entry() {
	local v
	v=$(rig_vcsim_var "$1")
	local url=${v}_URL cert=${v}_CERT pf=${v}_PASS_FILE
	entry "$1" "${!url}" "${!cert}" "${!pf}"
}
# write_config OUT TIMEOUT ENTRY...
write_config() {
	local out=$1 timeout=$2 list
	shift 2
	list=$(IFS=,; echo "$*")
	cat >"$out" <<EOF
{ "redis": { "socket": "$RIG_REDIS_SOCK",
             "collector": { "user": "collector", "password_file": "$RIG_REDIS_COLLECTOR_PASS_FILE" },
             "web": { "user": "web", "password_file": "$RIG_REDIS_WEB_PASS_FILE" } },
  "key_file": "$RIG_KEY_FILE",
  "collector": { "concurrency": 16, "interval": 60, "timeout": $timeout },
  "vcenters": [ $list ] }
EOF
}

rig_redis_start
rig_keygen
rig_write_secret "$RIG_DIR/any.pass" "whatever"
rig_vcsim_spawn big -clusters=1 -vms=60                    # 120 VMs
rig_vcsim_spawn mid -clusters=2 -vms=20                    # 60 VMs
rig_vcsim_spawn small
rig_spawn fake "$PY" "$FAKE" http "$RIG_DIR/fake.port"
rig_spawn hole "$PY" "$FAKE" blackhole "$RIG_DIR/hole.port"
for n in big mid small; do rig_vcsim_wait "$n"; done
# "small" once more behind a proxy that breaks every WaitForUpdatesEx
rig_spawn noupdates "$PY" "$FAKE" noupdates "$RIG_DIR/nu.port" "$RIG_VCSIM_SMALL_URL" "$RIG_VCSIM_SMALL_CERT"
rig_wait_for 10 "fake servers" test -s "$RIG_DIR/fake.port" -a -s "$RIG_DIR/hole.port" -a -s "$RIG_DIR/nu.port" || exit 1
FAKE_PORT=$(cat "$RIG_DIR/fake.port")
HOLE_PORT=$(cat "$RIG_DIR/hole.port")
NU_PORT=$(cat "$RIG_DIR/nu.port")
CLOSED_PORT=$(rig_free_port)

# Long enough for the good ones under ASan on a loaded CI machine; the silent server
# holds its worker for exactly this long.
TIMEOUT=15
CFG=$RIG_DIR/all.json
write_config "$CFG" "$TIMEOUT" "$(sim_entry big)" "$(sim_entry mid)" "$(sim_entry small)" \
	"$(entry closed "https://127.0.0.1:$CLOSED_PORT/sdk")" \
	"$(entry hole "http://127.0.0.1:$HOLE_PORT/sdk")" \
	"$(entry truncated "http://127.0.0.1:$FAKE_PORT/truncated/sdk")" \
	"$(entry fault "http://127.0.0.1:$FAKE_PORT/fault/sdk")" \
	"$(entry html "http://127.0.0.1:$FAKE_PORT/html/sdk")" \
	"$(entry status500 "http://127.0.0.1:$FAKE_PORT/status500/sdk")" \
	"$(entry noupdates "http://127.0.0.1:$NU_PORT/sdk" "" "$RIG_VCSIM_SMALL_PASS_FILE")"

# --- all at once -----------------------------------------------------------------
t0=$(now_ms)
"$COLLECTOR" -c "$CFG" --once >"$RIG_DIR/log/once.out" 2>"$RIG_DIR/log/once.err" &
cpid=$!
good_ms=
while rig_alive "$cpid"; do
	if has_gen big && has_gen mid && has_gen small; then
		good_ms=$(($(now_ms) - t0))
		still_running=1
		rig_alive "$cpid" || still_running=0
		break
	fi
	sleep 0.05
done
wait "$cpid"
rc=$?
total_ms=$(($(now_ms) - t0))
check "--once exits 1 when some vCenters failed (rc=$rc)" test "$rc" -eq 1
check "nothing hangs: the run ends near collector.timeout (${TIMEOUT} s), took ${total_ms} ms" \
	test "$total_ms" -lt $((TIMEOUT * 1000 + 4000))
for n in big mid small; do status_of "$n"; done
slowest=$("$PY" -c "import json; print(max(json.load(open('$RIG_DIR/st-'+n+'.json'))['duration_ms'] for n in ('big','mid','small')))")
# duration_ms ends before the write, so allow the write and process start-up on top
check "good vCenters stored after ${good_ms:-never} ms, slowest good poll ${slowest} ms" \
	test -n "$good_ms" -a "${good_ms:-99999}" -lt $((slowest * 3 / 2 + 1000))
check "good vCenters stored while the bad ones were still pending" test "${still_running:-0}" -eq 1
for n in big mid small; do
	check "$n: state ok" test "$(jget "$RIG_DIR/st-$n.json" "d['state']")" = ok
done
v=$(rig_vcsim_var big)_VMS
check "big: all ${!v} VMs stored" test "$(jget "$RIG_DIR/st-big.json" "d['counts']['vm']")" = "${!v}"

# expect ID STATE_PATTERN ERROR_PATTERN: the status record of a failed vCenter.
expect() {
	local id=$1 code err
	status_of "$id" || { not_ok "$id: no status record"; return; }
	code=$(jget "$RIG_DIR/st-$id.json" "d['error_code']")
	err=$(jget "$RIG_DIR/st-$id.json" "d['error']")
	check "$id: state error" test "$(jget "$RIG_DIR/st-$id.json" "d['state']")" = error
	if [[ "$code" =~ $2 ]] && [[ "$err" =~ $3 ]]; then
		ok "$id: recorded as '$code': $err"
	else
		not_ok "$id: error_code '$code' !~ /$2/ or error '$err' !~ /$3/"
	fi
	check "$id: retry scheduled (failures 1, retry_in_s > 0)" \
		test "$(jget "$RIG_DIR/st-$id.json" "d['failures'] == 1 and d['retry_in_s'] > 0")" = True
}
# a vCenter whose updates filter fails: a plain full retrieval instead, at once
status_of noupdates
check "noupdates: state ok through a full retrieval" test "$(jget "$RIG_DIR/st-noupdates.json" "d['state']")" = ok
v=$(rig_vcsim_var small)_VMS
check "noupdates: all ${!v} VMs stored" test "$(jget "$RIG_DIR/st-noupdates.json" "d['counts']['vm']")" = "${!v}"
check "noupdates: mode full" test "$(jget "$RIG_DIR/st-noupdates.json" "d['mode']")" = full
check "noupdates: the fallback is logged" grep -q 'event=poll.incr_unavailable vcenter=noupdates' "$RIG_DIR/log/once.err"
expect closed '[Cc]onnect|reach' '.'
expect hole '[Tt]ime' '.'
expect truncated '[Pp]ars|XML|[Mm]alformed' '.'
expect fault '[Ff]ault' 'shutting down|SystemError'
expect html 'HTTP' '503'
expect status500 'HTTP' '500'
check "no crash or sanitizer report" bash -c "! grep -qE 'ERROR: (Address|Leak|Undefined)|runtime error' '$RIG_DIR/log/once.err'"

# --- SIGTERM while a poll hangs ---------------------------------------------------
CFG2=$RIG_DIR/term.json
write_config "$CFG2" 60 "$(sim_entry small)" "$(entry hole "http://127.0.0.1:$HOLE_PORT/sdk")"
rig_redis_cli DEL "vc:{small}:gen" >/dev/null
rig_spawn daemon "$COLLECTOR" -c "$CFG2"
dpid=$RIG_LAST_PID
rig_wait_for 20 "small polled by the daemon" has_gen small || true
sleep 0.5
q=$VC_TOP/tests/integration/test-collector-query.py
sessions_before=$("$PY" "$q" "$RIG_VCSIM_SMALL_URL" "$RIG_VCSIM_SMALL_USER" "$RIG_VCSIM_SMALL_PASS_FILE" "$RIG_VCSIM_SMALL_CERT" sessions)
t0=$(now_ms)
kill -TERM "$dpid"
while rig_alive "$dpid" && [ $(($(now_ms) - t0)) -lt 10000 ]; do sleep 0.05; done
stop_ms=$(($(now_ms) - t0))
check "SIGTERM with a hanging poll: exit within 5 s (took ${stop_ms} ms)" test "$stop_ms" -lt 5000
wait "$dpid"
check "daemon exit status 0 after SIGTERM" test $? -eq 0
rig_forget "$dpid"
check "session of small logged out" grep -q 'event=poll.logout vcenter=small' "$RIG_DIR/log/daemon.err"
sessions_after=$("$PY" "$q" "$RIG_VCSIM_SMALL_URL" "$RIG_VCSIM_SMALL_USER" "$RIG_VCSIM_SMALL_PASS_FILE" "$RIG_VCSIM_SMALL_CERT" sessions)
check "simulator sessions drop by one at exit ($sessions_before -> $sessions_after)" \
	test "$sessions_after" -eq $((sessions_before - 1))

# --once is interrupted the same way (its wait for the workers looks at the signal)
"$COLLECTOR" -c "$CFG2" --once 2>"$RIG_DIR/log/once-term.err" &
opid=$!
sleep 1.5
t0=$(now_ms)
kill -TERM "$opid"
while rig_alive "$opid" && [ $(($(now_ms) - t0)) -lt 10000 ]; do sleep 0.05; done
stop_ms=$(($(now_ms) - t0))
wait "$opid"
orc=$?
check "SIGTERM during --once with a hanging poll: exit within 5 s (${stop_ms} ms), status 1 (got $orc)" \
	test "$stop_ms" -lt 5000 -a "$orc" -eq 1

[ "$FAIL" -eq 0 ] || { echo "--- once.err"; tail -30 "$RIG_DIR/log/once.err"; echo "--- daemon.err"; tail -20 "$RIG_DIR/log/daemon.err"; }
finish
