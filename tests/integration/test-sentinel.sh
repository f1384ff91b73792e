#!/usr/bin/env bash
# Redis Sentinel as the Redis address (docs/operations.md, "Redis with Sentinel"): a
# master, one replica and one sentinel on loopback with the project's ACL; the
# collector, configured with the sentinel only, finds the master and writes; after
# SENTINEL FAILOVER it follows the new master (the old one answers READONLY) and keeps
# writing there; `vcompanion dump` reads through the sentinel before and after.
set -uo pipefail
. "$VC_RIG/lib.sh"
rig_init
. "$VC_RIG/check.sh"   # ok, not_ok, check, finish

COLLECTOR=$VC_BUILD/collector/vcompanion-collector
ADMIN=$VC_BUILD/fcgi/vcompanion

gen_at() { local g; g=$(rig_redis_cli_at "$1" GET "vc:{a}:gen"); echo "${g:-0}"; }
gen_above_at() { [ "$(gen_at "$1")" -gt "$2" ]; }
role_of() { rig_redis_cli_at "$1" ROLE | head -n1; }
status_field() { "$ADMIN" -c "$CFG" dump --vcenter a --type status 2>/dev/null | jq -r ".$1 // empty"; }
status_ok() { [ "$(status_field state)" = ok ]; }
master_moved() { local p; p=$(rig_sentinel_master_port); [ -n "$p" ] && [ "$p" != "$1" ] && [ "$(role_of "$p")" = master ]; }
refresh_at() { rig_redis_cli_at "$1" INCR cmd:refresh >/dev/null; }

rig_redis_ha_start vcompanion
rig_keygen
rig_vcsim_start a -clusters=1 -hosts=1 -standalone=0 -vms=2
rig_config "$RIG_DIR/base.json"
CFG=$RIG_DIR/c.json
jq '.collector.lease_ms = 5000' "$RIG_DIR/base.json" >"$CFG" || rig_die "jq failed"
check "the configuration names the sentinel, not a socket" \
	test "$(jq -r '.redis.sentinels[0] + " " + .redis.master + " " + (.redis.socket // "none")' "$CFG")" = "$RIG_REDIS_SENTINELS vcompanion none"
check "check-config accepts it" "$ADMIN" check-config "$CFG"

M0=$(rig_sentinel_master_port)
rig_spawn collector "$COLLECTOR" -c "$CFG"
CPID=$RIG_LAST_PID
check "the collector writes through the sentinel's master" rig_wait_for 30 "first write" gen_above_at "$M0" 0
check "the collector logged the master it found" grep -q "event=store.master master=\"vcompanion\" addr=127.0.0.1:$M0 " "$RIG_DIR/log/collector.err"
check "dump through the sentinel: status ok" rig_wait_for 10 "dump" status_ok
check "dump through the sentinel: the VMs" test "$("$ADMIN" -c "$CFG" dump --vcenter a --type vm | jq length)" = "$RIG_VCSIM_A_VMS"
G0=$(gen_at "$M0")
P0=$(status_field polls)

# --- failover: the replica becomes the master ------------------------------------------------
check "SENTINEL FAILOVER accepted" test "$(rig_sentinel_cli SENTINEL FAILOVER vcompanion)" = OK
check "the sentinel names a new master" rig_wait_for 30 "failover" master_moved "$M0"
M1=$(rig_sentinel_master_port)
check "the old master is a replica now" rig_wait_for 15 "demotion" bash -c "[ \"\$(redis-cli -h 127.0.0.1 -p $M0 --user rigadmin --pass '$RIG_REDIS_ADMIN_PASS' --no-auth-warning ROLE | head -n1)\" = slave ]"
# a VM renamed in the simulator: the next poll has something to write, so the generation moves
VM=$("$ADMIN" -c "$CFG" dump --vcenter a --type vm | jq -r '.[0].moref')
/usr/bin/python3 "$VC_TOP/tests/integration/test-collector-query.py" "$RIG_VCSIM_A_URL" \
	"$RIG_VCSIM_A_USER" "$RIG_VCSIM_A_PASS_FILE" "$RIG_VCSIM_A_CERT" rename "$VM" renamed-after-failover
polled_on_new() { refresh_at "$M1"; sleep 0.5; gen_above_at "$M1" "$G0"; }
check "after the failover the collector writes to the new master (gen > $G0)" rig_wait_for 40 "write on new master" polled_on_new
check "the collector followed the new master" grep -q "event=store.master master=\"vcompanion\" addr=127.0.0.1:$M1 " "$RIG_DIR/log/collector.err"
check "the old master's READONLY or lost connection was noticed" grep -qE 'event=store.(readonly|disconnected|batch_retry)' "$RIG_DIR/log/collector.err"
check "the lease lives on the new master" test -n "$(rig_redis_cli_at "$M1" GET 'lease:{a}')"
check "dump through the sentinel after the failover: newer status" test "$(status_field polls)" -gt "$P0"
check "the rename reached the new master" bash -c "'$ADMIN' -c '$CFG' dump --vcenter a --type vm | grep -q renamed-after-failover"
check "the collector is still running" rig_alive "$CPID"

kill -TERM "$CPID"
wait "$CPID"
check "SIGTERM: exit 0" test $? -eq 0
rig_forget "$CPID"
check "SIGTERM: the lease is released on the new master" test -z "$(rig_redis_cli_at "$M1" GET 'lease:{a}')"
check "no sanitizer report" bash -c "! grep -qE 'ERROR: (Address|Leak|Undefined)|runtime error' '$RIG_DIR'/log/collector.err"
[ "$FAIL" -eq 0 ] || { echo "--- collector.err"; tail -40 "$RIG_DIR/log/collector.err"; }
finish
