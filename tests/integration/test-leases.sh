#!/usr/bin/env bash
# Several collectors against one Redis (docs/collector.md, "Leases"): two daemons with
# the same configuration share three simulated vCenters, each vCenter polled by the
# one holding its lease (lease:{id}); the fencing counters grow; a collector killed
# with -9 loses its vCenters to the other within the lease time; SIGTERM releases the
# leases at once; a collector whose lease was overwritten by another owner stops
# writing that vCenter (vc:{id}:gen stands still), logs it, and takes it back with a
# full retrieval once the foreign lease is gone.
set -uo pipefail
. "$VC_RIG/lib.sh"
rig_init
. "$VC_RIG/check.sh"   # ok, not_ok, check, finish

COLLECTOR=$VC_BUILD/collector/vcompanion-collector
ADMIN=$VC_BUILD/fcgi/vcompanion
LEASE_MS=5000
IDS="a b c"
now_ms() { date +%s%3N; }

lease_of() { rig_redis_cli GET "lease:{$1}"; }
holder_of() { lease_of "$1" | sed 's/:[0-9]*$//'; }
fence_of() { local f; f=$(rig_redis_cli GET "lease:{$1}:fence"); echo "${f:-0}"; }
gen_of() { local g; g=$(rig_redis_cli GET "vc:{$1}:gen"); echo "${g:-0}"; }
status_field() { "$ADMIN" -c "$CFG" dump --vcenter "$1" --type status 2>/dev/null | jq -r ".$2 // empty"; }
owner_in_log() { sed -n 's/.*event=collector.start .*owner="\([^"]*\)".*/\1/p' "$RIG_DIR/log/$1.err" | head -n1; }
count_in_log() { grep -c "event=$2 vcenter=$3 " "$RIG_DIR/log/$1.err"; }
refresh() { rig_redis_cli INCR cmd:refresh >/dev/null; }

# every vCenter leased by OWNER and its status written by OWNER
all_held_by() {
	local id
	for id in $IDS; do
		[ "$(holder_of "$id")" = "$1" ] && [ "$(status_field "$id" owner)" = "$1" ] || return 1
	done
}
# every vCenter leased by one of the owners given, and polled (status ok) by it
all_held_and_polled() {
	local id h
	for id in $IDS; do
		h=$(holder_of "$id")
		[ -n "$h" ] && [[ " $* " == *" $h "* ]] || return 1
		[ "$(status_field "$id" state)" = ok ] && [ "$(status_field "$id" owner)" = "$h" ] || return 1
	done
}
start_collector() {
	rig_spawn "$1" "$COLLECTOR" -c "$CFG"
	printf -v "PID_$1" '%s' "$RIG_LAST_PID"
	rig_wait_for 10 "$1 start" grep -q 'event=collector.start' "$RIG_DIR/log/$1.err" || rig_die "$1 did not start"
}

rig_redis_start
rig_keygen
for id in $IDS; do rig_vcsim_spawn "$id" -clusters=1 -hosts=1 -standalone=0 -vms=1; done
for id in $IDS; do rig_vcsim_wait "$id"; done
rig_config "$RIG_DIR/base.json"
CFG=$RIG_DIR/c.json
jq ".collector.lease_ms = $LEASE_MS" "$RIG_DIR/base.json" >"$CFG" || rig_die "jq failed"

# --- two collectors share the vCenters ---------------------------------------------------
start_collector c1
start_collector c2
O1=$(owner_in_log c1) O2=$(owner_in_log c2)
check "owners are distinct host:pid:random ids" test -n "$O1" -a -n "$O2" -a "$O1" != "$O2"
check "every vCenter leased and polled within 30 s" rig_wait_for 30 "leases and polls" all_held_and_polled "$O1" "$O2"
for id in $IDS; do
	h=$(holder_of "$id")
	if [ "$h" = "$O1" ]; then mine=c1 other=c2; else mine=c2 other=c1; fi
	check "$id: acquired once over both collectors" \
		test $(($(count_in_log c1 lease.acquired "$id") + $(count_in_log c2 lease.acquired "$id"))) -eq 1
	check "$id: polled by its holder ($mine) only" \
		test "$(count_in_log "$mine" poll.done "$id")" -ge 1 -a "$(count_in_log "$other" poll.done "$id")" -eq 0
	check "$id: status carries the lease's fencing token" \
		test "$(status_field "$id" lease_token)" = "$(lease_of "$id" | sed 's/.*://')"
	check "$id: fencing counter >= 1" test "$(fence_of "$id")" -ge 1
done
declare -A VAL0
for id in $IDS; do VAL0[$id]=$(lease_of "$id"); done
sleep $((LEASE_MS / 1000 + 2))
for id in $IDS; do
	check "$id: lease renewed past its time, same holding" test "$(lease_of "$id")" = "${VAL0[$id]}"
done
pttl=$(rig_redis_cli PTTL "lease:{a}")
check "lease expiry is the configured lease_ms ($pttl ms left)" test "$pttl" -gt 0 -a "$pttl" -le "$LEASE_MS"

# --- kill -9 the holder of a: the other takes its vCenters within the lease time -----------
if [ "$(holder_of a)" = "$O1" ]; then VICTIM=c1 VPID=$PID_c1 SURV=c2 SO=$O2; else VICTIM=c2 VPID=$PID_c2 SURV=c1 SO=$O1; fi
declare -A F1
for id in $IDS; do F1[$id]=$(fence_of "$id"); done
t0=$(now_ms)
kill -KILL "$VPID"
wait "$VPID" 2>/dev/null
rig_forget "$VPID"
check "kill -9 $VICTIM: $SURV holds and polls every vCenter" rig_wait_for 30 "takeover" all_held_by "$SO"
TAKEOVER_MS=$(($(now_ms) - t0))
check "takeover within lease_ms + 5 s (took $TAKEOVER_MS ms)" test "$TAKEOVER_MS" -le $((LEASE_MS + 5000))
check "takeover after the lease ran out, not before (took $TAKEOVER_MS ms)" test "$TAKEOVER_MS" -ge $((LEASE_MS - 1500))
check "a: fencing token grew on takeover" test "$(fence_of a)" -gt "${F1[a]}"
check "$SURV logged the acquisition of a" test "$(count_in_log "$SURV" lease.acquired a)" -eq 1

# --- SIGTERM releases the leases: a third collector takes over at once ---------------------
start_collector c3
O3=$(owner_in_log c3)
sleep 2
check "c3 takes nothing while $SURV holds the leases" test "$(grep -c 'event=lease.acquired' "$RIG_DIR/log/c3.err")" -eq 0
SPID=PID_$SURV
SPID=${!SPID}
t0=$(now_ms)
kill -TERM "$SPID"
wait "$SPID"
check "SIGTERM: $SURV exits 0" test $? -eq 0
rig_forget "$SPID"
check "SIGTERM: $SURV released every lease" grep -q 'event=lease.released leases=3' "$RIG_DIR/log/$SURV.err"
check "SIGTERM: c3 holds and polls every vCenter" rig_wait_for 20 "handover" all_held_by "$O3"
HANDOVER_MS=$(($(now_ms) - t0))
check "SIGTERM handover well within the lease time (took $HANDOVER_MS ms)" test "$HANDOVER_MS" -lt "$LEASE_MS"

# --- a stolen lease: no writes while the foreign lease stands -------------------------------
gb=$(gen_of b) ga=$(gen_of a)
pb=$(status_field b polls) pa=$(status_field a polls) fb=$(status_field b full_retrievals)
rig_redis_cli SET "lease:{b}" "intruder.example:1:0badf00d:999999" PX 60000 >/dev/null
for _ in 1 2 3 4 5 6; do refresh; sleep 1; done
check "stolen b: c3 logs the lost lease" grep -qE "event=lease.(lost|fenced) vcenter=b " "$RIG_DIR/log/c3.err"
check "stolen b: the model is dropped" grep -q 'event=lease.dropped vcenter=b' "$RIG_DIR/log/c3.err"
check "stolen b: vc:{b}:gen did not move ($gb)" test "$(gen_of b)" -eq "$gb"
check "stolen b: no status written for b (polls $pb)" test "$(status_field b polls)" = "$pb"
check "stolen b: the foreign lease stands" test "$(lease_of b)" = "intruder.example:1:0badf00d:999999"
check "stolen b: a is still polled on refresh" test "$(status_field a polls)" -gt "$pa"
rig_redis_cli DEL "lease:{b}" >/dev/null
check "b freed: c3 takes it back and writes" rig_wait_for 10 "b back" bash -c \
	"[ \"\$(redis-cli -s '$RIG_REDIS_SOCK' --user rigadmin --pass '$RIG_REDIS_ADMIN_PASS' --no-auth-warning GET 'vc:{b}:gen')\" -gt $gb ]"
check "b freed: held by c3 again" test "$(holder_of b)" = "$O3"
check "b freed: starts again with a full retrieval" test "$(status_field b full_retrievals)" -gt "$fb"

check "no sanitizer report" bash -c "! grep -qE 'ERROR: (Address|Leak|Undefined)|runtime error' '$RIG_DIR'/log/c*.err"
[ "$FAIL" -eq 0 ] || for n in c1 c2 c3; do echo "--- $n.err"; grep -v 'poll.done' "$RIG_DIR/log/$n.err" | tail -25; done
echo "# takeover after kill -9: $TAKEOVER_MS ms (lease_ms $LEASE_MS); handover after SIGTERM: $HANDOVER_MS ms"
finish
