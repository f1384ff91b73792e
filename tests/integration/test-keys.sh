#!/usr/bin/env bash
# Data key rotation end to end (docs/settings.md "Key rotation"): real Redis, a
# simulator, the collector daemon, vcompanion-web behind nginx (TLS), an admin
# session. `key rotate` puts a new key first in the key file (owner and mode kept, no
# key material printed); after a reload the census (CLI `key status`, Settings'
# /settings/keys) shows the values still sealed with the old key and `key retire`
# refuses; "Re-seal" in Settings (CSRF, audited) re-seals the web tier's values and
# the collector re-seals the inventory (cmd:reseal) without losing its event log;
# then `key retire` leaves one key, and after another reload the session, the pages
# and `dump` still work.
set -euo pipefail
. "$VC_RIG/lib.sh"
. "$VC_RIG/check.sh"   # check, finish
rig_init

rig_redis_start
rig_vcsim_start east -clusters=1 -hosts=1 -vms=2
rig_config "$RIG_DIR/vcompanion.json"
BIN=$VC_BUILD CLI=$VC_BUILD/fcgi/vcompanion
rig_spawn collector "$BIN/collector/vcompanion-collector" -c "$RIG_CONFIG"
COLLECTOR_PID=$RIG_LAST_PID
RIG_WEB_WORKERS=2 rig_web_start
rig_nginx_start

U=$RIG_NGINX_URL
H=$RIG_DIR/h; B=$RIG_DIR/b; JAR=$RIG_DIR/jar
. "$VC_RIG/http.sh"   # req, hdr, csrf_of, body_has, body_lacks
key() { "$CLI" -c "$RIG_CONFIG" key "$@"; }
status_of() { key status | awk -v k="$1" -F': ' '$1 == k { print $2 + 0 }'; }
key_lines() { grep -c '^[0-9]' "$RIG_KEY_FILE"; }
polled() { [ "$(rig_redis_cli GET 'vc:{east}:gen')" -ge 1 ] 2>/dev/null; }
reload_all() { kill -HUP "$COLLECTOR_PID" "$RIG_WEB_PID"; sleep 2; }

check "collector polled east" rig_wait_for 60 "first poll" polled
req GET /login >/dev/null
PRE=$(csrf_of)
check "admin login" test "$(req POST /login --data-urlencode "username=$RIG_VCSIM_EAST_USER" \
	--data-urlencode "password=$RIG_VCSIM_EAST_PASSWORD" -d vcenter=east --data-urlencode "csrf=$PRE")" = 303
check "status: key 1 seals" test "$(status_of 'first key (seals)')" = 1
check "status: nothing older" test "$(status_of 'older keys')" = 0
check "status: values sealed with key 1" test "$(status_of 'key 1')" -gt 3

# ---- rotate: a new first key, the old one kept below it
MODE0=$(stat -c %a "$RIG_KEY_FILE")
OLD_LINE=$(head -1 "$RIG_KEY_FILE")
check "rotate exit 0" bash -c "'$CLI' -c '$RIG_CONFIG' key rotate >'$RIG_DIR/rotate.out'"
check "rotate says key 2" grep -q '^key 2 is now first' "$RIG_DIR/rotate.out"
check "key file: two keys, 2 first" test "$(key_lines)" = 2 -a "$(head -1 "$RIG_KEY_FILE" | cut -d: -f1)" = 2
check "key file: the old key kept" test "$(sed -n 2p "$RIG_KEY_FILE")" = "$OLD_LINE"
check "key file: mode kept" test "$(stat -c %a "$RIG_KEY_FILE")" = "$MODE0"
NEW_B64=$(head -1 "$RIG_KEY_FILE" | cut -d: -f2)
check "no key material printed" bash -c "! grep -qF '$NEW_B64' '$RIG_DIR/rotate.out' && ! grep -qF '${OLD_LINE#*:}' '$RIG_DIR/rotate.out'"
check "status: key 2 seals now" test "$(status_of 'first key (seals)')" = 2
STALE=$(status_of 'older keys')
check "status: values sealed with key 1 are older" test "$STALE" -gt 3
check "retire refuses while values need key 1" bash -c "! '$CLI' -c '$RIG_CONFIG' key retire 2>'$RIG_DIR/retire1.err'"
check "retire says why" grep -q 'still sealed with an older key' "$RIG_DIR/retire1.err"
check "key file untouched by the refusal" test "$(key_lines)" = 2

# ---- reload, then re-seal from Settings
reload_all
check "the session opens after the reload" test "$(req GET /settings)" = 200
CSRF=$(csrf_of)
check "settings loads the census" grep -q 'hx-get="/settings/keys"' "$B"
check "census 200" test "$(req GET /settings/keys -H 'HX-Request: true')" = 200
check "census shows key 1 as older" grep -q '<tr data-key-id="1"><td>1</td><td class="num">[1-9][0-9]*</td><td><span class="badge is-warning">older key' "$B"
check "census says values are stale" grep -q 'class="stale-count">[1-9]' "$B"
check "re-seal without csrf 403" test "$(req POST /settings/keys/reseal)" = 403
EVENTS0=$(rig_redis_cli LLEN 'vc:{east}:events')
check "re-seal 303" test "$(req POST /settings/keys/reseal --data-urlencode "csrf=$CSRF")" = 303
check "re-seal lands on the message" test "$(hdr location)" = "location: /settings?done=resealed"
resealed() { [ "$(status_of 'older keys')" = 0 ]; }
check "everything re-sealed (collector included)" rig_wait_for 30 "re-seal" resealed
check "the collector logged it" grep -q 'event=collector.resealed vcenter=east' "$RIG_DIR/log/collector.err"
check "the event log kept its entries" test "$(rig_redis_cli LLEN 'vc:{east}:events')" -ge "$EVENTS0"
req GET /settings/keys -H 'HX-Request: true' >/dev/null
check "census says the old key may go" grep -q 'keys-retirable' "$B"
req GET /audit >/dev/null
check "re-seal audited" grep -q 'settings.keys.reseal' "$B"
check "CLI rotation audited" grep -q 'cli.key.rotate' "$B"
check "refused retirement audited" grep -q 'cli.key.retire' "$B"
check "CLI entries name the unix user" grep -q "cli:$(id -un)" "$B"

# ---- retire, reload: one key, everything still opens
check "retire exit 0" bash -c "'$CLI' -c '$RIG_CONFIG' key retire >'$RIG_DIR/retire.out'"
check "key file: key 2 only" test "$(key_lines)" = 1 -a "$(head -1 "$RIG_KEY_FILE" | cut -d: -f1)" = 2
check "retire again: nothing to do" bash -c "'$CLI' -c '$RIG_CONFIG' key retire | grep -q 'nothing to retire'"
reload_all
check "the session survives the retirement" test "$(req GET /dashboard)" = 200
check "dashboard shows east's VMs" grep -q 'Simulator east' "$B"
check "dump opens everything" bash -c "'$CLI' -c '$RIG_CONFIG' dump --vcenter east --type vm | jq -e 'length == $RIG_VCSIM_EAST_VMS' >/dev/null"
check "no tampered value logged" bash -c "! grep -q 'event=store.tampered' '$RIG_DIR'/log/*.err"
check "no sanitizer report" bash -c "! grep -qE 'ERROR: (Address|Leak|Undefined)|runtime error' '$RIG_DIR'/log/*.err"
finish
