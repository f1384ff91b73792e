#!/usr/bin/env bash
# vcompanion-web end to end: real nginx (TLS) -> FastCGI -> vcompanion-web, real
# Redis with the project ACL, one vCenter simulator with a known login. Checks
# health, the login form and flow (cookie flags, generic errors, throttling), CSRF,
# preferences, logout, 404/413, Redis outage (503), a worker killed under load, and
# SIGHUP/SIGTERM. Asserts on status codes, headers, cookies and form field names,
# not on markup.
set -euo pipefail
. "$VC_RIG/lib.sh"
rig_init

pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok   $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }

rig_redis_start
rig_vcsim_start prod -vms=2 -user=alice@vsphere.local -password=S3cret-pass
rig_config "$RIG_DIR/vcompanion.json"
# A small web.max_body (under nginx's 1m client_max_body_size) so 413 comes from us.
python3 - "$RIG_CONFIG" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["web"]["max_body"] = 4096
json.dump(c, open(p, "w"))
PY
RIG_WEB_WORKERS=4 rig_web_start "${VC_WEB_BIN:-}"   # VC_WEB_BIN: another binary
rig_nginx_start

U=$RIG_NGINX_URL
SOCK=${RIG_WEB_LISTEN#unix:}
H=$RIG_DIR/h; B=$RIG_DIR/b; JAR=$RIG_DIR/jar
USER_OK=alice@vsphere.local PASS_OK=S3cret-pass

. "$VC_RIG/http.sh"   # req, hdr, csrf_of, body_has, body_lacks
has_input() { grep -Eq "<input[^>]*name=\"$1\"" "$B"; }
workers() { pgrep -P "$RIG_WEB_PID" | sort; }
nworkers() { workers | wc -l; }

# ---- health
check "healthz 200" test "$(req GET /healthz)" = 200
check "healthz body" grep -q '"redis":"ok"' "$B"
check "healthz json" grep -qi '^content-type: application/json' "$H"

# ---- login form
check "GET /login 200" test "$(req GET /login)" = 200
check "login has username" has_input username
check "login has password" has_input password
check "login has vcenter checkbox" grep -Eq '<input[^>]*name="vcenter"[^>]*value="prod"' "$B"
check "login has csrf" has_input csrf
check "pre-session cookie flags" bash -c "grep -i '^set-cookie: __Host-vcpre=' '$H' | grep -q 'Path=/; Secure; HttpOnly; SameSite=Strict'"
PRE=$(csrf_of)
check "pre csrf found" test -n "$PRE"

# ---- POST /login without or with a bad csrf
check "login without csrf 403" test "$(req POST /login --data-urlencode "username=$USER_OK" \
	--data-urlencode "password=$PASS_OK" -d vcenter=prod)" = 403

# ---- wrong password: generic error, no session
st=$(req POST /login --data-urlencode "username=$USER_OK" --data-urlencode "password=wrong" \
	-d vcenter=prod --data-urlencode "csrf=$PRE")
check "wrong password 401" test "$st" = 401
check "wrong password generic message" grep -q "Sign-in failed" "$B"
check "wrong password no session cookie" bash -c "! grep -qi '^set-cookie: __Host-vcsid=[0-9a-f]' '$H'"
check "wrong password form again" has_input password

# ---- right password
st=$(req POST /login --data-urlencode "username=$USER_OK" --data-urlencode "password=$PASS_OK" \
	-d vcenter=prod --data-urlencode "csrf=$PRE")
check "login 303" test "$st" = 303
check "login redirects to /" test "$(hdr location)" = "location: /"
SESS=$(hdr set-cookie | grep -i '__Host-vcsid=' || true)
check "session cookie set" test -n "$SESS"
check "session cookie flags" bash -c "echo '$SESS' | grep -q '; Path=/; Secure; HttpOnly; SameSite=Strict'"
check "session cookie token 64 hex" bash -c "echo '$SESS' | grep -Eq '__Host-vcsid=[0-9a-f]{64};'"
check "session in redis" test "$(rig_redis_cli --scan --pattern 'sess:*' | wc -l)" = 1
leak=0
for k in $(rig_redis_cli --scan --pattern '*'); do
	case "$k" in *alice*) leak=1 ;; esac
	rig_redis_cli --raw GET "$k" 2>/dev/null | grep -aq "$PASS_OK" && leak=1
done
check "no user name in key names, no password in values" test "$leak" = 0
check "password never logged" bash -c "! grep -q '$PASS_OK' '$RIG_DIR'/log/web.*"

# ---- a page behind login
# (other pages have their own tests: stay on this tier's own page here)
check "/ redirects when signed in" test "$(req GET /)" = 303
check "page behind login 200" test "$(req GET /preferences)" = 200
CSRF=$(csrf_of)
check "session csrf masked (128 hex)" bash -c "[[ '$CSRF' =~ ^[0-9a-f]{128}$ ]]"
req GET /preferences >/dev/null
check "csrf differs per response (BREACH)" test "$(csrf_of)" != "$CSRF"

# ---- CSRF on POST
check "POST without csrf 403" test "$(req POST /preferences -d theme=dark)" = 403
check "POST with wrong csrf 403" test "$(req POST /preferences -d theme=dark -d csrf=$(printf '%064d' 0))" = 403
check "POST with csrf 303" test "$(req POST /preferences -d theme=dark -d accent=green -d csrf=$CSRF)" = 303
check "HTMX POST 204" test "$(req POST /preferences -H 'HX-Request: true' -H "X-CSRF-Token: $CSRF" -d theme=dark)" = 204
check "HTMX HX-Refresh" bash -c "grep -qi '^hx-refresh: true' '$H'"
check "POST from a page returns there" test "$(req POST /preferences -d theme=light -d csrf=$CSRF -e "$U/preferences?x=1")" = 303
check "back to the Referer path" test "$(hdr location)" = "location: /preferences?x=1"
check "bad enum 400" test "$(req POST /preferences -d theme=pink -d csrf=$CSRF)" = 400
check "prefs stored" test "$(rig_redis_cli --scan --pattern 'pref:*' | wc -l)" = 1
req GET /preferences >/dev/null
check "theme applied" grep -q 'dark' "$B"

# ---- errors
check "unknown route 404" test "$(req GET /no/such/page)" = 404
check "wrong method 405" test "$(req DELETE /login)" = 405
check "405 Allow header" test "$(hdr allow)" = "allow: GET, HEAD, POST"
big=$(head -c 8000 /dev/zero | tr '\0' a)
check "oversized body 413" test "$(req POST /preferences -d "theme=dark&x=$big" -d csrf=$CSRF)" = 413
check "bad percent 400" test "$(req GET '/login?a=%zz')" = 400
check "bad utf8 400" test "$(req GET '/login?a=%C0%AF')" = 400
check "nul 400" test "$(req GET '/login?a=%00')" = 400

# ---- logout
check "logout without csrf 403" test "$(req POST /logout)" = 403
check "logout 303" test "$(req POST /logout -d csrf=$CSRF)" = 303
check "logout to /login" test "$(hdr location)" = "location: /login"
check "logout clears cookie" bash -c "grep -i '^set-cookie: __Host-vcsid=;' '$H' | grep -q 'Max-Age=0'"
check "session gone from redis" test "$(rig_redis_cli --scan --pattern 'sess:*' | wc -l)" = 0
check "old cookie no longer works" test "$(req GET /preferences -b "__Host-vcsid=$(echo "$SESS" | sed -E 's/.*__Host-vcsid=([0-9a-f]+).*/\1/')")" = 303
check "api without session 401" test "$(req GET /api/v1/vms)" = 401
check "api 401 is JSON" grep -q '"status":401' "$B"
check "htmx without session 204" test "$(req GET /preferences -H 'HX-Request: true')" = 204
check "htmx without session HX-Redirect" test "$(hdr hx-redirect)" = "hx-redirect: /login"

# ---- throttling, straight over FastCGI (nginx's own login rate limit would
# answer 429 first over HTTPS)
fcgi() { # fcgi METHOD PATH BODY COOKIE -> full CGI response on stdout
	env -i REQUEST_METHOD="$1" DOCUMENT_URI="$2" REQUEST_URI="$2" QUERY_STRING= \
		CONTENT_TYPE=application/x-www-form-urlencoded CONTENT_LENGTH=${#3} \
		HTTP_COOKIE="$4" REMOTE_ADDR=192.0.2.50 SERVER_PROTOCOL=HTTP/1.1 \
		cgi-fcgi -bind -connect "$SOCK" <<<"$3" 2>/dev/null || true
}
out=$(fcgi GET /login "" "")
pre_cookie=$(echo "$out" | grep -i '^set-cookie: __Host-vcpre=' | sed -E 's/.*__Host-vcpre=([0-9a-f]+).*/\1/')
pre=$(echo "$out" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed -E 's/.*value="([^"]*)"/\1/')
body="username=bob%40vsphere.local&password=nope&vcenter=prod&csrf=$pre"
codes=""
for i in 1 2 3 4 5 6; do
	codes+=$(fcgi POST /login "$body" "__Host-vcpre=$pre_cookie" | sed -n 's/^Status: \([0-9]*\).*/\1/p' | tr -d '\r')" "
done
check "failures 401 then throttled 429 ($codes)" test "$codes" = "401 401 401 401 401 429 "
out=$(fcgi POST /login "username=bob%40vsphere.local&password=$PASS_OK&vcenter=prod&csrf=$pre" "__Host-vcpre=$pre_cookie")
check "throttled message" bash -c "echo '$out' | grep -q 'Too many failed sign-ins'"
thr=$(rig_redis_cli --scan --pattern 'thr:*')
check "throttle keys hashed (user and ip)" bash -c "echo '$thr' | grep -Eq '^thr:u:[0-9a-f]{64}$' && echo '$thr' | grep -Eq '^thr:ip:[0-9a-f]{64}$' && ! echo '$thr' | grep -q bob"

# ---- Redis down: healthz 503, pages 503
rig_redis_stop
check "healthz 503 when redis down" test "$(req GET /healthz)" = 503
check "healthz says down" grep -q '"redis":"down"' "$B"
check "login page 503 when redis down" test "$(req GET /login)" = 503
check "friendly message" grep -q "cannot reach its cache" "$B"
check "session page 503 when redis down" test "$(req GET /preferences -b "__Host-vcsid=$(printf '%064d' 1)")" = 503
rig_redis_restart
sleep 1
st=000; for i in 1 2 3 4 5 6 7 8 9 10; do st=$(req GET /healthz); [ "$st" = 200 ] && break; sleep 1; done
check "healthz back to 200" test "$st" = 200

# ---- a worker killed with SIGKILL under load is replaced
before=$(workers)
check "4 workers" test "$(nworkers)" = 4
loadfail=$RIG_DIR/loadfail; : >"$loadfail"
( for i in $(seq 1 150); do
	c=$(curl -sS --cacert "$RIG_NGINX_CERT" -o /dev/null -w '%{http_code}' "$U/healthz" || echo 000)
	[ "$c" = 200 ] || echo "$c" >>"$loadfail"
  done ) &
loader=$!
sleep 0.5
victim=$(workers | head -1)
kill -KILL "$victim"
wait "$loader"
check "load survived a killed worker (failures: $(wc -l <"$loadfail"), at most the one in flight)" test "$(wc -l <"$loadfail")" -le 1
for i in 1 2 3 4 5 6 7 8 9 10; do [ "$(nworkers)" = 4 ] && break; sleep 0.5; done
check "worker replaced" test "$(nworkers)" = 4
check "victim gone" bash -c "! pgrep -P $RIG_WEB_PID | grep -qx $victim"
check "respawn logged" grep -q 'master.worker_died' "$RIG_DIR/log/web.err"

# ---- SIGHUP: reload under load, no failed request, new generation of workers
before=$(workers); : >"$loadfail"
( for i in $(seq 1 120); do
	c=$(curl -sS --cacert "$RIG_NGINX_CERT" -o /dev/null -w '%{http_code}' "$U/healthz" || echo 000)
	[ "$c" = 200 ] || echo "$c" >>"$loadfail"
  done ) &
loader=$!
sleep 0.3
kill -HUP "$RIG_WEB_PID"
wait "$loader"
check "reload dropped no request (failures: $(wc -l <"$loadfail"))" test "$(wc -l <"$loadfail")" = 0
for i in $(seq 1 20); do [ "$(nworkers)" = 4 ] && [ -z "$(comm -12 <(echo "$before") <(workers))" ] && break; sleep 0.5; done
check "workers replaced after SIGHUP" test -z "$(comm -12 <(echo "$before") <(workers))"
check "reload logged" grep -q 'master.reloaded' "$RIG_DIR/log/web.err"
check "serving after reload" test "$(req GET /login)" = 200

# ---- SIGTERM: drains and exits, socket removed
kill -TERM "$RIG_WEB_PID"
for i in $(seq 1 40); do rig_alive "$RIG_WEB_PID" || break; sleep 0.25; done
check "master exited on SIGTERM" bash -c "! kill -0 $RIG_WEB_PID 2>/dev/null"
check "socket removed" test ! -e "$SOCK"
check "no sanitizer report" bash -c "! grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' '$RIG_DIR'/log/web.err"

# ---- TCP listener, and a socket handed over by systemd (LISTEN_FDS)
BIN=${VC_WEB_BIN:-$VC_BUILD/fcgi/vcompanion-web}
port=$(rig_free_port)
python3 - "$RIG_CONFIG" "$RIG_DIR/tcp.json" "127.0.0.1:$port" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["web"]["listen"] = sys.argv[3]; c["web"]["workers"] = 2
json.dump(c, open(sys.argv[2], "w"))
PY
rig_spawn web-tcp "$BIN" -c "$RIG_DIR/tcp.json"
tcp_pid=$RIG_LAST_PID
for i in $(seq 1 40); do
	out=$(env -i REQUEST_METHOD=GET DOCUMENT_URI=/healthz cgi-fcgi -bind -connect "127.0.0.1:$port" 2>/dev/null || true)
	case "$out" in *'"web":"ok"'*) break ;; esac
	sleep 0.25
done
check "tcp listener serves" bash -c "echo '$out' | grep -q '\"web\":\"ok\"'"
rig_stop_pid "$tcp_pid"

sock2=$RIG_DIR/sd.sock
rig_spawn web-sd python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(16)
os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))
os.execv(sys.argv[2], [sys.argv[2], "-c", sys.argv[3]])' "$sock2" "$BIN" "$RIG_CONFIG"
sd_pid=$RIG_LAST_PID
for i in $(seq 1 40); do
	out=$(env -i REQUEST_METHOD=GET DOCUMENT_URI=/healthz cgi-fcgi -bind -connect "$sock2" 2>/dev/null || true)
	case "$out" in *'"web":"ok"'*) break ;; esac
	sleep 0.25
done
check "systemd socket (LISTEN_FDS) serves" bash -c "echo '$out' | grep -q '\"web\":\"ok\"'"
check "configured socket untouched with LISTEN_FDS" test ! -e "$SOCK"
check "inherited socket logged" grep -q 'listen="systemd:fd3"' "$RIG_DIR/log/web-sd.err"
rig_stop_pid "$sd_pid"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
