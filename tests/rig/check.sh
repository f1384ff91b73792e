# shellcheck shell=bash
# Counting checks for shell tests (sourced): `check WHAT CMD...` runs CMD and prints
# "ok   WHAT" or "FAIL WHAT"; `check_summary` prints the totals and fails when any
# check failed, so it ends a test: `check_summary`.
pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "ok   $*"; }
bad()  { fail=$((fail + 1)); echo "FAIL $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
check_summary() { echo "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
