#!/usr/bin/env bash
# The admin CLI over its real interfaces: keygen (stdout, file mode 0600, refusing to
# overwrite), check-config (ok and broken), dump of sealed data written by the real
# collector from a simulator, a tampered value (exit 1, nothing on stdout), --help,
# --version and the usage exit code on every command.
set -u
. "$VC_RIG/lib.sh"
rig_init
cli="$VC_BUILD/fcgi/vcompanion"
collector="$VC_BUILD/collector/vcompanion-collector"
pass=0 fail=0
check() { # check NAME CONDITION...
	local name=$1; shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name" >&2; fi
}

# keygen
line=$("$cli" keygen)
check "keygen prints id:base64 of 32 bytes" bash -c '[[ "$1" =~ ^1:[A-Za-z0-9+/]{43}=$ ]]' _ "$line"
check "keygen --id" bash -c '[[ "$("$1" keygen --id 7)" == 7:* ]]' _ "$cli"
"$cli" keygen "$RIG_DIR/k1"
check "keygen FILE has mode 0600" test "$(stat -c %a "$RIG_DIR/k1")" = 600
"$cli" keygen "$RIG_DIR/k1" 2>"$RIG_DIR/err"; rc=$?
check "keygen refuses to overwrite (exit 1)" test $rc -eq 1
check "keygen says why" grep -q "refusing to overwrite" "$RIG_DIR/err"
"$cli" keygen --id 300 >/dev/null 2>&1; rc=$?
check "keygen --id 300 is a usage error" test $rc -eq 2

# every command has --help and usage errors exit 2
for cmd in keygen check-config dump render; do
	"$cli" $cmd --help | grep -q "usage: vcompanion" ; check "$cmd --help" test $? -eq 0
done
check "--version" bash -c '"$1" --version | grep -q "^vcompanion [0-9]"' _ "$cli"
"$cli" nosuch >/dev/null 2>&1; check "unknown command exits 2" test $? -eq 2
"$cli" check-config >/dev/null 2>&1; check "check-config without FILE exits 2" test $? -eq 2
"$cli" dump >/dev/null 2>&1; check "dump without -c exits 2" test $? -eq 2

# a simulator, Redis, the collector
rig_redis_start
rig_vcsim_start a -vms=3
rig_keygen
rig_config "$RIG_DIR/vc.json"
out=$("$cli" check-config "$RIG_CONFIG")
check "check-config ok" bash -c '[[ "$1" == *"ok (1 vCenters)"* ]]' _ "$out"
sed 's/"interval": 60/"interval": 30/' "$RIG_CONFIG" >"$RIG_DIR/bad.json"
"$cli" check-config "$RIG_DIR/bad.json" 2>"$RIG_DIR/err"; rc=$?
check "check-config out of range exits 1" test $rc -eq 1
check "check-config names file and path" grep -q "bad.json: \$.collector.interval: 30 is out of range" "$RIG_DIR/err"
chmod 644 "$RIG_KEY_FILE"
"$cli" check-config "$RIG_CONFIG" 2>"$RIG_DIR/err"; rc=$?
check "check-config refuses a world-readable key file" test $rc -eq 1
check "... and says chmod" grep -q chmod "$RIG_DIR/err"
chmod 600 "$RIG_KEY_FILE"

"$collector" -c "$RIG_CONFIG" --once 2>"$RIG_DIR/collector.log"
check "collector --once succeeds" test $? -eq 0
vms=$("$cli" -c "$RIG_CONFIG" dump --vcenter a --type vm)
n=$(printf '%s' "$vms" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "dump --type vm has the simulator's VMs ($n = $RIG_VCSIM_A_VMS)" test "$n" = "$RIG_VCSIM_A_VMS"
check "every record has moref, name, vcenter" python3 -c '
import json,sys
recs=json.loads(sys.argv[1])
assert recs and all(r["moref"] and r["name"] and r["vcenter"]=="a" for r in recs)' "$vms"
st=$("$cli" -c "$RIG_CONFIG" dump --vcenter a --type status)
check "status: state ok and counts" python3 -c '
import json,sys
s=json.loads(sys.argv[1])
assert s["state"]=="ok" and s["last_success"] and s["error"] is None and s["counts"]["vm"]==int(sys.argv[2])
assert isinstance(s["duration_ms"], int)' "$st" "$RIG_VCSIM_A_VMS"
all=$("$cli" -c "$RIG_CONFIG" dump)
check "dump without --type holds every type" python3 -c '
import json,sys
d=json.loads(sys.argv[1])["a"]
for t in ("vm","host","cluster","datastore","network","status"): assert t in d, t' "$all"
"$cli" -c "$RIG_CONFIG" dump --type bogus >/dev/null 2>&1
check "dump --type bogus exits 2" test $? -eq 2
check "no secret in collector log" bash -c '! grep -qF "$(head -n1 "$1")" "$2"' _ "$RIG_VCSIM_A_PASS_FILE" "$RIG_DIR/collector.log"

# tamper with one sealed value: dump refuses it, prints nothing, exits 1
rig_redis_cli SETRANGE 'vc:{a}:host' 40 X >/dev/null
"$cli" -c "$RIG_CONFIG" dump --vcenter a --type host >"$RIG_DIR/out" 2>"$RIG_DIR/err"; rc=$?
check "tampered value: exit 1" test $rc -eq 1
check "tampered value: nothing on stdout" test ! -s "$RIG_DIR/out"
check "tampered value: says so" grep -q "failed to open" "$RIG_DIR/err"
# a value moved under another key name fails the same way
rig_redis_cli COPY 'vc:{a}:vm' 'vc:{a}:datastore' REPLACE >/dev/null
"$cli" -c "$RIG_CONFIG" dump --vcenter a --type datastore >"$RIG_DIR/out" 2>/dev/null; rc=$?
check "moved value: exit 1, no output" bash -c '[ "$1" -eq 1 ] && [ ! -s "$2" ]' _ $rc "$RIG_DIR/out"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
