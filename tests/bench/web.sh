# What the wrk benchmarks of the web tier share (sourced by bench-pages.sh,
# bench-search.sh and bench-web.sh, after tests/rig/lib.sh): logging in through
# nginx, the workers' CPU ticks, and the warm-up.
#
# Warm-up: every web worker builds its decoded snapshots, search indexes and sort orders on
# its first request for them (seconds at 51,000 VMs), and nginx's FastCGI keepalive
# pool can leave a worker idle through a short warm-up with as many connections as
# workers, so that worker would build inside the measured window. warm_workers runs
# rounds of wrk with 4 x CONNS connections on one target until a round in which every
# worker used CPU after a round in which each already had (each has served that
# target before the round, so the round ran warm); at most BENCH_WARM_ROUNDS (8).
# Needs RIG_WEB_PID, THREADS, CONNS, COOKIE and U of the calling script.

# bench_login USER PASSWORD VCENTER...: logs in through the rig's nginx to the
# vCenters; prints the session's Cookie header for wrk and curl.
bench_login() {
	local user=$1 pass=$2 jar=$RIG_DIR/jar pre sid vc args=()
	shift 2
	for vc in "$@"; do args+=(-d "vcenter=$vc"); done
	rm -f "$jar"
	curl -sS --cacert "$RIG_NGINX_CERT" -c "$jar" -b "$jar" -o "$RIG_DIR/login.html" "$RIG_NGINX_URL/login"
	pre=$(grep -o 'name="csrf" value="[^"]*"' "$RIG_DIR/login.html" | head -1 | sed 's/.*value="//; s/"$//')
	curl -sS --cacert "$RIG_NGINX_CERT" -c "$jar" -b "$jar" -o /dev/null \
		--data-urlencode "username=$user" --data-urlencode "password=$pass" "${args[@]}" \
		--data-urlencode "csrf=$pre" "$RIG_NGINX_URL/login"
	sid=$(awk '$6 == "__Host-vcsid" {print $7}' "$jar")
	[ -n "$sid" ] || { echo "bench: login failed" >&2; exit 1; }
	echo "Cookie: __Host-vcsid=$sid"
}

# "pid:ticks" (utime + stime) of each of the web master's workers.
worker_ticks_each() {
	local pid
	for pid in $(pgrep -P "$RIG_WEB_PID"); do
		echo "$pid:$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)"
	done
}

# CPU ticks of all the web master's workers so far.
worker_ticks() {
	worker_ticks_each | awk -F: '{ s += $2 } END { print s + 0 }'
}

# The workers whose ticks differ between two worker_ticks_each listings ($1, $2).
workers_moved() {
	local pid
	for pid in $(pgrep -P "$RIG_WEB_PID"); do
		[ "$(echo "$1" | grep "^$pid:")" = "$(echo "$2" | grep "^$pid:")" ] || echo "$pid"
	done
}

# warm_workers PATH: warms every worker on $U$PATH; says how many rounds it took.
warm_workers() {
	local round before moved served="" n_workers warm pid
	n_workers=$(pgrep -c -P "$RIG_WEB_PID")
	for round in $(seq 1 "${BENCH_WARM_ROUNDS:-8}"); do
		before=$(worker_ticks_each)
		wrk -t"$THREADS" -c"$((CONNS * 4))" -d2s -H "$COOKIE" "$U$1" >/dev/null
		moved=$(workers_moved "$before" "$(worker_ticks_each)" | tr "\n" " ")
		warm=0
		for pid in $moved; do
			case " $served " in *" $pid "*) warm=$((warm + 1)) ;; esac
		done
		if [ "$warm" = "$n_workers" ]; then
			echo "bench: warm-up of $1: $round rounds"
			return 0
		fi
		served="$served $moved"
	done
	echo "bench: WARNING: $1: not every worker served it in two rounds of $round; the figures may include a cold build"
}
