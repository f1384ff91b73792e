#!/usr/bin/env bash
# `make demo`: the portal on simulated vCenters, on this machine, until Ctrl-C.
#
#   demo.sh BUILD_DIR        (make demo passes build/release)
#
# Starts Redis, three vCenter simulators of different sizes, a key file and a config
# in build/demo (kept after exit, so logs and config can be read), then whatever of
# vCompanion BUILD_DIR holds: the collector, the web tier behind nginx. Environment:
#   DEMO_SECONDS  stop after this many seconds instead of waiting for Ctrl-C
#   DEMO_PORT     HTTPS port of the portal (default 8443, a free one if taken)
#   DEMO_DIR      where everything goes (default: BUILD_DIR/../demo)
# To add a step, write a demo_* function and call it from main() in order.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 1 ] || { echo "usage: demo.sh BUILD_DIR" >&2; exit 2; }
VC_BUILD=$(cd "$1" 2>/dev/null && pwd) || { echo "demo: no build folder $1 (run make build)" >&2; exit 1; }
export VC_TOP=$top VC_BUILD
: "${VC_VCSIM:=$VC_BUILD/tests/vcsim/vcsim}"
export VC_VCSIM
. "$top/tests/rig/lib.sh"

DEMO_USER=administrator@vsphere.local
DEMO_PASSWORD=demo-$(openssl rand -hex 4)
COLLECTOR=$VC_BUILD/collector/vcompanion-collector
WEB=$VC_BUILD/fcgi/vcompanion-web
STARTED=()      # lines for the summary

note() { STARTED+=("$(printf '  %-11s %s' "$1" "$2")"); }

# The simulators all accept the same demo login, so one portal login opens them all.
demo_vcenters() {
	[ -x "$VC_VCSIM" ] || rig_die "no simulator at $VC_VCSIM: make build builds it (target vcsim)"
	local auth=(-user="$DEMO_USER" -password="$DEMO_PASSWORD")
	# 2 DCs x (3 clusters + 1 standalone host) x 25 VMs = 200 VMs
	rig_vcsim_spawn prod "${auth[@]}" -seed=11 -datacenters=2 -clusters=3 -hosts=4 \
		-standalone=1 -vms=25 -datastores=3 -portgroups=4 -pods=1
	# 1 DC x (1 cluster + 1 standalone host) x 50 VMs = 100 VMs
	rig_vcsim_spawn lab "${auth[@]}" -seed=22 -datacenters=1 -clusters=1 -hosts=3 \
		-standalone=1 -vms=50 -datastores=2 -portgroups=2
	# a single ESX host with 8 VMs
	rig_vcsim_spawn esx01 "${auth[@]}" -seed=33 -esx -vms=8
	local name v url vms
	for name in prod lab esx01; do
		rig_vcsim_wait "$name"
		v=$(rig_vcsim_var "$name")
		url=${v}_URL vms=${v}_VMS
		note "vCenter" "$name  ${!url}  (${!vms} VMs)"
	done
}

demo_redis() {
	rig_redis_start
	note "Redis" "unix socket $RIG_REDIS_SOCK"
}

demo_config() {
	rig_keygen "$RIG_DIR/cache.keys"
	rig_config "$RIG_DIR/vcompanion.json"
	note "config" "$RIG_CONFIG"
	note "key file" "$RIG_KEY_FILE"
}

demo_collector() {
	if [ ! -x "$COLLECTOR" ]; then
		note "collector" "not built yet ($COLLECTOR)"
		return 0
	fi
	rig_spawn collector "$COLLECTOR" -c "$RIG_CONFIG"
	note "collector" "pid $RIG_LAST_PID, log $RIG_DIR/log/collector.err"
}

demo_portal() {
	if [ ! -x "$WEB" ]; then
		note "portal" "web tier not built yet ($WEB); nginx not started"
		return 0
	fi
	rig_web_start "$WEB"
	note "web" "pid $RIG_WEB_PID on $RIG_WEB_LISTEN, log $RIG_DIR/log/web.err"
	RIG_NGINX_WANT_PORT=${DEMO_PORT:-8443}
	if (exec 3<>"/dev/tcp/127.0.0.1/$RIG_NGINX_WANT_PORT") 2>/dev/null; then
		RIG_NGINX_WANT_PORT=$(rig_free_port)
	fi
	rig_nginx_start
	PORTAL="$RIG_NGINX_URL/"
	note "nginx" "pid $RIG_NGINX_PID, logs $RIG_DIR/nginx/logs/"
}

summary() {
	echo
	echo "vCompanion demo — everything lives in $RIG_DIR"
	printf '%s\n' "${STARTED[@]}"
	if [ -n "${PORTAL:-}" ]; then
		echo
		echo "  Portal:  $PORTAL   (self-signed certificate: accept it in the browser)"
		echo "  Login:   $DEMO_USER  /  $DEMO_PASSWORD   (tick any of prod, lab, esx01)"
	fi
	echo
	if [ -n "${DEMO_SECONDS:-}" ]; then
		echo "Stopping in $DEMO_SECONDS s."
	else
		echo "Press Ctrl-C to stop everything."
	fi
}

# wait_until_stopped: Ctrl-C / DEMO_SECONDS; says so when a process dies meanwhile.
wait_until_stopped() {
	local n=0 pid name
	while [ -z "${DEMO_SECONDS:-}" ] || [ $n -lt "$DEMO_SECONDS" ]; do
		sleep 1
		n=$((n + 1))
		while read -r pid name; do
			if ! rig_alive "$pid"; then
				echo "demo: $name (pid $pid) exited; see $RIG_DIR/log/$name.err" >&2
				rig_forget "$pid"
			fi
		done <"$RIG_DIR/pids"
	done
}

main() {
	RIG_KEEP=1
	rig_init "${DEMO_DIR:-$(dirname "$VC_BUILD")/demo}"
	# Ctrl-C is the normal way out: clean up (EXIT trap) and exit 0.
	trap 'echo; echo "demo: stopping"; exit 0' INT TERM
	demo_redis
	demo_vcenters
	demo_config
	demo_collector
	demo_portal
	summary
	wait_until_stopped
}

main
