#!/usr/bin/env bash
# The admin Settings pages end to end: real nginx (TLS) -> vcompanion-web -> Redis,
# three vCenter simulators ("prod" with the admin login, "viewer" with a non-admin
# login, "extra" not in the configuration, added through the form). Checks the
# registry flow (test connection with fingerprint and version, pin, add, edit,
# remove, its password key), validation, app settings, purge requests, audit
# entries, 403 for a non-admin on every route, and `vcompanion config export/import`
# (no secrets by default, round trip with --with-secrets).
set -euo pipefail
. "$VC_RIG/lib.sh"
rig_init ${RIG_DIR_WANT:-}

pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok   $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

CLI=${VC_CLI_BIN:-$VC_BUILD/fcgi/vcompanion}
rig_redis_start
rig_vcsim_spawn prod -vms=1
rig_vcsim_spawn viewer -vms=1 -user=viewer@vsphere.local -password=View-pass1
rig_vcsim_wait prod
rig_vcsim_wait viewer
rig_config "$RIG_DIR/vcompanion.json"
# Started after rig_config: not in the configuration file, added through the form.
rig_vcsim_start extra -vms=1 -user=svc-extra@vsphere.local -password=Extra-pass-1
RIG_WEB_WORKERS=3 rig_web_start "${VC_WEB_BIN:-}"
rig_nginx_start

U=$RIG_NGINX_URL
H=$RIG_DIR/h; B=$RIG_DIR/b; JAR=$RIG_DIR/jar
EXTRA_URL=$RIG_VCSIM_EXTRA_URL EXTRA_FP=$RIG_VCSIM_EXTRA_FINGERPRINT
EXTRA_PW=Extra-pass-1

. "$VC_RIG/http.sh"   # req, hdr, csrf_of, body_has, body_lacks
login() {   # login USER PASSWORD VCENTER
	rm -f "$JAR"
	req GET /login >/dev/null
	local pre; pre=$(csrf_of)
	req POST /login --data-urlencode "username=$1" --data-urlencode "password=$2" \
		-d "vcenter=$3" --data-urlencode "csrf=$pre"
}
export_json() { "$CLI" -c "$RIG_CONFIG" config export "$@"; }
# jq-like look-ups in an export with python: export_get FILE EXPR
export_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
gen() { rig_redis_cli GET cfg:gen; }
pwkey='cfg:vc:{extra}:password'

# ---- admin login, the settings page seeds the registry from the file
check "admin login 303" test "$(login "$RIG_VCSIM_PROD_USER" "$RIG_VCSIM_PROD_PASSWORD" prod)" = 303
check "GET /settings 200" test "$(req GET /settings)" = 200
check "settings lists prod" grep -q 'data-vcenter="prod"' "$B"
check "settings lists viewer" grep -q 'data-vcenter="viewer"' "$B"
check "settings shows key id" grep -q 'Key 1' "$B"
CSRF=$(csrf_of)
check "csrf found" test -n "$CSRF"
check "registry seeded in Redis" test "$(rig_redis_cli EXISTS cfg:vcenters)" = 1
check "cfg:gen set" test "$(gen)" -ge 1
check "GET new form 200" test "$(req GET /settings/vcenters/new)" = 200
check "form has password field" grep -Eq '<input[^>]*type="password"[^>]*name="password"' "$B"
check "form has fingerprint field" grep -Eq '<input[^>]*name="fingerprint"' "$B"

# ---- test connection (htmx fragment): fingerprint, version, login
st=$(req POST /settings/vcenters/test -H 'HX-Request: true' -d mode=new -d id=extra \
	--data-urlencode "url=$EXTRA_URL" -d verify_tls=0 --data-urlencode "user=svc-extra@vsphere.local" \
	--data-urlencode "password=$EXTRA_PW" --data-urlencode "csrf=$CSRF")
check "test 200" test "$st" = 200
check "test is a fragment" body_lacks '<html'
check "test shows the fingerprint" grep -qi "$EXTRA_FP" "$B"
check "test offers pin" grep -q 'name="pin"' "$B"
check "test shows version" grep -Eq 'class="test-version">[0-9]' "$B"
check "test shows build" grep -Eq 'class="test-build">[0-9]' "$B"
check "test logged in" grep -q 'test-login-ok' "$B"
check "test never echoes the password" body_lacks "$EXTRA_PW"
st=$(req POST /settings/vcenters/test -H 'HX-Request: true' -d mode=new -d id=extra \
	--data-urlencode "url=$EXTRA_URL" -d verify_tls=0 --data-urlencode "user=svc-extra@vsphere.local" \
	--data-urlencode "password=wrong" --data-urlencode "csrf=$CSRF")
check "test with a wrong password says so" grep -q 'Login failed' "$B"
st=$(req POST /settings/vcenters/test -H 'HX-Request: true' -d mode=new \
	--data-urlencode "url=$EXTRA_URL" -d verify_tls=1 --data-urlencode "user=svc-extra@vsphere.local" \
	--data-urlencode "password=$EXTRA_PW" --data-urlencode "csrf=$CSRF")
check "test with verification fails on the self-signed cert" grep -q 'Connection failed' "$B"
check "but still shows the fingerprint" grep -qi "$EXTRA_FP" "$B"
st=$(req POST /settings/vcenters/test -H 'HX-Request: true' --data-urlencode "pin=$EXTRA_FP" \
	--data-urlencode "url=$EXTRA_URL" --data-urlencode "csrf=$CSRF")
check "pin fills the field out of band" grep -Eq "hx-swap-oob=\"true\"" "$B"
check "pin value" grep -q "value=\"$EXTRA_FP\"" "$B"
st=$(req POST /settings/vcenters/test -d mode=new --data-urlencode "pin=$EXTRA_FP" \
	--data-urlencode "url=$EXTRA_URL" --data-urlencode "csrf=$CSRF")
check "pin without JS re-renders the form" test "$st" = 200
check "pin without JS fills the field" grep -q "value=\"$EXTRA_FP\"" "$B"

# ---- validation
g0=$(gen)
st=$(req POST /settings/vcenters/save -d mode=new -d id=extra --data-urlencode "url=ftp://x/sdk" \
	-d interval=120 --data-urlencode "user=svc-extra@vsphere.local" \
	--data-urlencode "password=$EXTRA_PW" --data-urlencode "csrf=$CSRF")
check "bad url 422" test "$st" = 422
check "bad url message" grep -q 'https://' "$B"
check "bad url keeps the form" grep -q 'ftp://x/sdk' "$B"
check "error page never echoes the password" body_lacks "$EXTRA_PW"
check "interval out of range 400" test "$(req POST /settings/vcenters/save -d mode=new -d id=extra \
	--data-urlencode "url=$EXTRA_URL" -d interval=30 -d user=u --data-urlencode "csrf=$CSRF")" = 400
check "new without password 422" test "$(req POST /settings/vcenters/save -d mode=new -d id=extra \
	--data-urlencode "url=$EXTRA_URL" -d interval=120 -d user=u --data-urlencode "csrf=$CSRF")" = 422
check "duplicate id 422" test "$(req POST /settings/vcenters/save -d mode=new -d id=prod \
	--data-urlencode "url=$EXTRA_URL" -d interval=120 -d user=u -d password=x --data-urlencode "csrf=$CSRF")" = 422
check "save without csrf 403" test "$(req POST /settings/vcenters/save -d mode=new -d id=extra)" = 403
check "nothing written by refused saves" test "$(gen)" = "$g0"

# ---- add
st=$(req POST /settings/vcenters/save -d mode=new -d id=extra -d "name=Extra vCenter" \
	--data-urlencode "url=$EXTRA_URL" -d verify_tls=1 --data-urlencode "fingerprint=$EXTRA_FP" \
	-d interval=120 --data-urlencode "user=svc-extra@vsphere.local" -d "tags=lab, second" \
	--data-urlencode "password=$EXTRA_PW" --data-urlencode "csrf=$CSRF")
check "add 303" test "$st" = 303
check "add redirects to settings" test "$(hdr location)" = "location: /settings?done=added"
check "add bumps cfg:gen" test "$(gen)" -gt "$g0"
check "password key written" test "$(rig_redis_cli EXISTS "$pwkey")" = 1
sealed_ok() { ! rig_redis_cli GET "$pwkey" | grep -qa -- "$EXTRA_PW"; }
check "password sealed in Redis" sealed_ok
req GET /settings >/dev/null
check "settings lists extra" grep -q 'data-vcenter="extra"' "$B"
# A web worker re-reads cfg:gen on its first request a second after its last look,
# so after 1.1 s whichever worker answers lists the registry's vCenters.
login_offers() { # login_offers ID: the login page has its checkbox
	sleep 1.1
	curl -sS --cacert "$RIG_NGINX_CERT" "$U/login" | grep -Eq "name=\"vcenter\"[^>]*value=\"$1\""
}
check "login offers the added vCenter" login_offers extra
# The collector daemon follows cfg:gen and polls the new vCenter with the password
# kept sealed in the registry (it has no password file).
rig_spawn collector "$VC_BUILD/collector/vcompanion-collector" -c "$RIG_CONFIG"
COLLECTOR_PID=$RIG_LAST_PID
polled_extra() { # within 30 s, vc:{extra}:vm exists and its status says ok
	local i
	for i in $(seq 60); do
		[ "$(rig_redis_cli EXISTS 'vc:{extra}:vm')" = 1 ] && return 0
		sleep 0.5
	done
	return 1
}
check "collector polls the vCenter added in Settings" polled_extra
req GET /settings >/dev/null
check "settings names the collector host polling it" grep -q "polled-by\">by $(hostname)</span>" "$B"
check "export exit 0" export_json -o "$RIG_DIR/e1.json"
check "export has extra" test "$(export_get "$RIG_DIR/e1.json" '[v["source"] for v in d["vcenters"] if v["id"]=="extra"][0]')" = ui
check "export keeps the pin" test "$(export_get "$RIG_DIR/e1.json" '[v["fingerprint"] for v in d["vcenters"] if v["id"]=="extra"][0]')" = "$EXTRA_FP"
check "export has tags" test "$(export_get "$RIG_DIR/e1.json" '",".join([v["tags"] for v in d["vcenters"] if v["id"]=="extra"][0])')" = "lab,second"
check "export without secrets has no password" bash -c "! grep -q '$EXTRA_PW' '$RIG_DIR/e1.json' && ! grep -q secrets '$RIG_DIR/e1.json'"
check "export file mode 0600" test "$(stat -c %a "$RIG_DIR/e1.json")" = 600

# ---- test with the stored password; edit keeps it
st=$(req POST /settings/vcenters/test -H 'HX-Request: true' -d mode=edit -d id=extra \
	--data-urlencode "url=$EXTRA_URL" -d verify_tls=1 --data-urlencode "fingerprint=$EXTRA_FP" \
	--data-urlencode "user=svc-extra@vsphere.local" --data-urlencode "csrf=$CSRF")
check "test with the stored password logs in" grep -q 'test-login-ok' "$B"
check "pinned fingerprint matches" grep -q 'matches the pinned value' "$B"
check "GET edit 200" test "$(req GET '/settings/vcenters/edit?id=extra')" = 200
check "edit form has no password" body_lacks "$EXTRA_PW"
check "edit form keeps the interval" grep -q 'value="120"' "$B"
check "edit unknown id 404" test "$(req GET '/settings/vcenters/edit?id=nope')" = 404
g1=$(gen)
st=$(req POST /settings/vcenters/save -H 'HX-Request: true' -d mode=edit -d id=extra -d "name=Extra vCenter" \
	--data-urlencode "url=$EXTRA_URL" -d verify_tls=1 --data-urlencode "fingerprint=$EXTRA_FP" \
	-d interval=300 --data-urlencode "user=svc-extra@vsphere.local" --data-urlencode "csrf=$CSRF")
check "edit over htmx 204" test "$st" = 204
check "edit HX-Redirect" test "$(hdr hx-redirect)" = "hx-redirect: /settings?done=saved"
check "edit bumps cfg:gen" test "$(gen)" -gt "$g1"
export_json -o "$RIG_DIR/e2.json" 2>/dev/null
check "interval edited" test "$(export_get "$RIG_DIR/e2.json" '[v["interval"] for v in d["vcenters"] if v["id"]=="extra"][0]')" = 300
check "password kept on edit" test "$(rig_redis_cli EXISTS "$pwkey")" = 1

# ---- app settings and purge
check "app save 303" test "$(req POST /settings/app -d theme=dark -d accent=green -d session_timeout=900 \
	-d page_size=100 --data-urlencode "csrf=$CSRF")" = 303
check "app bad timeout 400" test "$(req POST /settings/app -d theme=dark -d accent=green -d session_timeout=10 \
	-d page_size=100 --data-urlencode "csrf=$CSRF")" = 400
export_json -o "$RIG_DIR/e3.json" 2>/dev/null
check "app exported" test "$(export_get "$RIG_DIR/e3.json" 'd["app"]["theme"]+" "+d["app"]["accent"]+" "+str(d["app"]["session_timeout"])+" "+str(d["app"]["page_size"])')" = "dark green 900 100"
# The workers follow cfg:gen at most once a second; then the settings apply.
sleep 1.2
req GET /dashboard >/dev/null
check "default theme applied" grep -q '<html lang="en" data-theme="dark" data-accent="green">' "$B"
check "session timeout applied to the page" grep -q 'data-timeout="900"' "$B"
req POST /preferences -d theme=light --data-urlencode "csrf=$(csrf_of)" >/dev/null
sess_ttl() { # the TTL of this client's session: sess:<sha256 of the cookie's token>
	local t; t=$(awk '$6 == "__Host-vcsid" { print $7 }' "$JAR")
	rig_redis_cli TTL "sess:$(printf %s "$t" | sha256sum | cut -d' ' -f1)"
}
check "session timeout applied to Redis" test "$(sess_ttl)" -le 900 -a "$(sess_ttl)" -gt 800
req GET /dashboard >/dev/null
check "the user's own theme wins" grep -q 'data-theme="light" data-accent="green"' "$B"
req GET /vms >/dev/null
check "default page size applied" grep -q '<option value="100" selected>' "$B"
req GET '/vms?per_page=25' >/dev/null
check "page size of the URL wins" grep -q '<option value="25" selected>' "$B"
GEN_BEFORE_PURGE=$(rig_redis_cli GET 'vc:{extra}:gen')
check "purge 303" test "$(req POST /settings/cache/purge -d id=extra --data-urlencode "csrf=$CSRF")" = 303
# The daemon may take the request (and delete it) before this line runs.
purge_written() { [ "$(rig_redis_cli EXISTS cmd:purge)" = 1 ] ||
	grep -q 'event=collector.purged vcenter=extra' "$RIG_DIR/log/collector.err"; }
check "purge request written (or already taken)" purge_written
check "purge counter bumped" test "$(rig_redis_cli GET cmd:purge:gen)" = 1
purged_and_back() { # the collector takes the request: cmd:purge goes, gen moves twice, records are back
	local i g0=$1
	for i in $(seq 60); do
		[ "$(rig_redis_cli EXISTS cmd:purge)" = 0 ] && [ "$(rig_redis_cli GET 'vc:{extra}:gen')" -ge $((g0 + 2)) ] &&
			[ "$(rig_redis_cli EXISTS 'vc:{extra}:vm')" = 1 ] && return 0
		sleep 0.5
	done
	return 1
}
check "collector purges and refetches" purged_and_back "$GEN_BEFORE_PURGE"
check "purge all 303" test "$(req POST /settings/cache/purge -d id=all --data-urlencode "csrf=$CSRF")" = 303
check "purge unknown id 404" test "$(req POST /settings/cache/purge -d id=nope --data-urlencode "csrf=$CSRF")" = 404

# ---- export with secrets, remove, import: round trip
check "export with secrets exit 0" export_json --with-secrets -o "$RIG_DIR/s.json"
check "secret exported sealed" test -n "$(export_get "$RIG_DIR/s.json" 'd["secrets"]["extra"]')"
check "secret not in clear" bash -c "! grep -q '$EXTRA_PW' '$RIG_DIR/s.json'"
check "remove 303" test "$(req POST /settings/vcenters/remove -d id=extra --data-urlencode "csrf=$CSRF")" = 303
check "password key gone" test "$(rig_redis_cli EXISTS "$pwkey")" = 0
check "remove unknown 404" test "$(req POST /settings/vcenters/remove -d id=extra --data-urlencode "csrf=$CSRF")" = 404
export_json -o "$RIG_DIR/e4.json" 2>/dev/null
check "removed from registry" test "$(export_get "$RIG_DIR/e4.json" 'len([v for v in d["vcenters"] if v["id"]=="extra"])')" = 0
check "login no longer offers it" test "$(login_offers extra && echo yes || echo no)" = no
check "import dry run" "$CLI" -c "$RIG_CONFIG" config import --dry-run "$RIG_DIR/s.json"
check "dry run writes nothing" test "$(rig_redis_cli EXISTS "$pwkey")" = 0
check "import" "$CLI" -c "$RIG_CONFIG" config import "$RIG_DIR/s.json"
check "password restored" test "$(rig_redis_cli EXISTS "$pwkey")" = 1
export_json --with-secrets -o "$RIG_DIR/s2.json" 2>/dev/null
check "round trip identical" python3 - "$RIG_DIR/s.json" "$RIG_DIR/s2.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
# sealed secrets differ by nonce: compare the rest
assert a["vcenters"] == b["vcenters"] and a["app"] == b["app"], (a, b)
assert set(a["secrets"]) == set(b["secrets"])
PY
st=$(req POST /settings/vcenters/test -H 'HX-Request: true' -d mode=edit -d id=extra \
	--data-urlencode "url=$EXTRA_URL" -d verify_tls=1 --data-urlencode "fingerprint=$EXTRA_FP" \
	--data-urlencode "user=svc-extra@vsphere.local" --data-urlencode "csrf=$CSRF")
check "imported password logs in" grep -q 'test-login-ok' "$B"
python3 - "$RIG_DIR/s.json" "$RIG_DIR/bad.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); d["vcenters"][0]["interval"] = 5
json.dump(d, open(sys.argv[2], "w"))
PY
check "import refuses bad data" bash -c "! '$CLI' -c '$RIG_CONFIG' config import '$RIG_DIR/bad.json' 2>/dev/null"
python3 - "$RIG_DIR/s.json" "$RIG_DIR/tamper.json" <<'PY'
import json, sys, base64
d = json.load(open(sys.argv[1])); b = bytearray(base64.b64decode(d["secrets"]["extra"])); b[-1] ^= 1
d["secrets"]["extra"] = base64.b64encode(bytes(b)).decode()
json.dump(d, open(sys.argv[2], "w"))
PY
check "import refuses a tampered secret" bash -c "! '$CLI' -c '$RIG_CONFIG' config import '$RIG_DIR/tamper.json' 2>/dev/null"
check "config usage exit 2" bash -c "'$CLI' -c '$RIG_CONFIG' config frob 2>/dev/null; test \$? = 2"

# ---- audit
check "GET /audit 200" test "$(req GET /audit)" = 200
for a in settings.vcenter.test settings.vcenter.add settings.vcenter.edit settings.vcenter.remove \
         settings.app settings.cache.purge; do
	check "audited $a" grep -q "$a" "$B"
done
check "audit never holds the password" body_lacks "$EXTRA_PW"
audited_login() { tr -d '\n' <"$B" | grep -Eq '<td>login</td><td class="name"></td> *<td><span class="badge plain">ok</span>'; }
check "audited the admin's login" audited_login

# ---- a viewer is refused everywhere
check "viewer login 303" test "$(login viewer@vsphere.local View-pass1 viewer)" = 303
req GET /preferences >/dev/null; VCSRF=$(csrf_of)
check "viewer csrf" test -n "$VCSRF"
for p in /settings /settings/vcenters/new '/settings/vcenters/edit?id=prod' /settings/keys /audit; do
	check "viewer GET $p 403" test "$(req GET "$p")" = 403
done
for p in /settings/vcenters/save /settings/vcenters/remove /settings/vcenters/test /settings/app /settings/cache/purge \
	/settings/keys/reseal; do
	check "viewer POST $p 403" test "$(req POST "$p" -d id=prod -d mode=edit -d theme=dark --data-urlencode "csrf=$VCSRF")" = 403
done
check "viewer changed nothing" test "$(rig_redis_cli EXISTS "$pwkey")" = 1
check "viewer asked for no re-seal" test "$(rig_redis_cli EXISTS cmd:reseal)" = 0

echo "test-settings: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
