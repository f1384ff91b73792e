#!/usr/bin/env bash
# The rollout (issue 9): the Ansible playbooks pass --syntax-check and ansible-lint;
# site.yml renders every role's files for the example and single-node inventories on
# this machine (-c local, --tags render, one folder per host) and a second run changes
# nothing; the results pass `nginx -t`, `vcompanion check-config` and a real
# redis-server; the .deb installs into a throwaway root with the right owners and
# modes (rollout/deb-check.sh); two web instances behind one nginx share sessions and
# keep serving when one is killed. Prints "N passed, N failed".
# Package: VC_ROLLOUT_DEB, else the newest of $VC_BUILD and build/release (`make
# package`), rebuilt with cpack when older than ansible/packaging. Time: mostly
# Ansible (about 1.5 min on an idle 2-core machine, several on a loaded one).
set -uo pipefail
. "$VC_RIG/lib.sh"
rig_init

pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok   $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL $*"; }
note() { echo "note $*"; }
check() {
	local what=$1; shift
	if "$@" >"$RIG_DIR/check.out" 2>&1; then ok "$what"; else bad "$what"; sed 's/^/     /' "$RIG_DIR/check.out" | tail -15; fi
}
finish() { note "total: ${SECONDS}s"; echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; exit $?; }

A=$VC_TOP/ansible
HERE=$VC_TOP/tests/integration/rollout
CLI=$VC_BUILD/fcgi/vcompanion
export ANSIBLE_CONFIG=$A/ansible.cfg ANSIBLE_NOCOLOR=1 ANSIBLE_LOCAL_TEMP=$RIG_DIR/ansible-tmp \
	ANSIBLE_REMOTE_TEMP=$RIG_DIR/ansible-tmp ANSIBLE_FORKS=8

# ---------------------------------------------------------------- playbooks
if ! command -v ansible-playbook >/dev/null; then
	bad "ansible-playbook not installed (make deps: packages.txt 'test ansible')"
	finish
fi
for inv in example single; do
	for pb in site update; do
		check "syntax-check $pb.yml ($inv)" ansible-playbook --syntax-check -i "$A/inventories/$inv/hosts.yml" "$A/$pb.yml"
	done
done
if command -v ansible-lint >/dev/null; then
	check "ansible-lint (production profile)" bash -c "cd '$A' && ansible-lint -q --offline -p site.yml update.yml"
else
	note "ansible-lint not installed: skipped"
fi

note "playbook checks: ${SECONDS}s"
# ---------------------------------------------------------------- render the roles
# render INVENTORY ROOT LOG: site.yml --tags render for every host of INVENTORY.
render() {
	(cd "$A" && ansible-playbook -i "inventories/$1/hosts.yml" -c local site.yml --tags render \
		-e @vault.example.yml -e @"$HERE/render-vars.yml" -e vc_test_root="$2" -e vc_cli="$CLI" \
		-e vc_templates_dir="$VC_TOP/templates" -e vc_static_dir="$(rig_static_dir)") >"$3" 2>&1
}
# unchanged LOG: every host of the recap reports changed=0.
unchanged() { grep -q ' : ok=' "$1" && ! grep ' : ok=' "$1" | grep -vq ' changed=0 '; }
EX=$RIG_DIR/ex SG=$RIG_DIR/sg
check "render example inventory" render example "$EX" "$RIG_DIR/log/render-ex.log"
check "render single-node inventory" render single "$SG" "$RIG_DIR/log/render-sg-1.log"
# Idempotence on the single node (one host: the cheaper of the two to run twice).
# VC_ROLLOUT_QUICK=1 skips it (each Ansible task costs seconds on a loaded machine).
if [ -z "${VC_ROLLOUT_QUICK:-}" ]; then
	render single "$SG" "$RIG_DIR/log/render-sg-2.log"
	check "render single-node again: nothing changed (idempotent)" unchanged "$RIG_DIR/log/render-sg-2.log"
else
	note "VC_ROLLOUT_QUICK set: idempotence run skipped"
fi
for l in "$RIG_DIR"/log/render-*.log; do grep -q 'fatal:' "$l" && sed -n '/fatal:/,+5p' "$l" | head -20; done

# jq_ FILE EXPR: a Python expression over the JSON file as c; a tuple prints space-separated.
jq_() { python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(*(r if isinstance(r, tuple) else (r,)))' "$@"; }
for h in collector1 web1 web2; do
	check "check-config $h" "$CLI" check-config "$EX/$h/etc/vcompanion/vcompanion.json"
done
check "check-config single node" "$CLI" check-config "$SG/vcompanion1/etc/vcompanion/vcompanion.json"
check "collector1 reaches Redis over TCP" test "$(jq_ "$EX/collector1/etc/vcompanion/vcompanion.json" 'c["redis"]["host"], c["redis"]["port"]')" = "10.0.0.20 6379"
check "single node reaches Redis by socket" test "$(jq_ "$SG/vcompanion1/etc/vcompanion/vcompanion.json" 'c["redis"].get("socket"), c["redis"].get("host")')" = "$SG/vcompanion1/redis.sock None"
check "two vCenters with password files" test "$(jq_ "$EX/web1/etc/vcompanion/vcompanion.json" '" ".join(v["id"]+":"+v["password_file"].rsplit("/",1)[1] for v in c["vcenters"])')" = "prod:vc-prod.pass lab:vc-lab.pass"
check "secrets 0640" bash -c "[ \"\$(stat -c %a '$EX'/web1/etc/vcompanion/{cache.keys,redis-web.pass,vc-prod.pass} | sort -u)\" = 640 ]"
check "key file from the vault variable" grep -qx '1:EXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEE=' "$EX/web2/etc/vcompanion/cache.keys"
check "no secret in the config" bash -c "! grep -q 'EXAMPLE-not-a-secret' '$EX/collector1/etc/vcompanion/vcompanion.json'"
site_ex=$EX/web1/etc/nginx/sites-available/vcompanion-site
site_sg=$SG/vcompanion1/etc/nginx/sites-available/vcompanion-site
check "example upstream: 2 web nodes x 2 instances over TCP" test "$(grep -Ec '^ *server 10\.0\.0\.1[12]:900[12] max_fails' "$site_ex")" = 4
check "single upstream: two unix sockets" test "$(grep -Ec "^ *server unix:$SG/vcompanion1/run/web-[12]\.sock" "$site_sg")" = 2
check "site enabled (symlink)" test -L "$EX/web1/etc/nginx/sites-enabled/vcompanion-site"
check "web1 instance 2 listens on 10.0.0.11:9002" grep -qx 'ListenStream=10.0.0.11:9002' "$EX/web1/etc/systemd/system/vcompanion-web@2.socket.d/listen.conf"
check "single node: no TCP drop-in" test ! -e "$SG/vcompanion1/etc/systemd/system/vcompanion-web@1.socket.d"
check "redis1 binds its address" bash -c "grep -qx 'bind 10.0.0.20' '$EX/redis1/etc/redis/vcompanion.conf' && [ \"\$(grep '^port ' '$EX/redis1/etc/redis/vcompanion.conf' | tail -1)\" = 'port 6379' ]"
check "single redis: no TCP port" test "$(grep '^port ' "$SG/vcompanion1/etc/redis/vcompanion.conf" | tail -1)" = "port 0"
check "self-signed certificate made" openssl x509 -noout -in "$EX/web1/etc/vcompanion/tls/portal.crt"

# nginx -t on a rendered site: a throwaway prefix with the project's snippets.
nginx_t() {
	local site=$1 p=$2
	mkdir -p "$p/snippets" "$p/logs" "$(dirname "$(dirname "$(dirname "$(dirname "$site")")")")/log"
	cp /etc/nginx/mime.types /etc/nginx/fastcgi_params "$p/"
	cp "$VC_TOP"/nginx/snippets/*.conf "$p/snippets/"
	sed -i "s|/usr/share/vcompanion/static/|$(rig_static_dir)/|" "$p/snippets/vcompanion-server.conf"
	cat >"$p/nginx.conf" <<NG
pid $p/nginx.pid;
error_log $p/logs/error.log;
events { worker_connections 64; }
http {
    include mime.types;
    client_body_temp_path $p/body;
    fastcgi_temp_path $p/fastcgi;
    include $site;
}
NG
	nginx -t -q -p "$p" -c "$p/nginx.conf"
}
check "nginx -t: example site (web1)" nginx_t "$site_ex" "$RIG_DIR/ngt-ex"
check "nginx -t: single-node site" nginx_t "$site_sg" "$RIG_DIR/ngt-sg"

# The rendered single-node Redis configuration and ACL file, run for real.
sr=$SG/vcompanion1
mkdir -p "$sr/redis-data"
rig_spawn redis-rendered redis-server "$sr/etc/redis/vcompanion.conf"
rpid=$RIG_LAST_PID
rig_wait_for 10 "rendered redis" test -S "$sr/redis.sock"
rcli() { redis-cli -s "$sr/redis.sock" --no-auth-warning "$@"; }
check "rendered redis: collector logs in with its vault password" test "$(rcli --user collector --pass "$(cat "$sr/etc/vcompanion/redis-collector.pass")" SET 'vc:{t}:gen' 1)" = OK
check "rendered redis: web may not write vc:*" bash -c "$(declare -f rcli); sr='$sr'; rcli --user web --pass \"\$(cat '$sr/etc/vcompanion/redis-web.pass')\" SET 'vc:{t}:gen' 2 | grep -q NOPERM"
rig_stop_pid "$rpid"; rig_forget "$rpid"

note "render checks: ${SECONDS}s"
# ---------------------------------------------------------------- the Debian package
deb=${VC_ROLLOUT_DEB:-}
if [ -z "$deb" ]; then
	deb=$(ls -t "$VC_BUILD"/vcompanion_*.deb "$VC_TOP"/build/release/vcompanion_*.deb 2>/dev/null | head -1)
	# A package older than its packaging files is rebuilt from this build tree.
	if [ -n "$deb" ] && [ -n "$(find "$A/packaging" -newer "$deb" 2>/dev/null | head -1)" ]; then
		note "$deb is older than ansible/packaging: rebuilding"
		deb=
	fi
	if [ -z "$deb" ] && [ -f "$VC_BUILD/CPackConfig.cmake" ]; then
		mkdir -p "$RIG_DIR/deb"
		if cpack -G DEB --config "$VC_BUILD/CPackConfig.cmake" -B "$RIG_DIR/deb" >"$RIG_DIR/log/cpack.log" 2>&1; then
			deb=$(ls "$RIG_DIR"/deb/vcompanion_*.deb | head -1)
		else
			bad "cpack -G DEB (log: $RIG_DIR/log/cpack.log)"; tail -5 "$RIG_DIR/log/cpack.log"
		fi
	fi
fi
if [ -z "$deb" ]; then
	note "no .deb (run make package): package checks skipped"
elif [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	note "package install checks need root (overlay of / in a mount namespace): skipped"
else
	note "package: $deb"
	check "control: Depends lists the runtime libraries" bash -c "dpkg-deb -f '$deb' Depends | grep -q 'libfcgi0ldbl.*libhiredis0.14.*libsodium23.*libxlsxwriter4.*libzstd1'"
	unshare --mount --propagation private bash "$HERE/deb-check.sh" "$deb" >"$RIG_DIR/log/deb.out" 2>&1
	grep -E '^(ok|FAIL|     )' "$RIG_DIR/log/deb.out"
	pass=$((pass + $(grep -c '^ok ' "$RIG_DIR/log/deb.out")))
	fail=$((fail + $(grep -c '^FAIL' "$RIG_DIR/log/deb.out")))
	grep -q '^ok   deb: dpkg --purge' "$RIG_DIR/log/deb.out" || { bad "deb-check did not finish"; tail -5 "$RIG_DIR/log/deb.out"; }
fi

note "package checks: ${SECONDS}s"
# ---------------------------------------------------------------- two web instances
rig_redis_start
rig_vcsim_start prod -vms=2 -user=alice@vsphere.local -password=S3cret-pass
RIG_WEB_LISTEN=unix:$RIG_DIR/web-1.sock rig_config "$RIG_DIR/web-1.json"
sed "s|$RIG_DIR/web-1.sock|$RIG_DIR/web-2.sock|" "$RIG_DIR/web-1.json" >"$RIG_DIR/web-2.json"
WEB=$VC_BUILD/fcgi/vcompanion-web
declare -A WPID
web_up() {
	rig_spawn "web$1" "$WEB" -c "$RIG_DIR/web-$1.json"
	WPID[$1]=$RIG_LAST_PID
	rig_wait_for 15 "web $1" test -S "$RIG_DIR/web-$1.sock"
}
# web_kill N: instance N dies at once (master and workers, SIGKILL), as on a crash.
web_kill() {
	local pid=${WPID[$1]}
	kill -KILL $(pgrep -P "$pid") "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rig_forget "$pid"
}
web_up 1 && web_up 2
# The production upstream (nginx/vcompanion.conf): both instances, max_fails and
# fastcgi_next_upstream error timeout (snippets/vcompanion-fastcgi.conf).
# fail_timeout is 3 s here instead of 10 s: after instance 1 comes back, the test waits
# that long before it kills instance 2 (an instance that failed stays out of the pool
# for fail_timeout; under systemd the socket outlives a crash, so there it never fails).
FAIL_TIMEOUT=3
RIG_WEB_UPSTREAM="unix:$RIG_DIR/web-1.sock max_fails=3 fail_timeout=${FAIL_TIMEOUT}s; server unix:$RIG_DIR/web-2.sock max_fails=3 fail_timeout=${FAIL_TIMEOUT}s" \
	rig_nginx_start
U=$RIG_NGINX_URL H=$RIG_DIR/h B=$RIG_DIR/b JAR=$RIG_DIR/jar
req() {
	local m=$1 p=$2; shift 2
	curl -sS --max-time 20 --cacert "$RIG_NGINX_CERT" -X "$m" -b "$JAR" -c "$JAR" -D "$H" -o "$B" -w '%{http_code}' "$@" "$U$p"
}
# all_ok N PATH [curl args]: N GETs of PATH, every one 200.
all_ok() {
	local n=$1 p=$2 i st; shift 2
	for i in $(seq "$n"); do st=$(req GET "$p" "$@"); [ "$st" = 200 ] || { echo "request $i: $st"; return 1; }; done
}
# logged_in N: N GETs of / (redirects followed) end on a page that is not the login form.
logged_in() {
	local i
	for i in $(seq "$1"); do
		all_ok 1 / -L || return 1
		if grep -Eq '<input[^>]*name="password"' "$B"; then echo "request $i: got the login form"; return 1; fi
	done
}
served() { grep -c "path=.*$2" "$RIG_DIR/log/web$1.err" 2>/dev/null || echo 0; }
csrf_of() {
	python3 - "$B" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8", errors="replace").read()
for tag in re.findall(r"<(?:input|meta)\b[^>]*>", html):
    if re.search(r'name="csrf(-token)?"', tag):
        m = re.search(r'(?:value|content)="([^"]*)"', tag)
        if m and m.group(1):
            print(m.group(1)); break
PY
}

check "healthz through nginx, 20 requests over 2 instances" all_ok 20 /healthz
check "both instances served /healthz" bash -c "[ $(served 1 healthz) -gt 0 ] && [ $(served 2 healthz) -gt 0 ]"

login_ok=0
if [ "$(req GET /login)" = 200 ] && pre=$(csrf_of) && [ -n "$pre" ]; then
	st=$(req POST /login --data-urlencode username=alice@vsphere.local --data-urlencode password=S3cret-pass \
		-d vcenter=prod --data-urlencode "csrf=$pre")
	if [ "$st" = 303 ] && grep -qi '^set-cookie: __Host-vcsid=' "$H"; then login_ok=1; fi
fi
if [ $login_ok = 1 ]; then
	ok "login through nginx (session made on one instance)"
	web_kill 1
	check "instance 1 killed: the session is served by instance 2" logged_in 10
	check "instance 1 killed: healthz keeps answering" all_ok 10 /healthz
	web_up 1
	sleep $((FAIL_TIMEOUT + 1))
	web_kill 2
	check "instance 2 killed: the session is served by instance 1" logged_in 10
	check "instance 2 killed: healthz keeps answering" all_ok 10 /healthz
else
	note "login through nginx not available yet (status $st): session sharing not checked; failover checked on /healthz"
	web_kill 1
	check "instance 1 killed: healthz keeps answering" all_ok 20 /healthz
	web_up 1
	sleep $((FAIL_TIMEOUT + 1))
	web_kill 2
	check "instance 2 killed: healthz keeps answering" all_ok 20 /healthz
fi
finish
