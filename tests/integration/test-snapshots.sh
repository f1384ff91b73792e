#!/usr/bin/env bash
# The snapshot cockpit end to end: real nginx (TLS) -> FastCGI -> vcompanion-web, real
# Redis, three vCenter simulators (east and west in the session, north outside it)
# filled by the collector. Takes snapshots of two VMs from a pasted list (an unknown
# name reported, a name both vCenters hold offered as candidates), confirms through
# /ops/vm, finds them on /snapshots after a collector pass (filters, oldest first),
# removes them after a preview that refuses another vCenter's and unknown targets,
# and checks they are gone from the page and from `vcompanion dump`. Also: the VM
# detail page's Revert and Remove buttons, CSRF on every POST, and a hostile VM name,
# snapshot name and description shown as text. SNAP_HOLD=SECONDS keeps the rig up.
set -euo pipefail
. "$VC_RIG/lib.sh"
rig_init

pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok   $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

USER_OK=bob@vsphere.local PASS_OK=Snap-Test-1
rig_redis_start
for vc in east west; do
	rig_vcsim_spawn $vc -datacenters=1 -clusters=1 -hosts=1 -vms=2 -user=$USER_OK -password=$PASS_OK
done
rig_vcsim_spawn north -clusters=0 -vms=1 -user=$USER_OK -password=$PASS_OK
for vc in east west north; do rig_vcsim_wait $vc; done
rig_config "$RIG_DIR/vcompanion.json"
BIN=${VC_BUILD}

dump() { "$BIN/fcgi/vcompanion" -c "$RIG_CONFIG" dump --vcenter "$1" --type "$2"; }
# collect_until CMD...: collector passes, a second apart (at most 15), until CMD holds.
collect_until() {
	local i
	for i in $(seq 15); do
		"$BIN/collector/vcompanion-collector" -c "$RIG_CONFIG" --once >>"$RIG_DIR/log/coll.out" 2>&1 || true
		"$@" && return 0
		sleep 1
	done
	return 1
}
# vim VCENTER BODY: one vim25 SOAP call to a simulator, in a SOAP session of its own.
vim() {
	local v url cert
	v=$(rig_vcsim_var "$1")
	url=${v}_URL cert=${v}_CERT
	curl -sS --cacert "${!cert}" -b "$RIG_DIR/soap-$1" -c "$RIG_DIR/soap-$1" \
		-H 'Content-Type: text/xml' -H 'SOAPAction: "urn:vim25/7.0"' --data-binary @- "${!url}" <<EOF
<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:vim25"><soapenv:Body>$2</soapenv:Body></soapenv:Envelope>
EOF
}
vim_login() {
	vim "$1" "<v:Login><v:_this type=\"SessionManager\">SessionManager</v:_this><v:userName>$USER_OK</v:userName><v:password>$PASS_OK</v:password></v:Login>" >/dev/null
}

# ---- the estate: two east VMs renamed (one to markup), a snapshot on north
"$BIN/collector/vcompanion-collector" -c "$RIG_CONFIG" --once >"$RIG_DIR/log/coll.out" 2>&1 || true
ALPHA=$(dump east vm | jq -r '.[0].moref')
BETA=$(dump east vm | jq -r '.[1].moref')
THIRD=$(dump east vm | jq -r '.[2].moref')
SHARED=$(comm -12 <(dump east vm | jq -r '.[].name' | sort) <(dump west vm | jq -r '.[].name' | sort) | grep -v -x -e "$(dump east vm | jq -r '.[0].name')" -e "$(dump east vm | jq -r '.[1].name')" | head -1)
check "a VM name both east and west hold ($SHARED)" test -n "$SHARED"
EVIL_VM='<i>beta</i>{{x}}'
vim_login east
vim east "<v:Rename_Task><v:_this type=\"VirtualMachine\">$ALPHA</v:_this><v:newName>Snap-Alpha</v:newName></v:Rename_Task>" >/dev/null
vim east "<v:Rename_Task><v:_this type=\"VirtualMachine\">$BETA</v:_this><v:newName>&lt;i&gt;beta&lt;/i&gt;{{x}}</v:newName></v:Rename_Task>" >/dev/null
NORTH_VM=$(dump north vm | jq -r '.[0].moref')
vim_login north
vim north "<v:CreateSnapshot_Task><v:_this type=\"VirtualMachine\">$NORTH_VM</v:_this><v:name>north-secret</v:name><v:memory>false</v:memory><v:quiesce>false</v:quiesce></v:CreateSnapshot_Task>" >/dev/null
renamed() { test "$(dump east vm | jq -r ".[] | select(.moref == \"$BETA\") | .name")" = "$EVIL_VM"; }
north_snapped() { test "$(dump north snapshot | jq length)" = 1; }
check "collector stored the renames" collect_until renamed
check "collector stored north's snapshot" collect_until north_snapped
NORTH_SNAP=north:$(dump north snapshot | jq -r '.[0].moref')

RIG_WEB_WORKERS=2 rig_web_start
rig_nginx_start
U=$RIG_NGINX_URL
H=$RIG_DIR/h; B=$RIG_DIR/b; JAR=$RIG_DIR/jar
. "$VC_RIG/http.sh"   # req, hdr, csrf_of, body_has, body_lacks
get() { req GET "$@"; }

# Values of the name="target" inputs of type $1 (checkbox, hidden) in $B, sorted.
targets_of() {
	python3 - "$B" "$1" <<'PY' | sort
import html, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
for tag in re.findall(r"<input\b[^>]*>", s):
    if 'name="target"' in tag and 'type="%s"' % sys.argv[2] in tag:
        print(html.unescape(re.search(r'value="([^"]*)"', tag).group(1)))
PY
}
# The fields of the form that posts to /ops/vm in $B, as NUL-separated name=value
# pairs (hidden inputs only: what the confirm button sends unless the user checks more).
ops_form() {
	python3 - "$B" <<'PY'
import html, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
form = re.search(r'<form class="ops[^"]*" method="post" action="/ops/vm">(.*?)</form>', s, re.S).group(1)
for tag in re.findall(r"<input\b[^>]*>", form):
    if 'type="hidden"' in tag:
        name = re.search(r'name="([^"]*)"', tag).group(1)
        value = html.unescape(re.search(r'value="([^"]*)"', tag).group(1))
        sys.stdout.write("%s=%s\0" % (name, value))
PY
}
# confirm OP [curl args]: posts the preview's /ops/vm form in $B with op=OP.
confirm() {
	local op=$1 f args=()
	shift
	while IFS= read -r -d '' f; do args+=(--data-urlencode "$f"); done < <(ops_form)
	req POST /ops/vm "${args[@]}" -d "op=$op" "$@"
}
# The creation times (ISO 8601) of the cockpit's rows in $B, in order.
created_col() { python3 -c 'import html,re,sys; [print(html.unescape(c)) for c in re.findall(r"<td class=\"nowrap created\"><time datetime=\"([^\"]*)\"", open(sys.argv[1], encoding="utf-8").read())]' "$B"; }
snaps_named() { dump east snapshot | jq "[.[] | select(.name == \"$1\")] | length"; }
noraw() { ! grep -qE '<script>alert|<i>beta</i>|<img src=x' "$B"; }

# ---- no session, then log in to east and west (north stays out)
check "cockpit without session redirects" test "$(get /snapshots)" = 303
get /login >/dev/null
st=$(req POST /login --data-urlencode "username=$USER_OK" --data-urlencode "password=$PASS_OK" \
	-d vcenter=east -d vcenter=west --data-urlencode "csrf=$(csrf_of)")
check "login 303" test "$st" = 303

# ---- the empty cockpit: north's snapshot is not this session's
check "cockpit 200" test "$(get /snapshots)" = 200
check "nav marks Snapshots current" grep -q 'href="/snapshots" title="Snapshots" aria-current="page"' "$B"
check "cockpit says no snapshot" grep -q 'No VM of your vCenters has a snapshot' "$B"
check "north's snapshot not shown" body_lacks north-secret
CSRF=$(csrf_of)

# ---- take snapshots from a pasted list
EVIL_SNAP='<script>alert(1)</script>{{x}}'
EVIL_DESC='<img src=x onerror=alert(2)> "quoted" & more'
LIST=$(printf 'sNaP-aLpHa\n  %s , no-such-vm\n\n%s\nSNAP-ALPHA\n' "$EVIL_VM" "$SHARED")
take() { req POST /snapshots/take-preview --data-urlencode "names=$LIST" --data-urlencode "name=$EVIL_SNAP" \
	--data-urlencode "description=$EVIL_DESC" "$@"; }
check "take preview without csrf 403" test "$(take)" = 403
check "take preview of an empty list 400" test "$(req POST /snapshots/take-preview -d names=%20%0A, -d name=x --data-urlencode "csrf=$CSRF")" = 400
check "take preview 200" test "$(take --data-urlencode "csrf=$CSRF")" = 200
check "resolved: exactly the two east VMs" test "$(targets_of hidden | tr '\n' ' ')" = "$(printf '%s\n' "east:$ALPHA" "east:$BETA" | sort | tr '\n' ' ')"
check "unknown name reported" grep -q '<li class="missing">no-such-vm</li>' "$B"
check "only the unknown name reported" test "$(grep -c '<li class="missing">' "$B")" = 1
check "a name pasted twice in other case is one VM" test "$(grep -c "value=\"east:$ALPHA\"" "$B")" = 1
check "shared name offers both vCenters' VMs" test "$(targets_of checkbox | cut -d: -f1 | tr '\n' ' ')" = "east west "
check "shared name candidates name their vCenter" bash -c "grep -q 'in Simulator east' '$B' && grep -q 'in Simulator west' '$B'"
check "take preview shows the VM name as text" grep -qF '&lt;i&gt;beta&lt;/i&gt;{{x}}' "$B"
check "take preview shows the snapshot name as text" grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;{{x}}' "$B"
check "take preview has no raw markup" noraw
check "confirm button posts snapshot_create" grep -q 'hx-post="/ops/vm" hx-target="#ops-result" name="op" value="snapshot_create"' "$B"
st=$(confirm snapshot_create -H 'HX-Request: true')
check "confirm 200" test "$st" = 200
check "two tasks started" test "$(grep -o 'task-[0-9]*' "$B" | sort -u | wc -l)" = 2
check "result says 2 started" grep -q 'Take snapshot: 2 started' "$B"
check "toast in HX-Trigger" bash -c "grep -i '^HX-Trigger:' '$H' | grep -q '\"vc:toast\":{\"kind\":\"success\"'"
two_taken() { test "$(snaps_named "$EVIL_SNAP")" = 2; }
check "collector found both snapshots" collect_until two_taken
check "description stored as typed" test "$(dump east snapshot | jq -r '.[0].description')" = "$EVIL_DESC"
SNAPS=$(dump east snapshot | jq -r "[.[] | select(.name == \"$EVIL_SNAP\") | \"east:\" + .moref] | sort | .[]")

# ---- the cockpit lists them
check "cockpit 200 with snapshots" test "$(get /snapshots)" = 200
check "cockpit rows = the two snapshots" test "$(targets_of checkbox)" = "$SNAPS"
check "cockpit links the VM" grep -q "href=\"/vms/east/$ALPHA\"" "$B"
check "cockpit shows the snapshot name as text" grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;{{x}}' "$B"
check "cockpit shows the description as text" grep -qF '&lt;img src=x onerror=alert(2)&gt; &quot;quoted&quot; &amp; more' "$B"
check "cockpit has no raw markup" noraw
check "north's snapshot still not shown" body_lacks north-secret
ALPHA_SNAP=east:$(dump east snapshot | jq -r ".[] | select(.vm == \"$ALPHA\") | .moref")
get '/snapshots?q=ALPHA' >/dev/null
check "text filter (any case) keeps Snap-Alpha's only" test "$(targets_of checkbox)" = "$ALPHA_SNAP"
get '/snapshots?older=1' >/dev/null
check "older than 1 day hides today's snapshots" test -z "$(targets_of checkbox)"
check "older filter says nothing matches" grep -q 'No snapshot matches these filters' "$B"
check "older outside the choices 400" test "$(get '/snapshots?older=5')" = 400

# a third, newer snapshot: oldest first by default, newest first on request
sleep 1.2
st=$(req POST /ops/vm -d "target=east:$THIRD" -d op=snapshot_create -d name=newest --data-urlencode "csrf=$CSRF")
check "one more snapshot started" test "$st" = 200
newest_taken() { test "$(snaps_named newest)" = 1; }
check "collector found the newest" collect_until newest_taken
NEWEST=east:$(dump east snapshot | jq -r '.[] | select(.name == "newest") | .moref')
get /snapshots >/dev/null
check "default sort: created ascending" grep -q 'aria-sort="ascending"><a href="/snapshots?sort=created&amp;order=desc"' "$B"
check "oldest first: newest is last" test "$(created_col | tail -1)" = "$(dump east snapshot | jq -r '.[] | select(.name == "newest") | .created')"
check "created column ascending" bash -c "printf '%s\n' \"\$1\" | sort -c" _ "$(created_col)"
get '/snapshots?sort=created&order=desc' >/dev/null
check "order=desc: newest first" test "$(created_col | head -1)" = "$(dump east snapshot | jq -r '.[] | select(.name == "newest") | .created')"

# ---- VM detail: Revert and Remove per snapshot, like the operations at the top
detail_ops() {
	python3 - "$B" "$1" <<'PY'
import html, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
for form in re.findall(r'<form class="ops inline-form snapshot-ops"[^>]*>.*?</form>', s, re.S):
    t = re.search(r'name="target" value="([^"]*)"', form)
    if not t or html.unescape(t.group(1)) != sys.argv[2]:
        continue
    head = form[:form.index(">")]
    ok = "hx-post" not in head
    for op in ("snapshot_revert", "snapshot_remove"):
        b = re.search(r'<button\b[^>]*value="%s"[^>]*>' % op, form)
        ok = ok and b is not None and all(a in b.group(0) for a in
             ('hx-post="/ops/vm"', 'hx-target="#ops-result"', 'data-confirm="'))
    print("ok" if ok else "bad")
PY
}
check "detail 200" test "$(get "/vms/east/$THIRD")" = 200
check "detail: Revert and Remove buttons on the snapshot" test "$(detail_ops "$NEWEST")" = ok
check "detail links the cockpit" grep -q 'href="/snapshots"' "$B"
st=$(req POST /ops/vm -d "target=$NEWEST" -d op=snapshot_revert --data-urlencode "csrf=$CSRF")
check "revert started" bash -c "[ '$st' = 200 ] && grep -q 'Revert to snapshot: 1 started' '$B'"
check "revert without csrf 403" test "$(req POST /ops/vm -d "target=$NEWEST" -d op=snapshot_revert)" = 403
get "/vms/east/$BETA" >/dev/null
check "detail of the renamed VM: confirm text escaped" grep -qF 'data-confirm="Revert &lt;i&gt;beta&lt;/i&gt;{{x}} to snapshot &lt;script&gt;' "$B"
check "detail has no raw markup" noraw

# ---- remove many after a preview
prev() { req POST /snapshots/preview "$@"; }
args=()
for t in $SNAPS "$NORTH_SNAP" east:snapshot-999999 'garbage<b>'; do args+=(--data-urlencode "target=$t"); done
check "removal preview without csrf 403" test "$(prev "${args[@]}")" = 403
check "removal preview of nothing 400" test "$(prev --data-urlencode "csrf=$CSRF")" = 400
check "removal preview 200" test "$(prev "${args[@]}" --data-urlencode "csrf=$CSRF")" = 200
check "preview sends exactly the two" test "$(targets_of hidden)" = "$SNAPS"
check "preview lists Snap-Alpha" grep -q ">Snap-Alpha</a>" "$B"
check "preview lists the renamed VM as text" grep -qF '&lt;i&gt;beta&lt;/i&gt;{{x}}</a>' "$B"
check "preview shows when it was created" grep -q "$(dump east snapshot | jq -r ".[] | select(.vm == \"$ALPHA\") | .created")" "$B"
check "preview shows the snapshot name as text" grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;{{x}}' "$B"
check "preview shows the description" grep -qF '&lt;img src=x onerror=alert(2)&gt;' "$B"
check "north's snapshot refused" grep -q "<li class=\"mono refused\">$NORTH_SNAP</li>" "$B"
check "unknown snapshot refused" grep -q '<li class="mono refused">east:snapshot-999999</li>' "$B"
check "garbage refused, as text" grep -qF '<li class="mono refused">garbage&lt;b&gt;</li>' "$B"
check "preview has no raw markup" noraw
check "removal confirm asks first" grep -q 'value="snapshot_remove" data-confirm="Remove 2 snapshot(s)?' "$B"
check "removal confirm 200" test "$(confirm snapshot_remove)" = 200
check "removal: 2 started" grep -q 'Remove snapshot: 2 started' "$B"
two_gone() { test "$(snaps_named "$EVIL_SNAP")" = 0; }
check "collector: both removed" collect_until two_gone
check "dump: the newest stays" test "$(snaps_named newest)" = 1
check "dump: north's snapshot stays" north_snapped
get /snapshots >/dev/null
check "cockpit: only the newest left" test "$(targets_of checkbox)" = "$NEWEST"
st=$(req POST /ops/vm --data-urlencode "target=$NORTH_SNAP" -d op=snapshot_remove --data-urlencode "csrf=$CSRF")
check "ops refuses north's snapshot" grep -q 'not an object of this session' "$B"
check "north's snapshot still there" collect_until north_snapped

# ---- no sanitizer report from the cockpit when the workers exit
if [ -z "${SNAP_HOLD:-}" ]; then
	rig_stop_pid "$RIG_WEB_PID"
	check "no leak or UB in the cockpit" bash -c "! grep -E 'runtime error|(page_(snapshots|ops|detail)|scope|req)\.c:' '$RIG_DIR/log/web.err'"
else
	echo "holding the rig for $SNAP_HOLD s: $U (user $USER_OK / $PASS_OK), dir $RIG_DIR"
	sleep "$SNAP_HOLD"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
