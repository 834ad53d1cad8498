#!/bin/bash
# tests/unit/run.sh BIN… — runs the C unit test binaries (cmocka) against both backends.
#
# Unless YINGJI_TEST_PG is already set, starts a throwaway PostgreSQL cluster with
# scripts/pg-test-cluster.sh (stopped again on exit) and exports its URL as YINGJI_TEST_PG.
# Runs each binary, prints PASS/FAIL per binary (a failing binary's output is shown in full),
# and ends with the line "N passed, N failed" counting binaries; exits non-zero if any failed.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)

if [ $# -eq 0 ]; then
    echo "usage: $0 BIN…" >&2
    exit 2
fi

cluster=""
out=""
cleanup() {
    [ -z "$out" ] || rm -f "$out"
    if [ -n "$cluster" ]; then
        "$root/scripts/pg-test-cluster.sh" stop "$cluster" 2>/dev/null || true
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${YINGJI_TEST_PG:-}" ]; then
    cluster=$(mktemp -d /tmp/yingji-unit-pg.XXXXXX)
    if ! url=$("$root/scripts/pg-test-cluster.sh" start "$cluster" 2>"$cluster.log"); then
        cat "$cluster.log" >&2
        rm -f "$cluster.log"
        echo "unit: cannot start a PostgreSQL test cluster" >&2
        echo "0 passed, $# failed"
        exit 1
    fi
    rm -f "$cluster.log"
    export YINGJI_TEST_PG=$url
fi
echo "unit: PostgreSQL at $YINGJI_TEST_PG"

# Sanitizers: fail on the first report; leaks are errors too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# " — N tests, M skipped" summed over the cmocka groups of one binary's output.
cmocka_counts() {
    awk '/^\[  PASSED  \]/ { p += $4 } /^\[  SKIPPED \]/ { s += $4 }
         END { if (p + s) printf " — %d tests passed%s", p, s ? ", " s " skipped" : "" }' "$1"
}

passed=0
failed=0
out=$(mktemp /tmp/yingji-unit-out.XXXXXX)
for bin in "$@"; do
    name=$(basename "$bin")
    start=$EPOCHREALTIME
    "$bin" >"$out" 2>&1
    rc=$?
    secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        printf 'PASS %s (%ss)%s\n' "$name" "$secs" "$(cmocka_counts "$out")"
    else
        failed=$((failed + 1))
        cat "$out"
        printf 'FAIL %s (exit %d)\n' "$name" "$rc"
    fi
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
