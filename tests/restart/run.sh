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

bin=build/yingji-san
[ -x "$bin" ] || bin=build/yingji
if [ ! -x "$bin" ]; then
    echo "restart: build/yingji-san and build/yingji are missing (run make build/yingji-san)" >&2
    echo "restart tests: 0 passed, 1 failed"
    exit 1
fi
bin="$root/$bin"
backends=${API_BACKENDS:-sqlite postgres}

mkdir -p tests/out
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

tmp=$(mktemp -d /tmp/yingji-restart.XXXXXX)
cluster=""
server_pid=""

cleanup() {
    if [ -n "$server_pid" ]; then
        kill -KILL "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=""
    fi
    if [ -n "$cluster" ]; then
        scripts/pg-test-cluster.sh stop "$cluster" >/dev/null 2>&1 || true
        cluster=""
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

total_pass=0
total_fail=0

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

sanitizer_report() {
    grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$1" | head -n 5
}

# start_server DB PORT LOG — starts the server in the background and waits for /healthz.
start_server() {
    local db=$1 port=$2 log=$3 i
    "$bin" serve --db "$db" --listen "127.0.0.1:$port" >"$log" 2>&1 &
    server_pid=$!
    for ((i = 0; i < 300; i++)); do
        if node -e 'fetch(process.argv[1]+"/healthz").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' \
            "http://127.0.0.1:$port"; then
            return 0
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "restart: server did not come up; its log:" >&2
    tail -n 40 "$log" >&2
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
    return 1
}

# stop_server — SIGTERM, up to 30 s; returns the exit status.
stop_server() {
    local pid=$server_pid i rc
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "restart: server did not exit within 30 s of SIGTERM; killing it" >&2
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        server_pid=""
        return 124
    fi
    wait "$pid"
    rc=$?
    server_pid=""
    return $rc
}

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
    if ! "$bin" demo --db "$db" >"tests/out/restart-$name-demo.log" 2>&1; then
        tail -n 30 "tests/out/restart-$name-demo.log" >&2
        echo "restart: [$name] yingji demo failed" >&2
        total_fail=$((total_fail + 1))
        return
    fi
    port=$(free_port)
    log1="tests/out/restart-$name-serve1.log"
    log2="tests/out/restart-$name-serve2.log"
    if ! start_server "$db" "$port" "$log1"; then
        total_fail=$((total_fail + 1))
        return
    fi
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
        if start_server "$db" "$port" "$log2"; then
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
            echo "not ok - the server starts again on the database it was killed on"
            b_fail=$((b_fail + 1))
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

for backend in $backends; do
    case $backend in
    sqlite)
        run_backend sqlite "sqlite:$tmp/restart.db"
        ;;
    postgres)
        cluster=$(mktemp -d /tmp/yingji-restart-pg.XXXXXX)
        if ! pgurl=$(scripts/pg-test-cluster.sh start "$cluster" 2>"$tmp/pg-start.log"); then
            cat "$tmp/pg-start.log" >&2
            echo "restart: cannot start a PostgreSQL test cluster" >&2
            total_fail=$((total_fail + 1))
            scripts/pg-test-cluster.sh stop "$cluster" >/dev/null 2>&1 || rm -rf "$cluster"
            cluster=""
            continue
        fi
        run_backend postgres "$pgurl"
        scripts/pg-test-cluster.sh stop "$cluster" >/dev/null 2>&1 || true
        cluster=""
        ;;
    *)
        echo "restart: unknown backend '$backend'" >&2
        total_fail=$((total_fail + 1))
        ;;
    esac
done

echo "restart tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
