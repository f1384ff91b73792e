#!/usr/bin/env bash
# The collector against the simulator, end to end: what it stores (counts per type,
# sampled fields, custom attributes, tags) equals what an independent SOAP/REST client
# (test-collector-query.py) reads from the simulator; --once exit codes; a wrong
# password (InvalidLogin recorded, backoff applied, not retried on refresh); the
# daemon's refresh counter (cmd:refresh); a vCenter going down (previous records kept,
# status "stale") and coming back; a simulator restarted between polls (session lost,
# re-login, success); SIGHUP reload keeping the other sessions; SIGTERM.
set -uo pipefail
. "$VC_RIG/lib.sh"
# /usr/bin/python3 first: a version manager's shim on PATH costs seconds per call.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
rig_init

. "$VC_RIG/check.sh"   # ok, not_ok, check, finish

COLLECTOR=$VC_BUILD/collector/vcompanion-collector
ADMIN=$VC_BUILD/fcgi/vcompanion
QUERY=$VC_TOP/tests/integration/test-collector-query.py

jget() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
dump() { "$ADMIN" -c "$CFG" dump --vcenter "$1" --type "$2"; }
status_of() { dump "$1" status >"$RIG_DIR/st-$1.json" 2>/dev/null; }
state_is() { status_of "$1" && [ "$(jget "$RIG_DIR/st-$1.json" "d['state']")" = "$2" ]; }
gen_of() { local g; g=$(rig_redis_cli GET "vc:{$1}:gen"); echo "${g:-0}"; }
gen_above() { [ "$(gen_of "$1")" -gt "$2" ]; }
# Polls of a vCenter so far (status "polls"); generations move only when data changes.
polls_of() { dump "$1" status 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin).get("polls", 0))' 2>/dev/null || echo 0; }
polled_since() { [ "$(polls_of "$1")" -gt "$2" ]; }
logins() { grep -c "event=poll.login vcenter=$1 " "$RIG_DIR/log/daemon.err"; }
refresh() { rig_redis_cli INCR cmd:refresh >/dev/null; }
query() {
	local v
	v=$(rig_vcsim_var "$1")
	local url=${v}_URL user=${v}_USER pf=${v}_PASS_FILE cert=${v}_CERT
	shift
	"$PY" "$QUERY" "${!url}" "${!user}" "${!pf}" "${!cert}" "$@"
}

# entry ID URL PASS_FILE [CA_FILE]: one vCenter (no CA file: verify_tls false, for a
# simulator that restarts with a new certificate).
entry() {
	local tls='"verify_tls": false, "ca_file": null'
	[ -n "${4:-}" ] && tls="\"verify_tls\": true, \"ca_file\": \"$4\""
	printf '{ "id": "%s", "name": "Sim %s", "url": "%s", %s, "interval": 60,
	   "user": "administrator@vsphere.local", "password_file": "%s" }' "$1" "$1" "$2" "$tls" "$3"
}
write_config() {
	local out=$1 list
	shift
	list=$(IFS=,; echo "$*")
	cat >"$out.tmp" <<EOF
{ "redis": { "socket": "$RIG_REDIS_SOCK",
             "collector": { "user": "collector", "password_file": "$RIG_REDIS_COLLECTOR_PASS_FILE" },
             "web": { "user": "web", "password_file": "$RIG_REDIS_WEB_PASS_FILE" } },
  "key_file": "$RIG_KEY_FILE",
  "collector": { "concurrency": 4, "interval": 60, "timeout": 20 },
  "vcenters": [ $list ] }
EOF
	mv "$out.tmp" "$out"
}

rig_redis_start
rig_keygen
B_PORT=$(rig_free_port)
B_PASS=$(rig_secret)
rig_vcsim_spawn a -datacenters=2 -clusters=2 -vms=5          # 30 VMs
rig_vcsim_spawn b -port="$B_PORT" -password="$B_PASS"
rig_vcsim_spawn c
for n in a b c; do rig_vcsim_wait "$n"; done
rig_write_secret "$RIG_DIR/wrong.pass" "not-the-password"
E_A=$(entry a "$RIG_VCSIM_A_URL" "$RIG_VCSIM_A_PASS_FILE" "$RIG_VCSIM_A_CERT")
E_B=$(entry b "$RIG_VCSIM_B_URL" "$RIG_VCSIM_B_PASS_FILE")
E_C=$(entry c "$RIG_VCSIM_C_URL" "$RIG_VCSIM_C_PASS_FILE" "$RIG_VCSIM_C_CERT")
E_W=$(entry w "$RIG_VCSIM_B_URL" "$RIG_DIR/wrong.pass")
CFG=$RIG_DIR/c1.json
write_config "$CFG" "$E_A" "$E_B" "$E_W"

# --- custom attributes and tags on a, set through the API ---------------------------
query a facts >"$RIG_DIR/facts0.json"
pick() { jget "$RIG_DIR/facts0.json" "sorted(d['$1'])[$2]"; }
VM1=$(pick vm 0) VM2=$(pick vm 1) HOST1=$(pick host 0) DS1=$(pick datastore 0) CL1=$(pick cluster 0)
query a set-custom Owner team-blue "VirtualMachine:$VM1" "HostSystem:$HOST1" "Datastore:$DS1" \
	"ClusterComputeResource:$CL1"
query a set-custom "Cost center" "CC 42 & co" "VirtualMachine:$VM1" "VirtualMachine:$VM2"
query a set-tag Env prod "VirtualMachine:$VM1" "HostSystem:$HOST1" "Datastore:$DS1" "ClusterComputeResource:$CL1"
query a set-tag Team blue "VirtualMachine:$VM1"
query a set-tag Env test "VirtualMachine:$VM2"
query a facts >"$RIG_DIR/facts.json"

# --- --once: exit codes and what is stored ------------------------------------------
"$COLLECTOR" -c "$CFG" --once --vcenter a 2>"$RIG_DIR/log/once-a.err"
check "--once --vcenter a exits 0" test $? -eq 0
"$COLLECTOR" -c "$CFG" --once 2>"$RIG_DIR/log/once.err"
check "--once exits 1 when one vCenter fails" test $? -eq 1
"$COLLECTOR" -c "$CFG" --once --vcenter nope 2>/dev/null
check "--once --vcenter with an unknown id exits 1" test $? -eq 1

for t in vm host datastore cluster network dvs datacenter resourcepool pod tag status; do
	dump a "$t" >"$RIG_DIR/dump-$t.json" || not_ok "dump a $t"
done
"$PY" - "$RIG_DIR" "$VM1" "$VM2" "$HOST1" "$DS1" "$CL1" <<'EOF' && ok "stored records equal the independent query" || not_ok "stored records differ from the independent query"
import json, sys
d, vm1, vm2, host1, ds1, cl1 = sys.argv[1:7]
facts = json.load(open(d + "/facts.json"))
dump = {t: json.load(open("%s/dump-%s.json" % (d, t))) for t in
        ("vm", "host", "datastore", "cluster", "network", "dvs", "datacenter", "resourcepool", "pod", "tag")}
bad = []
for t, n in facts["counts"].items():
    if len(dump[t]) != n:
        bad.append("count %s: stored %d, simulator %d" % (t, len(dump[t]), n))
for t in ("vm", "host", "datastore", "cluster"):
    stored = {r["moref"]: r for r in dump[t]}
    for moref, want in facts[t].items():
        got = stored.get(moref)
        if got is None:
            bad.append("%s %s missing" % (t, moref))
            continue
        for k, v in want.items():
            if got.get(k) != v:
                bad.append("%s %s %s: stored %r, simulator %r" % (t, moref, k, got.get(k), v))
        if got.get("vcenter") != "a":
            bad.append("%s %s: vcenter %r" % (t, moref, got.get("vcenter")))
def tags(t, moref):
    return next(r["tags"] for r in dump[t] if r["moref"] == moref)
want = {("vm", vm1): [{"category": "Env", "name": "prod"}, {"category": "Team", "name": "blue"}],
        ("vm", vm2): [{"category": "Env", "name": "test"}],
        ("host", host1): [{"category": "Env", "name": "prod"}],
        ("datastore", ds1): [{"category": "Env", "name": "prod"}],
        ("cluster", cl1): [{"category": "Env", "name": "prod"}]}
for (t, m), w in want.items():
    if tags(t, m) != w:
        bad.append("tags of %s %s: %r, want %r" % (t, m, tags(t, m), w))
tagged = sum(1 for t in ("vm", "host", "datastore", "cluster") for r in dump[t] if r["tags"])
if tagged != 5:
    bad.append("%d objects carry tags, want 5" % tagged)
trec = {(r["category"], r["name"]): r["object_count"] for r in dump["tag"]}
if trec != {("Env", "prod"): 4, ("Env", "test"): 1, ("Team", "blue"): 1}:
    bad.append("tag records %r" % trec)
print("compared %d VMs, %d hosts, %d datastores, %d clusters" % tuple(len(facts[t]) for t in ("vm", "host", "datastore", "cluster")))
for b in bad[:20]:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF
check "custom attributes by name on VM, host, datastore, cluster" test "$("$PY" -c "
import json
d = {t: json.load(open('$RIG_DIR/dump-%s.json' % t)) for t in ('vm', 'host', 'datastore', 'cluster')}
print(sum(1 for t in d for r in d[t] if r['custom'].get('Owner') == 'team-blue'))")" = 4
check "custom attribute by name on the VM" test "$(jget "$RIG_DIR/dump-vm.json" "[r['custom'] for r in d if r['moref']=='$VM1'][0]")" = "{'Owner': 'team-blue', 'Cost center': 'CC 42 & co'}"
check "status a: ok, no tags error, counts" test "$(jget "$RIG_DIR/dump-status.json" "(d['state'], d['tags_error'], d['counts']['vm'])")" = "('ok', None, $RIG_VCSIM_A_VMS)"

# --- wrong password ------------------------------------------------------------------
status_of w
check "wrong password: InvalidLogin recorded" test "$(jget "$RIG_DIR/st-w.json" "(d['state'], d['error_code'])")" = "('error', 'vCenter refused the user name or password')" \
	|| cat "$RIG_DIR/st-w.json"
check "wrong password: backoff of one interval (60 s +-10 %)" \
	test "$(jget "$RIG_DIR/st-w.json" "d['failures'] == 1 and 53 <= d['retry_in_s'] <= 67")" = True

# --- the daemon: refresh, stale, restart, reload --------------------------------------
rig_spawn daemon "$COLLECTOR" -c "$CFG"
DPID=$RIG_LAST_PID
# the allocator settings it measured best with (collector/main.c, tune_allocator);
# glibc cuts the variable after its first value while parsing it in place
check "daemon runs with its allocator tunables" rig_wait_for 5 "re-exec" \
	grep -qz '^GLIBC_TUNABLES=glibc.malloc.hugetlb=1' "/proc/$DPID/environ"
check "daemon keeps its name after the re-exec" grep -qx 'vcompanion-coll' "/proc/$DPID/comm"
unit_tunables=$(sed -n 's/^Environment=GLIBC_TUNABLES=//p' "$VC_TOP/ansible/packaging/systemd/vcompanion-collector.service")
check "the systemd unit sets the tunables the collector sets itself" \
	grep -qF "#define ALLOC_TUNABLES \"$unit_tunables\"" "$VC_TOP/collector/main.c"
g=$(gen_of a)
rig_wait_for 20 "first daemon poll of a" gen_above a "$g"
rig_wait_for 20 "first daemon poll of w" grep -q 'event=poll.failed vcenter=w' "$RIG_DIR/log/daemon.err"
sleep 1.5                                  # the refresh baseline is read once a second
ga=$(polls_of a) gw=$(polls_of w)
refresh
check "cmd:refresh triggers a poll" rig_wait_for 10 "refresh poll of a" polled_since a "$ga"
sleep 1
check "refresh does not retry a refused login (backoff kept)" test "$(polls_of w)" -eq "$gw"
check "a's session reused (one login)" test "$(logins a)" -eq 1

# b goes down: previous records kept, state stale
nvm_b=$(dump b vm | jget /dev/stdin "len(d)")
rig_stop_pid "$RIG_VCSIM_B_PID"
rig_forget "$RIG_VCSIM_B_PID"
refresh
check "b down: status stale" rig_wait_for 15 "b stale" state_is b stale
check "b down: error recorded" test "$(jget "$RIG_DIR/st-b.json" "d['error'] is not None and d['last_success'] is not None")" = True
check "b down: previous records still served by dump ($nvm_b VMs)" test "$(dump b vm | jget /dev/stdin "len(d)")" = "$nvm_b"
check "b down: status keeps the last counts" test "$(jget "$RIG_DIR/st-b.json" "d['counts'].get('vm')")" = "$nvm_b"

# b comes back on the same port: success on the next poll
rig_vcsim_start b -port="$B_PORT" -password="$B_PASS"
refresh
check "b back: next poll succeeds" rig_wait_for 15 "b ok" state_is b ok

# b restarts between two polls: the kept session is gone, re-login, success
gb=$(gen_of b)
logins_b=$(logins b)
rig_stop_pid "$RIG_VCSIM_B_PID"
rig_forget "$RIG_VCSIM_B_PID"
rig_vcsim_start b -port="$B_PORT" -password="$B_PASS"
refresh
check "b restarted: next poll succeeds" rig_wait_for 15 "b polled" gen_above b "$gb"
check "b restarted: state ok" state_is b ok
check "b restarted: logged in again" bash -c "[ \$(grep -c 'event=poll.login vcenter=b \|event=vc.relogin' '$RIG_DIR/log/daemon.err') -gt $logins_b ]"

# SIGHUP: w removed, c added, a keeps its session
write_config "$CFG" "$E_A" "$E_B" "$E_C"
kill -HUP "$DPID"
check "SIGHUP reloads" rig_wait_for 10 "reload" grep -q 'event=collector.reloaded vcenters=3' "$RIG_DIR/log/daemon.err"
check "SIGHUP: c polled" rig_wait_for 15 "c polled" state_is c ok
check "SIGHUP: w dropped" grep -q 'event=collector.vcenter_removed vcenter=w' "$RIG_DIR/log/daemon.err"
ga=$(polls_of a)
refresh
rig_wait_for 10 "a polled after reload" polled_since a "$ga"

# incremental: a VM renamed through the API reaches the records and the event log
# through WaitForUpdatesEx, without a full retrieval
full0=$(dump a status | jget /dev/stdin "d['full_retrievals']")
query a rename "$VM1" "renamed-by-test"
renamed() { refresh; sleep 0.5; dump a vm | jget /dev/stdin "[r['name'] for r in d if r['moref']=='$VM1'][0]" | grep -qx renamed-by-test; }
check "incremental: rename reaches the records" rig_wait_for 15 "rename" renamed
check "incremental: a rename event is logged" rig_wait_for 5 "event" bash -c \
	"'$ADMIN' -c '$CFG' dump --vcenter a --type events | grep -q '\"to\": \"renamed-by-test\"'"
check "incremental: no full retrieval for it" test "$(dump a status | jget /dev/stdin "d['full_retrievals']")" = "$full0"
# a renamed cluster reaches the records of its VMs (a derived field: the cycle rebuilds
# only the VMs that name the cluster, from the built-record cache; the simulator does
# not rename hosts, the unit test test-inv covers those)
C1=$(dump a vm | jget /dev/stdin "[r['cluster'] for r in d if r['cluster']][0]")   # not a standalone host's VM
query a rename "$C1" "cluster-renamed-by-test" ClusterComputeResource
cluster_renamed() { refresh; sleep 0.5; dump a vm | jget /dev/stdin \
	"all(r['cluster_name']=='cluster-renamed-by-test' for r in d if r['cluster']=='$C1') and any(r['cluster']=='$C1' for r in d)" | grep -qx True; }
check "incremental: a renamed cluster's name reaches all its VMs" rig_wait_for 15 "cluster rename" cluster_renamed
check "incremental: other VMs keep their clusters' names" test "$(dump a vm | jget /dev/stdin \
	"sum(1 for r in d if r['cluster']!='$C1' and r['cluster_name']=='cluster-renamed-by-test')")" = 0
check "incremental: no full retrieval for the cluster rename" test "$(dump a status | jget /dev/stdin "d['full_retrievals']")" = "$full0"
check "SIGHUP: a's session kept (still one login)" test "$(logins a)" -eq 1

# SIGTERM
t0=$(date +%s%3N)
kill -TERM "$DPID"
while rig_alive "$DPID" && [ $(($(date +%s%3N) - t0)) -lt 10000 ]; do sleep 0.05; done
check "SIGTERM: exit within 5 s ($(($(date +%s%3N) - t0)) ms)" test $(($(date +%s%3N) - t0)) -lt 5000
wait "$DPID"
check "SIGTERM: exit status 0" test $? -eq 0
rig_forget "$DPID"
check "SIGTERM: sessions logged out" test "$(grep -c 'event=poll.logout' "$RIG_DIR/log/daemon.err")" -ge 3
check "no sanitizer report" bash -c "! grep -qE 'ERROR: (Address|Leak|Undefined)|runtime error' '$RIG_DIR'/log/*.err"

[ "$FAIL" -eq 0 ] || { echo "--- daemon.err"; tail -30 "$RIG_DIR/log/daemon.err"; }
finish
