#!/usr/bin/env bash
# Installs the Debian packages listed in packages.txt that are not installed yet.
# Usage: deps.sh [GROUP ...]   (default: every group). apt-get as root, sudo otherwise.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
groups=("$@")
want=()
while read -r group pkg cmd; do
  case "$group" in ''|\#*) continue ;; esac
  if [ -n "${cmd:-}" ] && command -v "$cmd" >/dev/null 2>&1; then continue; fi
  if [ ${#groups[@]} -gt 0 ] && ! printf '%s\n' "${groups[@]}" | grep -qx "$group"; then continue; fi
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    want+=("$pkg")
  fi
done < "$top/packages.txt"
[ ${#want[@]} -eq 0 ] && exit 0
echo "deps: installing ${want[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${want[@]}"
# Package installs start the system redis-server and nginx; the project runs its own.
for svc in redis-server nginx; do
  if command -v systemctl >/dev/null && systemctl is-active -q "$svc" 2>/dev/null; then $sudo systemctl stop "$svc" || true
  elif command -v service >/dev/null; then $sudo service "$svc" stop >/dev/null 2>&1 || true; fi
done
