#!/usr/bin/env bash
# The test rig itself: starts Redis, two simulators and nginx through tests/rig/lib.sh
# and checks what every other test relies on — the Redis ACL users, the simulators'
# TLS, SOAP and login, nginx's TLS, security headers, caching and limits — and that
# no process the rig started outlives it. Ends with "N passed, N failed".
set -uo pipefail
: "${VC_RIG:=$(cd "$(dirname "$0")/../rig" && pwd)}"
# shellcheck source=../rig/lib.sh
. "$VC_RIG/lib.sh"

RESULTS=$(mktemp "${TMPDIR:-/tmp}/test-rig.XXXXXX")
trap 'rm -f "$RESULTS" "$RESULTS".*' EXIT

ok() { echo "ok - $1"; echo pass >>"$RESULTS"; }
nok() { echo "not ok - $1"; echo fail >>"$RESULTS"; }
# On a failure, RIG_KEEP=1 keeps the rig's folder (logs, configs) for a look.
# check DESC CMD...: passes when CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else nok "$desc"; fi
}
# has TEXT PATTERN: extended-regex match, case-insensitive (for headers).
has() { printf '%s' "$1" | grep -qiE -- "$2"; }

soap() { # soap URL CAFILE BODY
	curl -sS --max-time 10 --cacert "$2" -H 'Content-Type: text/xml; charset=utf-8' \
		-H 'SOAPAction: "urn:vim25/7.0"' --data-binary "$3" "$1"
}
envelope() {
	printf '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:vim25="urn:vim25"><soapenv:Body>%s</soapenv:Body></soapenv:Envelope>' "$1"
}
SERVICE_CONTENT=$(envelope '<vim25:RetrieveServiceContent><vim25:_this type="ServiceInstance">ServiceInstance</vim25:_this></vim25:RetrieveServiceContent>')
login_body() { # login_body SESSION_MANAGER_MOREF USER PASSWORD
	envelope "<vim25:Login><vim25:_this type=\"SessionManager\">$1</vim25:_this><vim25:userName>$2</vim25:userName><vim25:password>$3</vim25:password></vim25:Login>"
}

test_redis() {
	local c=$RIG_REDIS_COLLECTOR_PASS_FILE w=$RIG_REDIS_WEB_PASS_FILE out cmd
	check "redis: rigadmin PING" [ "$(rig_redis_cli PING)" = PONG ]
	check "redis: socket has mode 770 (redis.conf)" [ "$(stat -c %a "$RIG_REDIS_SOCK")" = 770 ]
	check "redis: password files are mode 600" [ "$(stat -c %a "$c" "$w" | sort -u)" = 600 ]
	check "redis: collector may SET vc:{x}:vm" [ "$(rig_redis_as collector "$c" SET 'vc:{x}:vm' sealed)" = OK ]
	out=$(rig_redis_as web "$w" SET 'vc:{x}:vm' forged 2>&1)
	check "redis: web may not SET vc:{x}:vm ($out)" has "$out" NOPERM
	check "redis: web may GET vc:{x}:vm" [ "$(rig_redis_as web "$w" GET 'vc:{x}:vm')" = sealed ]
	check "redis: web may SET sess:*" [ "$(rig_redis_as web "$w" SET sess:abc s EX 60)" = OK ]
	out=$(rig_redis_as collector "$c" SET sess:abc forged 2>&1)
	check "redis: collector may not SET sess:*" has "$out" NOPERM
	for cmd in FLUSHALL "CONFIG GET dir" "KEYS *" "ACL LIST" "SHUTDOWN NOSAVE" "DEBUG SLEEP 0"; do
		# shellcheck disable=SC2086 # the command's words
		out=$(rig_redis_as collector "$c" $cmd 2>&1)
		check "redis: collector may not $cmd" has "$out" "NOPERM|ERR"
		# shellcheck disable=SC2086
		out=$(rig_redis_as web "$w" $cmd 2>&1)
		check "redis: web may not $cmd" has "$out" "NOPERM|ERR"
	done
	out=$(redis-cli -s "$RIG_REDIS_SOCK" PING 2>&1)
	check "redis: default user is off ($out)" has "$out" "NOAUTH|NOPERM|WRONGPASS"
	out=$(redis-cli -s "$RIG_REDIS_SOCK" --user web --pass wrong --no-auth-warning PING 2>&1)
	check "redis: wrong password refused" has "$out" WRONGPASS
	rig_redis_restart
	check "redis: restart keeps socket and data (AOF)" [ "$(rig_redis_cli GET 'vc:{x}:vm')" = sealed ]
}

test_vcsim() { # test_vcsim NAME EXPECTED_VMS OTHER_NAME
	local v o url cert other body fp sm
	v=$(rig_vcsim_var "$1")
	o=$(rig_vcsim_var "$3")
	url=${v}_URL cert=${v}_CERT other=${o}_CERT
	url=${!url} cert=${!cert} other=${!other}
	local user=${v}_USER pass=${v}_PASSWORD vms=${v}_VMS fpv=${v}_FINGERPRINT
	check "vcsim $1: URL is https on loopback ($url)" has "$url" '^https://127\.0\.0\.1:[0-9]+/sdk$'
	check "vcsim $1: $2 VMs reported (${!vms})" [ "${!vms}" = "$2" ]
	body=$(soap "$url" "$cert" "$SERVICE_CONTENT" 2>&1)
	check "vcsim $1: RetrieveServiceContent over TLS verified by its cert" has "$body" RetrieveServiceContentResponse
	# SessionManager's moref differs between vCenter and ESX: read it as a client does.
	sm=$(printf '%s' "$body" | sed -n 's|.*<sessionManager type="SessionManager">\([^<]*\)<.*|\1|p')
	check "vcsim $1: TLS fails against the other simulator's cert" \
		bash -c '! curl -s --max-time 5 --cacert "$1" "$2" >/dev/null' _ "$other" "$url"
	fp=${url#https://}
	fp=$(openssl s_client -connect "${fp%%/*}" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 | cut -d= -f2)
	check "vcsim $1: served cert matches the pinned fingerprint" [ "${fp:-none}" = "${!fpv}" ]
	body=$(soap "$url" "$cert" "$(login_body "$sm" "${!user}" wrong-password)" 2>&1)
	check "vcsim $1: wrong password gets InvalidLogin" has "$body" 'InvalidLogin'
	body=$(soap "$url" "$cert" "$(login_body "$sm" "${!user}" "${!pass}")" 2>&1)
	check "vcsim $1: right password logs in" has "$body" LoginResponse
}

test_vapi() {
	local out
	out=$(curl -sS --max-time 10 --cacert "$RIG_VCSIM_A_CERT" -u "$RIG_VCSIM_A_USER:$RIG_VCSIM_A_PASSWORD" \
		-X POST "${RIG_VCSIM_A_URL%/sdk}/rest/com/vmware/cis/session" 2>&1)
	check "vcsim a: vAPI REST session endpoint answers" has "$out" '"value"'
}

make_static() {
	RIG_NGINX_STATIC="$RIG_DIR/static"
	export RIG_NGINX_STATIC
	mkdir -p "$RIG_NGINX_STATIC"
	# Large enough (> gzip_min_length) to be compressed.
	for _ in $(seq 1 100); do echo "body { color: #123456; margin: 0; }"; done >"$RIG_NGINX_STATIC/app.0123abcd.css"
	echo plain >"$RIG_NGINX_STATIC/plain.txt"
}

test_nginx() {
	local h u=$RIG_NGINX_URL ca=$RIG_NGINX_CERT code i codes=""
	h=$(curl -sS --cacert "$ca" -D - -o /dev/null "$u/static/app.0123abcd.css" 2>&1)
	check "nginx: static file over TLS (verified) is 200" has "$h" '^HTTP/[0-9.]+ 200'
	check "nginx: HSTS" has "$h" '^strict-transport-security: max-age=[0-9]{8}'
	check "nginx: CSP self only, frame-ancestors none" has "$h" \
		"^content-security-policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
	check "nginx: X-Frame-Options DENY" has "$h" '^x-frame-options: DENY'
	check "nginx: nosniff" has "$h" '^x-content-type-options: nosniff'
	check "nginx: Referrer-Policy same-origin" has "$h" '^referrer-policy: same-origin'
	check "nginx: Permissions-Policy" has "$h" '^permissions-policy: camera=\(\)'
	check "nginx: fingerprinted asset is immutable" has "$h" '^cache-control: public, max-age=31536000, immutable'
	check "nginx: no version in Server header" bash -c '! grep -qiE "^server: nginx/" <<<"$1"' _ "$h"
	h=$(curl -sS --cacert "$ca" -D - -o /dev/null "$u/static/plain.txt" 2>&1)
	check "nginx: plain asset is revalidated hourly" has "$h" '^cache-control: public, max-age=3600'
	check "nginx: plain asset keeps the security headers" has "$h" '^content-security-policy: '
	h=$(curl -sS --cacert "$ca" -H 'Accept-Encoding: gzip' -D - -o /dev/null "$u/static/app.0123abcd.css" 2>&1)
	check "nginx: CSS is gzipped" has "$h" '^content-encoding: gzip'
	h=$(curl -sS --cacert "$ca" -D - -o /dev/null "$u/" 2>&1)
	check "nginx: / goes to FastCGI (no upstream yet: 502)" has "$h" '^HTTP/[0-9.]+ 502'
	check "nginx: error responses carry HSTS too" has "$h" '^strict-transport-security: '
	code=$(curl -s --cacert "$ca" -o /dev/null -w '%{http_code}' --tlsv1.2 --tls-max 1.2 "$u/static/plain.txt")
	check "nginx: TLS 1.2 accepted" [ "$code" = 200 ]
	check "nginx: TLS 1.1 refused" bash -c '! curl -s --cacert "$1" -o /dev/null --tlsv1.1 --tls-max 1.1 "$2"' _ "$ca" "$u/static/plain.txt"
	code=$(head -c 1100000 /dev/zero | curl -s --cacert "$ca" -o /dev/null -w '%{http_code}' \
		-X POST -H 'Content-Type: application/octet-stream' --data-binary @- "$u/settings")
	check "nginx: body over 1 MB refused (413, got $code)" [ "$code" = 413 ]
	for i in $(seq 1 9); do
		codes+="$(curl -s --cacert "$ca" -o /dev/null -w '%{http_code}' -d "username=u$i&password=p" "$u/login") "
	done
	# 10r/m = one token per 6 s: on a loaded machine one may come back mid-run.
	check "nginx: POST /login limited to burst, then 429 ($codes)" has "$codes" '^(502 ){6}.*429 $'
	code=$(curl -s --cacert "$ca" -o /dev/null -w '%{http_code}' "$u/login")
	check "nginx: GET /login is not rate limited (got $code)" [ "$code" = 502 ]
}

# The production site (nginx/vcompanion.conf) must parse with its snippets: nginx -t
# on a copy where only the certificate and log paths point into the rig.
test_prod_site() {
	local d="$RIG_DIR/prod" out
	mkdir -p "$d/snippets" "$d/logs"
	cp /etc/nginx/mime.types /etc/nginx/fastcgi_params "$d/"
	cp "$VC_TOP"/nginx/snippets/*.conf "$d/snippets/"
	sed -e "s|/etc/vcompanion/tls/portal.crt|$RIG_NGINX_CERT|" \
	    -e "s|/etc/vcompanion/tls/portal.key|$RIG_DIR/nginx/key.pem|" \
	    -e "s|/var/log/nginx/|$d/logs/|" "$VC_TOP/nginx/vcompanion.conf" >"$d/site.conf"
	printf 'pid %s/nginx.pid;\nerror_log %s/logs/error.log;\nevents {}\nhttp {\n include mime.types;\n include site.conf;\n}\n' \
		"$d" "$d" >"$d/nginx.conf"
	out=$(nginx -t -p "$d" -c "$d/nginx.conf" 2>&1)
	check "nginx: production site passes nginx -t" has "$out" 'test is successful'
}

run_rig() {
	rig_init
	make_static
	rig_vcsim_spawn a -datacenters=2 -clusters=2 -hosts=2 -standalone=1 -vms=3
	rig_vcsim_spawn b -esx -vms=4
	rig_redis_start
	rig_vcsim_wait a
	rig_vcsim_wait b
	rig_nginx_start
	rig_pids >"$RESULTS.pids"
	echo "$RIG_DIR" >"$RESULTS.dir"
	test_redis
	test_vcsim a 18 b
	test_vcsim b 4 a
	test_vapi
	test_nginx
	test_prod_site
	rig_config "$RIG_DIR/vcompanion.json"
	check "config: lists both simulators with their certs" \
		bash -c 'grep -c "\"ca_file\": \"$1/vcsim-" "$2" | grep -qx 2' _ "$RIG_DIR" "$RIG_CONFIG"
	rig_keygen
	check "keygen: id:base64 of 32 bytes, mode 600" bash -c \
		'[ "$(stat -c %a "$1")" = 600 ] && [ "$(cut -d: -f2 "$1" | base64 -d | wc -c)" = 32 ] && grep -q "^1:" "$1"' _ "$RIG_KEY_FILE"
	# rig_redis_restart replaced the redis PID.
	rig_pids >"$RESULTS.pids"
}

# The rig runs in a subshell so its EXIT trap fires here, as at the end of any test.
(run_rig)
n=0
while read -r pid; do
	n=$((n + 1))
	check "cleanup: pid $pid is gone" bash -c '! kill -0 "$1" 2>/dev/null' _ "$pid"
done < <(cat "$RESULTS.pids" 2>/dev/null)
check "cleanup: the rig started 4 processes ($n)" [ "$n" = 4 ]
dir=$(cat "$RESULTS.dir" 2>/dev/null)
check "cleanup: temp dir removed" test ! -e "${dir:-/}"

passed=$(grep -c pass "$RESULTS")
failed=$(grep -c fail "$RESULTS")
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
