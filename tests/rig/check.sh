# shellcheck shell=bash
# TAP-like results for shell tests (sourced after lib.sh): `check WHAT CMD...` runs
# CMD and prints "ok - WHAT" or "not ok - WHAT"; PASS and FAIL count them; `finish`
# prints the time since sourcing and the totals, and fails when any check did.
PASS=0 FAIL=0 T_START=$(date +%s)
ok() { echo "ok - $*"; PASS=$((PASS + 1)); }
not_ok() { echo "not ok - $*"; FAIL=$((FAIL + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }
finish() {
	echo "# took $(($(date +%s) - T_START)) s"
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
