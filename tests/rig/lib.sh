# shellcheck shell=bash
# vCompanion test rig (bash, sourced): starts throwaway services on loopback for one
# test — a real redis-server with the project's redis.conf and ACL file, govmomi's
# vCenter simulator (tests/vcsim), and a real nginx with the project's site snippets —
# each under one temp dir, and stops every process it started when the shell exits,
# whether the test passed or not. docs/testing.md describes the functions and the
# environment variables they export.
#
#   . "$VC_RIG/lib.sh"; rig_init; rig_redis_start; rig_vcsim_start a; rig_config "$RIG_DIR/c.json"
#
# rig_init installs an EXIT/INT/TERM trap; a test that needs its own EXIT trap calls
# rig_cleanup from it.

RIG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${VC_TOP:=$(cd "$RIG_LIB_DIR/../.." && pwd)}"
: "${VC_RIG:=$RIG_LIB_DIR}"
export VC_TOP VC_RIG

# Simulators started by a parent shell (with.sh) are known to a test it runs.
read -r -a RIG_VCSIMS <<<"${RIG_VCSIM_NAMES:-}"   # names, for rig_config
RIG_MY_PIDS=()                                    # processes this shell started
RIG_STOP_GRACE=${RIG_STOP_GRACE:-5}   # seconds between TERM and KILL

rig_log() { echo "rig: $*" >&2; }
rig_die() { echo "rig: error: $*" >&2; exit 1; }

# rig_init [DIR]: a temp dir for this run (or DIR, emptied first: the demo uses
# build/demo and sets RIG_KEEP) and the trap that tears everything down. Under with.sh
# (RIG_DIR already exported) a test joins that rig: the services it starts are
# recorded there too and with.sh stops them. Keep the path short: unix socket paths
# are limited to 107 bytes.
rig_init() {
	if [ -n "${RIG_DIR:-}" ] && [ -d "$RIG_DIR" ]; then
		# Joined: stop what this shell starts when it exits (so its children are
		# reaped here); the owner stops the rest.
		trap 'rig_cleanup_mine' EXIT
		return 0
	fi
	if [ -n "${1:-}" ]; then
		# Only a folder an earlier rig made (it has a pids file) is ever emptied.
		if [ -d "$1" ] && [ -n "$(ls -A "$1")" ] && [ ! -f "$1/pids" ]; then
			rig_die "refusing to empty $1: not a rig folder"
		fi
		rm -rf "$1" && mkdir -p "$1" && RIG_DIR=$(cd "$1" && pwd) || rig_die "cannot make $1"
	else
		RIG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/vcrig.XXXXXX") || rig_die "cannot make a temp dir"
	fi
	mkdir -p "$RIG_DIR/log"
	: >"$RIG_DIR/pids"
	export RIG_DIR
	trap 'rig_cleanup' EXIT
	trap 'rig_cleanup; trap - INT; kill -INT $BASHPID' INT
	trap 'rig_cleanup; trap - TERM; kill -TERM $BASHPID' TERM
}

# rig_cleanup: stops every recorded process (newest first) and removes the temp dir.
# Safe to call twice.
rig_cleanup() {
	local pid
	[ -n "${RIG_DIR:-}" ] && [ -d "$RIG_DIR" ] && [ -z "${RIG_CLEANED:-}" ] || return 0
	RIG_CLEANED=1
	for pid in $(rig_pids | tac); do
		rig_stop_pid "$pid"
	done
	: >"$RIG_DIR/pids"
	if [ -n "${RIG_KEEP:-}" ]; then
		rig_log "kept $RIG_DIR (RIG_KEEP set)"
	else
		rm -rf "$RIG_DIR"
	fi
}

# rig_cleanup_mine: stops only the processes this shell started.
rig_cleanup_mine() {
	local i
	for ((i = ${#RIG_MY_PIDS[@]} - 1; i >= 0; i--)); do
		rig_stop_pid "${RIG_MY_PIDS[i]}"
		rig_forget "${RIG_MY_PIDS[i]}"
	done
	RIG_MY_PIDS=()
}

# rig_alive PID: true while the process exists and is not a zombie.
rig_alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$state" != Z ]
}

# rig_stop_pid PID: TERM, then KILL after RIG_STOP_GRACE seconds; reaps it.
rig_stop_pid() {
	local pid=$1 n=0
	if rig_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		while rig_alive "$pid" && [ $n -lt $((RIG_STOP_GRACE * 10)) ]; do
			sleep 0.1
			n=$((n + 1))
		done
		if rig_alive "$pid"; then
			rig_log "pid $pid ignored TERM, killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	wait "$pid" 2>/dev/null || true
}

# rig_spawn NAME CMD...: starts CMD in the background with stdout/stderr in
# $RIG_DIR/log/NAME.{out,err}, records "PID NAME" in $RIG_DIR/pids (the list
# rig_cleanup stops) and sets RIG_LAST_PID.
rig_spawn() {
	local name=$1
	shift
	"$@" >"$RIG_DIR/log/$name.out" 2>"$RIG_DIR/log/$name.err" </dev/null &
	RIG_LAST_PID=$!
	RIG_MY_PIDS+=("$RIG_LAST_PID")
	echo "$RIG_LAST_PID $name" >>"$RIG_DIR/pids"
}

# rig_forget PID: drops a PID from the list (after stopping it by hand).
rig_forget() { sed -i "/^$1 /d" "$RIG_DIR/pids"; }

# rig_pids: prints every PID the rig has started and not yet stopped, in start order.
rig_pids() { awk '{print $1}' "$RIG_DIR/pids" 2>/dev/null; }

# rig_free_port: prints a TCP port that is free on 127.0.0.1 right now. Chosen below
# Linux's ephemeral range (32768+), where the simulators' own ports and every client
# socket come from, so a port picked here is not taken from under nginx.
rig_free_port() {
	local port n
	for n in $(seq 1 50); do
		port=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	rig_die "no free port found"
}

# rig_wait_for SECONDS DESCRIPTION CMD...: polls CMD every 0.1 s until it succeeds.
rig_wait_for() {
	local secs=$1 what=$2 n=0
	shift 2
	until "$@" >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -ge $((secs * 10)) ] && { rig_log "timed out after ${secs}s waiting for $what"; return 1; }
		sleep 0.1
	done
}

rig_secret() { openssl rand -hex 24; }
rig_sha256() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }

# rig_write_secret FILE VALUE: a one-line secret file, mode 0600.
rig_write_secret() {
	(umask 077 && printf '%s\n' "$2" >"$1")
}

# ---------------------------------------------------------------- Redis

# rig_redis_start: redis-server with redis/redis.conf (paths moved into RIG_DIR) and
# redis/users.acl rendered with fresh passwords, plus `rigadmin` (all rights, for test
# assertions only: the application never gets such a user).
rig_redis_start() {
	local d="$RIG_DIR/redis"
	mkdir -p "$d/data"
	_rig_redis_users "$d"
	RIG_REDIS_SOCK="$d/redis.sock"
	export RIG_REDIS_SOCK
	_rig_redis_conf "$d" "$RIG_REDIS_SOCK" >"$d/redis.conf"
	_rig_redis_run
}

# _rig_redis_users DIR: fresh passwords for the application users and rigadmin, their
# files, and DIR/users.acl (redis/users.acl rendered, plus rigadmin).
_rig_redis_users() {
	local d=$1 collector web
	collector=$(rig_secret)
	web=$(rig_secret)
	RIG_REDIS_ADMIN_PASS=$(rig_secret)
	RIG_REDIS_COLLECTOR_PASS_FILE="$d/collector.pass"
	RIG_REDIS_WEB_PASS_FILE="$d/web.pass"
	rig_write_secret "$RIG_REDIS_COLLECTOR_PASS_FILE" "$collector"
	rig_write_secret "$RIG_REDIS_WEB_PASS_FILE" "$web"
	export RIG_REDIS_COLLECTOR_PASS_FILE RIG_REDIS_WEB_PASS_FILE RIG_REDIS_ADMIN_PASS
	{
		sed -e "s/@COLLECTOR_PASSWORD_SHA256@/$(rig_sha256 "$collector")/" \
		    -e "s/@WEB_PASSWORD_SHA256@/$(rig_sha256 "$web")/" "$VC_TOP/redis/users.acl"
		echo "user rigadmin on #$(rig_sha256 "$RIG_REDIS_ADMIN_PASS") ~* &* +@all"
	} >"$d/users.acl"
	chmod 600 "$d/users.acl"
}

# _rig_redis_conf DIR SOCKET: redis/redis.conf with its socket, data folder (DIR/data),
# ACL file (DIR/users.acl) and pid file in DIR. redis-server applies `dir` while
# parsing, so the copy must carry the temp paths.
_rig_redis_conf() {
	local d=$1 sock=$2
	sed -e "s|^unixsocket .*|unixsocket $sock|" \
	    -e "s|^dir .*|dir $d/data|" \
	    -e "s|^aclfile .*|aclfile $d/users.acl|" "$VC_TOP/redis/redis.conf"
	echo "pidfile $d/redis.pid"
}

_rig_redis_run() {
	rig_spawn redis redis-server "$RIG_DIR/redis/redis.conf"
	RIG_REDIS_PID=$RIG_LAST_PID
	export RIG_REDIS_PID
	if ! rig_wait_for 10 "redis PING" _rig_redis_pong; then
		cat "$RIG_DIR/log/redis.out" "$RIG_DIR/log/redis.err" >&2
		rig_die "redis-server did not start"
	fi
}

_rig_redis_pong() { [ "$(rig_redis_cli PING 2>/dev/null)" = PONG ]; }

# rig_redis_cli ARGS...: redis-cli on the rig's socket as rigadmin.
rig_redis_cli() {
	redis-cli -s "$RIG_REDIS_SOCK" --user rigadmin --pass "$RIG_REDIS_ADMIN_PASS" \
		--no-auth-warning "$@"
}

# rig_redis_as USER PASSFILE ARGS...: redis-cli as an application user.
rig_redis_as() {
	local user=$1 pass
	pass=$(head -n1 "$2")
	shift 2
	redis-cli -s "$RIG_REDIS_SOCK" --user "$user" --pass "$pass" --no-auth-warning "$@"
}

rig_redis_stop() {
	[ -n "${RIG_REDIS_PID:-}" ] || return 0
	rig_stop_pid "$RIG_REDIS_PID"
	rig_forget "$RIG_REDIS_PID"
	RIG_REDIS_PID=
}

# rig_redis_restart: same socket, same passwords, same data (AOF in $RIG_DIR/redis/data).
rig_redis_restart() {
	rig_redis_stop
	_rig_redis_run
}

# ---------------------------------------------------------------- Redis with Sentinel

# rig_redis_ha_start [MASTER_NAME]: a master and one replica on loopback TCP ports
# (the project's redis.conf and ACL, each also on its own unix socket) and one
# sentinel (`redis-server --sentinel`) monitoring them as MASTER_NAME (default
# vcompanion), failure detection after 1 s. Replication and the sentinel use
# rigadmin. Exports RIG_REDIS_SENTINELS ("127.0.0.1:PORT", which rig_config then
# writes instead of the socket), RIG_SENTINEL_PORT, RIG_SENTINEL_MASTER and
# RIG_REDIS_SOCK (the first master's socket) with the usual password files.
rig_redis_ha_start() {
	local d="$RIG_DIR/redis" name=${1:-vcompanion} mport rport sport
	mkdir -p "$d/master/data" "$d/replica/data" "$d/sentinel"
	_rig_redis_users "$d"
	cp "$d/users.acl" "$d/master/" && cp "$d/users.acl" "$d/replica/"
	mport=$(rig_free_port) rport=$(rig_free_port) sport=$(rig_free_port)
	while [ "$rport" = "$mport" ]; do rport=$(rig_free_port); done
	while [ "$sport" = "$mport" ] || [ "$sport" = "$rport" ]; do sport=$(rig_free_port); done
	_rig_redis_ha_conf "$d/master" "$mport" >"$d/master/redis.conf"
	{ _rig_redis_ha_conf "$d/replica" "$rport"; echo "replicaof 127.0.0.1 $mport"; } >"$d/replica/redis.conf"
	{
		echo "port $sport"
		echo "bind 127.0.0.1"
		echo "dir $d/sentinel"
		echo "pidfile $d/sentinel/sentinel.pid"
		echo "sentinel monitor $name 127.0.0.1 $mport 1"
		echo "sentinel auth-user $name rigadmin"
		echo "sentinel auth-pass $name $RIG_REDIS_ADMIN_PASS"
		echo "sentinel down-after-milliseconds $name 1000"
		echo "sentinel failover-timeout $name 10000"
	} >"$d/sentinel/sentinel.conf"
	chmod 600 "$d/sentinel/sentinel.conf"
	rig_spawn redis-master redis-server "$d/master/redis.conf"
	rig_spawn redis-replica redis-server "$d/replica/redis.conf"
	rig_spawn redis-sentinel redis-server "$d/sentinel/sentinel.conf" --sentinel
	RIG_REDIS_SOCK="$d/master/redis.sock"
	RIG_SENTINEL_PORT=$sport
	RIG_SENTINEL_MASTER=$name
	RIG_REDIS_SENTINELS="127.0.0.1:$sport"
	export RIG_REDIS_SOCK RIG_SENTINEL_PORT RIG_SENTINEL_MASTER RIG_REDIS_SENTINELS
	rig_wait_for 10 "redis master" _rig_redis_pong || rig_die "the Redis master did not start"
	rig_wait_for 20 "replica in sync" _rig_redis_replica_up "$rport" || rig_die "the Redis replica did not sync"
	rig_wait_for 20 "sentinel sees the replica" _rig_sentinel_ready || rig_die "the sentinel did not find the replica"
}

_rig_redis_ha_conf() {
	local d=$1 port=$2
	_rig_redis_conf "$d" "$d/redis.sock"
	echo "port $port"
	echo "bind 127.0.0.1"
	echo "masteruser rigadmin"
	echo "masterauth $RIG_REDIS_ADMIN_PASS"
}

_rig_redis_replica_up() {
	rig_redis_cli_at "$1" INFO replication | grep -q '^master_link_status:up'
}

_rig_sentinel_ready() {
	[ "$(rig_sentinel_cli SENTINEL replicas "$RIG_SENTINEL_MASTER" | grep -c '^name$')" -ge 1 ]
}

# rig_sentinel_cli ARGS...: redis-cli to the sentinel.
rig_sentinel_cli() { redis-cli -h 127.0.0.1 -p "$RIG_SENTINEL_PORT" "$@"; }

# rig_sentinel_master_port: the port of the master the sentinel names now.
rig_sentinel_master_port() {
	rig_sentinel_cli SENTINEL get-master-addr-by-name "$RIG_SENTINEL_MASTER" | sed -n 2p
}

# rig_redis_cli_at PORT ARGS...: redis-cli to 127.0.0.1:PORT as rigadmin.
rig_redis_cli_at() {
	local port=$1
	shift
	redis-cli -h 127.0.0.1 -p "$port" --user rigadmin --pass "$RIG_REDIS_ADMIN_PASS" --no-auth-warning "$@"
}

# ---------------------------------------------------------------- vCenter simulator

# rig_vcsim_var NAME: the environment-variable stem for simulator NAME (a-z, 0-9, -, _).
rig_vcsim_var() {
	local n=${1^^}
	echo "RIG_VCSIM_${n//-/_}"
}

# rig_vcsim_spawn NAME [vcsim flags]: starts a simulator without waiting for it, so
# several large ones can build their inventories in parallel; rig_vcsim_wait NAME.
rig_vcsim_spawn() {
	local name=$1 d user=administrator@vsphere.local pass seed flag
	shift
	[[ "$name" =~ ^[a-z0-9_-]{1,32}$ ]] || rig_die "simulator name '$name' is not a vCenter id ([a-z0-9_-]{1,32})"
	[ -x "${VC_VCSIM:-}" ] || rig_die "VC_VCSIM='${VC_VCSIM:-}' is not an executable (build target vcsim)"
	pass=$(rig_secret)
	seed=$((${#RIG_VCSIMS[@]} + 1))
	for flag in "$@"; do
		case "$flag" in
		-user=* | --user=*) user=${flag#*=} ;;
		-password=* | --password=*) pass=${flag#*=} ;;
		esac
	done
	d="$RIG_DIR/vcsim-$name"
	mkdir -p "$d/tmp"
	rig_write_secret "$d/password" "$pass"
	# Flags given by the caller come last: Go's flag package keeps the last value.
	rig_spawn "vcsim-$name" env TMPDIR="$d/tmp" "$VC_VCSIM" -seed="$seed" \
		-user="$user" -password="$pass" -cert-out="$d/cert.pem" "$@"
	local v
	v=$(rig_vcsim_var "$name")
	printf -v "${v}_PID" '%s' "$RIG_LAST_PID"
	printf -v "${v}_USER" '%s' "$user"
	printf -v "${v}_PASSWORD" '%s' "$pass"
	printf -v "${v}_PASS_FILE" '%s' "$d/password"
	printf -v "${v}_CERT" '%s' "$d/cert.pem"
	export "${v}_PID" "${v}_USER" "${v}_PASSWORD" "${v}_PASS_FILE" "${v}_CERT"
	RIG_VCSIMS+=("$name")
	RIG_VCSIM_NAMES="${RIG_VCSIMS[*]}"
	export RIG_VCSIM_NAMES
}

# rig_vcsim_wait NAME: waits (RIG_VCSIM_TIMEOUT s, default 180) for the URL line and
# exports RIG_VCSIM_<NAME>_URL, _FINGERPRINT (SHA-256, hex with colons) and the
# counts _VMS, _HOSTS.
rig_vcsim_wait() {
	local name=$1 v out pid url counts
	v=$(rig_vcsim_var "$name")
	out="$RIG_DIR/log/vcsim-$name.out"
	pid=${v}_PID
	pid=${!pid}
	local n=0 limit=$((${RIG_VCSIM_TIMEOUT:-180} * 10))
	until grep -q '^VMS ' "$out" 2>/dev/null; do
		if ! rig_alive "$pid"; then
			cat "$RIG_DIR/log/vcsim-$name.err" >&2
			rig_die "simulator $name exited before it was ready"
		fi
		n=$((n + 1))
		[ $n -ge $limit ] && rig_die "simulator $name not ready after ${RIG_VCSIM_TIMEOUT:-180}s"
		sleep 0.1
	done
	url=$(awk '$1 == "URL" {print $2; exit}' "$out")
	counts=$(grep -m1 '^VMS ' "$out")
	printf -v "${v}_URL" '%s' "$url"
	printf -v "${v}_VMS" '%s' "$(echo "$counts" | awk '{print $2}')"
	printf -v "${v}_HOSTS" '%s' "$(echo "$counts" | awk '{print $4}')"
	printf -v "${v}_FINGERPRINT" '%s' "$(openssl x509 -in "$RIG_DIR/vcsim-$name/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)"
	export "${v}_URL" "${v}_VMS" "${v}_HOSTS" "${v}_FINGERPRINT"
}

# rig_vcsim_start NAME [vcsim flags]: start one simulator and wait until it serves.
rig_vcsim_start() {
	rig_vcsim_spawn "$@"
	rig_vcsim_wait "$1"
}

# ---------------------------------------------------------------- keys and config

# rig_keygen [FILE]: a cache key file "1:base64(32 random bytes)", mode 0600; exports
# RIG_KEY_FILE. (Same format as `vcompanion keygen`.)
rig_keygen() {
	RIG_KEY_FILE=${1:-$RIG_DIR/cache.keys}
	rig_write_secret "$RIG_KEY_FILE" "1:$(openssl rand -base64 32)"
	export RIG_KEY_FILE
}

# rig_json STRING: STRING as a JSON string literal.
rig_json() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# rig_config OUT: a vCompanion JSON config for everything started so far: the rig's
# Redis (socket + password files), the key file (made if missing), each simulator as
# a vCenter (id = its name, TLS verified against its own certificate). The web
# listener is RIG_WEB_LISTEN (default unix:$RIG_DIR/web.sock); exports RIG_CONFIG.
rig_config() {
	local out=$1 first=1 name v
	[ -n "${RIG_KEY_FILE:-}" ] || rig_keygen
	: "${RIG_WEB_LISTEN:=unix:$RIG_DIR/web.sock}"
	export RIG_WEB_LISTEN
	{
		echo "{"
		if [ -n "${RIG_REDIS_SENTINELS:-}" ]; then
			echo "  \"redis\": { \"sentinels\": [$(rig_json "$RIG_REDIS_SENTINELS")], \"master\": $(rig_json "$RIG_SENTINEL_MASTER"),"
		else
			echo "  \"redis\": { \"socket\": $(rig_json "${RIG_REDIS_SOCK:-}"),"
		fi
		echo "             \"collector\": { \"user\": \"collector\", \"password_file\": $(rig_json "${RIG_REDIS_COLLECTOR_PASS_FILE:-}") },"
		echo "             \"web\": { \"user\": \"web\", \"password_file\": $(rig_json "${RIG_REDIS_WEB_PASS_FILE:-}") } },"
		echo "  \"key_file\": $(rig_json "$RIG_KEY_FILE"),"
		echo "  \"web\": { \"listen\": $(rig_json "$RIG_WEB_LISTEN"), \"workers\": ${RIG_WEB_WORKERS:-4},"
		echo "           \"templates\": $(rig_json "$VC_TOP/templates"),"
		echo "           \"static_dir\": $(rig_json "$(rig_static_dir)"),"
		echo "           \"session_timeout\": 1800, \"admins\": [\"administrator@vsphere.local\"] },"
		echo "  \"collector\": { \"concurrency\": 4, \"interval\": 60, \"timeout\": 30 },"
		echo "  \"log\": { \"level\": \"${RIG_LOG_LEVEL:-info}\" },"
		echo "  \"vcenters\": ["
		for name in "${RIG_VCSIMS[@]}"; do
			v=$(rig_vcsim_var "$name")
			[ $first -eq 1 ] || echo "    ,"
			first=0
			_rig_config_vcenter "$name" "$v"
		done
		echo "  ]"
		echo "}"
	} >"$out"
	RIG_CONFIG=$out
	export RIG_CONFIG
}

_rig_config_vcenter() {
	local name=$1 v=$2 url user pf cert
	url=${v}_URL user=${v}_USER pf=${v}_PASS_FILE cert=${v}_CERT
	echo "    { \"id\": $(rig_json "$name"), \"name\": $(rig_json "Simulator $name"),"
	echo "      \"url\": $(rig_json "${!url}"), \"verify_tls\": true,"
	echo "      \"ca_file\": $(rig_json "${!cert}"), \"fingerprint\": null, \"interval\": 60,"
	echo "      \"user\": $(rig_json "${!user}"), \"password_file\": $(rig_json "${!pf}") }"
}

# ---------------------------------------------------------------- nginx

# rig_static_dir: what nginx serves as /static/: RIG_NGINX_STATIC, else the build's
# assets ($VC_BUILD/static), else the source folder.
rig_static_dir() {
	if [ -n "${RIG_NGINX_STATIC:-}" ]; then echo "$RIG_NGINX_STATIC"
	elif [ -n "${VC_BUILD:-}" ] && [ -d "$VC_BUILD/static" ]; then echo "$VC_BUILD/static"
	else echo "$VC_TOP/nginx/static"; fi
}

# rig_nginx_start: a real nginx with the production snippets (nginx/snippets/*.conf:
# headers, TLS, limits, locations) on a free loopback port with a throwaway cert.
# The FastCGI upstream is RIG_WEB_UPSTREAM (nginx syntax: unix:/path or host:port;
# default: RIG_WEB_LISTEN, else unix:$RIG_DIR/web.sock). Exports RIG_NGINX_URL,
# RIG_NGINX_PORT, RIG_NGINX_CERT. RIG_NGINX_WANT_PORT asks for a fixed port.
rig_nginx_start() {
	local d="$RIG_DIR/nginx" port upstream
	mkdir -p "$d/snippets" "$d/logs" "$d/tmp"
	port=${RIG_NGINX_WANT_PORT:-$(rig_free_port)} || exit 1
	upstream=${RIG_WEB_UPSTREAM:-${RIG_WEB_LISTEN:-unix:$RIG_DIR/web.sock}}
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null || rig_die "openssl could not make a cert"
	cp /etc/nginx/mime.types /etc/nginx/fastcgi_params "$d/"
	cp "$VC_TOP"/nginx/snippets/*.conf "$d/snippets/"
	sed -i "s|/usr/share/vcompanion/static/|$(rig_static_dir)/|" "$d/snippets/vcompanion-server.conf"
	_rig_nginx_conf "$d" "$port" "$upstream" >"$d/nginx.conf"
	rig_spawn nginx nginx -p "$d" -c "$d/nginx.conf" -g 'daemon off;'
	RIG_NGINX_PID=$RIG_LAST_PID
	RIG_NGINX_PORT=$port
	RIG_NGINX_URL="https://127.0.0.1:$port"
	RIG_NGINX_CERT="$d/cert.pem"
	export RIG_NGINX_PID RIG_NGINX_PORT RIG_NGINX_URL RIG_NGINX_CERT
	if ! rig_wait_for 10 "nginx on port $port" _rig_nginx_up; then
		cat "$RIG_DIR/log/nginx.err" "$d/logs/error.log" >&2 2>/dev/null
		rig_die "nginx did not start"
	fi
}

_rig_nginx_up() {
	rig_alive "$RIG_NGINX_PID" && (exec 3<>"/dev/tcp/127.0.0.1/$RIG_NGINX_PORT")
}

# The test's nginx.conf: only what differs from production lives here (ports, paths,
# one worker, the upstream address); everything a browser sees comes from snippets/.
_rig_nginx_conf() {
	local d=$1 port=$2 upstream=$3 user=""
	[ "$(id -u)" -eq 0 ] && user="user root;"
	cat <<EOF
$user
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log info;
events { worker_connections 256; }
http {
    include mime.types;
    default_type application/octet-stream;
    access_log $d/logs/access.log;
    client_body_temp_path $d/tmp/body;
    fastcgi_temp_path $d/tmp/fastcgi;
    proxy_temp_path $d/tmp/proxy;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;
    sendfile on;

    include snippets/vcompanion-http.conf;

    upstream vcompanion_web {
        server $upstream;
        # 1 nginx worker x ${RIG_NGINX_KEEPALIVE:-2} < the rig's ${RIG_WEB_WORKERS:-4} FastCGI workers.
        keepalive ${RIG_NGINX_KEEPALIVE:-2};
        keepalive_timeout 10s;
    }

    server {
        listen 127.0.0.1:$port ssl http2;
        server_name localhost;
        ssl_certificate $d/cert.pem;
        ssl_certificate_key $d/key.pem;
        include snippets/vcompanion-tls.conf;
        include snippets/vcompanion-server.conf;
    }
}
EOF
}

rig_nginx_stop() {
	[ -n "${RIG_NGINX_PID:-}" ] || return 0
	rig_stop_pid "$RIG_NGINX_PID"
	rig_forget "$RIG_NGINX_PID"
	RIG_NGINX_PID=
}

# ---------------------------------------------------------------- vCompanion daemons

# rig_web_start [BINARY]: vcompanion-web -c $RIG_CONFIG (default binary
# $VC_BUILD/fcgi/vcompanion-web); waits for its unix socket or TCP port.
rig_web_start() {
	local bin=${1:-${VC_BUILD:-}/fcgi/vcompanion-web} listen
	[ -x "$bin" ] || rig_die "no web binary at $bin"
	[ -n "${RIG_CONFIG:-}" ] || rig_die "rig_web_start needs rig_config first"
	rig_spawn web "$bin" -c "$RIG_CONFIG"
	RIG_WEB_PID=$RIG_LAST_PID
	export RIG_WEB_PID
	listen=${RIG_WEB_LISTEN#unix:}
	if [ "$listen" != "$RIG_WEB_LISTEN" ]; then
		rig_wait_for 15 "web socket $listen" test -S "$listen" || rig_die "vcompanion-web did not start (see $RIG_DIR/log/web.err)"
	else
		rig_wait_for 15 "web on $listen" bash -c "exec 3<>/dev/tcp/${listen%:*}/${listen##*:}" || rig_die "vcompanion-web did not start (see $RIG_DIR/log/web.err)"
	fi
}

# rig_collector_once [BINARY]: one collector pass over every vCenter of $RIG_CONFIG;
# returns its exit status, output in $RIG_DIR/log/collector-once.{out,err}.
rig_collector_once() {
	local bin=${1:-${VC_BUILD:-}/collector/vcompanion-collector}
	[ -x "$bin" ] || rig_die "no collector binary at $bin"
	"$bin" -c "$RIG_CONFIG" --once >"$RIG_DIR/log/collector-once.out" 2>"$RIG_DIR/log/collector-once.err"
}
