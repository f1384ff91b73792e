#!/usr/bin/env bash
# Browser test: Debian's chromium, driven by playwright-core from npm, walks the real
# portal (simulators -> collector -> Redis -> web tier -> nginx over TLS): login,
# dashboard totals, VM table sort and filter, search, VM detail with a confirmed
# snapshot operation, host detail with elevated mode (password form in place, badge
# counting down, SSH started, drop), storage topology, power off of a selection in the
# VM table with task toasts, a vCenter added in Settings (test, pin, save), theme and
# accent kept across a reload, logout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$VC_RIG/lib.sh"
rig_init
npm_dir="$VC_BUILD/browser-npm"
mkdir -p "$npm_dir"
cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
if ! cmp -s "$here/package-lock.json" "$npm_dir/node_modules/.package-lock.json" 2>/dev/null; then
	(cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
rig_redis_start
rig_vcsim_start east -datacenters=1 -clusters=1 -hosts=2 -vms=4 -pods=1
rig_vcsim_start west -vms=3
rig_keygen
rig_config "$RIG_DIR/vc.json"
# Started after rig_config: not in the configuration, added through Settings by the walk.
rig_vcsim_start extra -vms=1 -user=svc-extra@vsphere.local -password=Extra-pass-1
rig_collector_once
rig_web_start
rig_nginx_start
export UI_URL="$RIG_NGINX_URL" UI_USER="$RIG_VCSIM_EAST_USER" UI_PASSWORD="$RIG_VCSIM_EAST_PASSWORD"
# Both simulators were started with the same user but their own passwords: log in to
# east only, so the totals are east's.
export UI_VMS="$RIG_VCSIM_EAST_VMS" UI_VCENTER=east UI_SHOTS="${UI_SHOTS:-}"
export UI_EXTRA_URL="$RIG_VCSIM_EXTRA_URL" UI_EXTRA_USER=svc-extra@vsphere.local UI_EXTRA_PASSWORD=Extra-pass-1
NODE_PATH="$npm_dir/node_modules" node "$here/walk.js"
