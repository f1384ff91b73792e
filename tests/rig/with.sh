#!/usr/bin/env bash
# Runs one command with throwaway services around it, then stops them all.
#
#   with.sh SERVICE... -- CMD [ARGS...]      exit status: CMD's (1 if the rig failed)
#
# SERVICE is one of:
#   redis           redis-server with the project's redis.conf and ACL users
#   vcsim[:OPTS]    one vCenter simulator; OPTS is a comma-separated list of
#                   name=ID and vcsim flags, e.g. vcsim:name=prod,-vms=20,-clusters=2.
#                   Default name vc1, vc2, ... in order; default size -vms=5
#                   (1 datacenter, 1 cluster of 3 hosts + 1 standalone host: 10 VMs).
#   nginx           nginx with the production snippets, upstream $RIG_WEB_LISTEN
#   web             vcompanion-web from $VC_BUILD (needs redis)
# With redis or vcsim it also writes a key file and a config ($RIG_CONFIG).
# CMD sees every RIG_* variable (docs/testing.md) and may source lib.sh itself to
# start more: they join this rig and are stopped with it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

services=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	services+=("$1")
	shift
done
[ "${1:-}" = -- ] && [ $# -ge 2 ] || { echo "usage: with.sh SERVICE... -- CMD [ARGS...]" >&2; exit 2; }
shift

rig_init
want_redis=0 want_nginx=0 want_web=0 nsim=0
for s in "${services[@]}"; do
	case "$s" in
	redis) want_redis=1 ;;
	nginx) want_nginx=1 ;;
	web) want_web=1 want_redis=1 ;;
	vcsim | vcsim:*)
		nsim=$((nsim + 1))
		name=vc$nsim
		flags=(-vms=5)
		if [ "$s" != vcsim ]; then
			IFS=, read -r -a opts <<<"${s#vcsim:}"
			for o in "${opts[@]}"; do
				case "$o" in
				name=*) name=${o#name=} ;;
				-*) flags+=("$o") ;;
				*) rig_die "unknown vcsim option '$o' (name=ID or -flag=value)" ;;
				esac
			done
		fi
		# Spawn now, wait below: simulators build their inventories in parallel.
		rig_vcsim_spawn "$name" "${flags[@]}"
		;;
	*) rig_die "unknown service '$s' (redis, vcsim[:opts], nginx, web)" ;;
	esac
done

[ $want_redis -eq 1 ] && rig_redis_start
for name in "${RIG_VCSIMS[@]}"; do rig_vcsim_wait "$name"; done
if [ $want_redis -eq 1 ] || [ $nsim -gt 0 ]; then
	rig_keygen
	rig_config "$RIG_DIR/vcompanion.json"
fi
[ $want_web -eq 1 ] && rig_web_start
[ $want_nginx -eq 1 ] && rig_nginx_start

# CMD runs in the background with our stdin, and the shell waits for it: a trap then
# fires at once on TERM/INT (not after CMD ends), and CMD, recorded like a service,
# is stopped first.
"$@" <&0 &
cmd_pid=$!
echo "$cmd_pid cmd" >>"$RIG_DIR/pids"
status=0
wait "$cmd_pid" || status=$?
rig_forget "$cmd_pid"
exit $status
