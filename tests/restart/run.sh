#!/bin/bash
# tests/restart/run.sh — kill the server in the middle of an ingest stream, on both backends.
#
# The issue's test: "kill the server in the middle of an ingest stream and show that no
# acknowledged reading is lost and no warning is raised twice". For SQLite (a temp file) and
# then a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh):
#   1. loads the demo (`yingji demo --db …`) and starts `yingji serve` on a free port;
#   2. tests/restart/stream.mjs phase1 creates this run's sensors through the API and streams
#      line-format batches (X-Gateway-Key GW-DEMO-01) from 3 concurrent gateways, some
#      series climbing through the 水位 / 可燃气体 thresholds; once 40 % of the batches are
#      acknowledged it sends SIGKILL to the server while requests are in flight;
#   3. the server is started again on the same database and port;
#   4. stream.mjs phase2 resends a few acknowledged batches (answered: all duplicates) and
#      every unacknowledged one, then checks the store directly (sqlite3 / psql): every
#      acknowledged reading is there, and the warnings and their raise events are what the
#      series imply — one active warning per (rule, sensor), one raise per crossing.
# The server is build/yingji-san (ASan/UBSan) when it exists, else build/yingji; a sanitizer
# report in its logs, or a non-zero exit at the final SIGTERM, fails the run.
# Logs: tests/out/restart-<backend>-{demo,serve1,serve2}.log.
#
# Env: API_BACKENDS ("sqlite postgres" by default) picks the backends; RESTART_BATCHES,
# RESTART_PER_SENSOR, RESTART_KILL_AFTER tune the stream (see stream.mjs).
# Ends with "restart tests: N passed, N failed"; exits non-zero on any failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2

tag=restart
# shellcheck source=tests/lib.sh
. tests/lib.sh
server_bin "restart tests"
backends=${API_BACKENDS:-sqlite postgres}

mkdir -p tests/out

tmp=$(mktemp -d /tmp/yingji-restart.XXXXXX)
cluster=""
server_pid=""
total_pass=0
total_fail=0

trap 'kill_leftovers; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# add_results FILE — adds the RESULT line of a stream.mjs run to the totals.
add_results() {
    local p f
    p=$(sed -n 's/^RESULT pass=\([0-9]*\) fail=\([0-9]*\)$/\1/p' "$1" | tail -n 1)
    f=$(sed -n 's/^RESULT pass=\([0-9]*\) fail=\([0-9]*\)$/\2/p' "$1" | tail -n 1)
    if [ -z "$p" ]; then
        echo "restart: no RESULT line from stream.mjs" >&2
        p=0
        f=1
    fi
    b_pass=$((b_pass + p))
    b_fail=$((b_fail + f))
}

run_backend() {
    local name=$1 db=$2 port log1 log2 rc bad started
    b_pass=0
    b_fail=0
    started=$(date +%s)
    echo "=== restart test on $name ($db) ==="
    load_demo "$name" "$db" || return
    port=$(free_port)
    log1="tests/out/restart-$name-serve1.log"
    log2="tests/out/restart-$name-serve2.log"
    start_server "$name" "$log1" "$port" --db "$db" || return
    echo "restart: [$name] server on 127.0.0.1:$port (pid $server_pid)"

    node tests/restart/stream.mjs phase1 --url "http://127.0.0.1:$port" --pid "$server_pid" \
        --state "$tmp/state-$name.json" 2>&1 | tee "$tmp/phase1-$name.out"
    add_results "$tmp/phase1-$name.out"
    # the server must be dead by SIGKILL (stream.mjs killed it); make sure in any case
    if kill -0 "$server_pid" 2>/dev/null; then
        echo "restart: [$name] server still running after phase 1: killing it" >&2
        kill -KILL "$server_pid" 2>/dev/null
    fi
    { wait "$server_pid"; } 2>/dev/null
    rc=$?
    server_pid=""
    if [ "$rc" -eq 137 ]; then
        echo "ok - the server died of SIGKILL"
        b_pass=$((b_pass + 1))
    else
        echo "not ok - the server died of SIGKILL (exit status $rc)"
        b_fail=$((b_fail + 1))
    fi

    if [ -f "$tmp/state-$name.json" ]; then
        if start_server "$name" "$log2" "$port" --db "$db"; then
            echo "restart: [$name] restarted on the same database (pid $server_pid)"
            node tests/restart/stream.mjs phase2 --url "http://127.0.0.1:$port" \
                --state "$tmp/state-$name.json" --db "$db" 2>&1 | tee "$tmp/phase2-$name.out"
            add_results "$tmp/phase2-$name.out"
            stop_server
            rc=$?
            if [ $rc -ne 0 ]; then
                echo "not ok - the restarted server exits 0 on SIGTERM (status $rc, log $log2)"
                tail -n 20 "$log2" >&2
                b_fail=$((b_fail + 1))
            fi
        else
            echo "not ok - the server starts again on the database it was killed on (counted)"
        fi
    else
        echo "not ok - phase 1 left no state (see above)"
        b_fail=$((b_fail + 1))
    fi
    for l in "tests/out/restart-$name-demo.log" "$log1" "$log2"; do
        [ -f "$l" ] || continue
        if bad=$(sanitizer_report "$l") && [ -n "$bad" ]; then
            echo "not ok - sanitizer report in $l:"
            echo "$bad"
            b_fail=$((b_fail + 1))
        fi
    done
    echo "restart: [$name] $b_pass passed, $b_fail failed ($(($(date +%s) - started)) s)"
    total_pass=$((total_pass + b_pass))
    total_fail=$((total_fail + b_fail))
}

for_each_backend run_backend

echo "restart tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
