#!/bin/bash
# tests/api/run.sh [TEST_FILE…] — black-box API tests against a spawned server, on both backends.
#
# For SQLite and then for a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh): loads
# the demo data into a fresh database (`yingji demo`), starts `yingji serve --test-clock` on
# a free loopback port, waits for /healthz, runs `node --test` over tests/api/*.test.mjs (or
# the files given) one file at a time, then stops the server with SIGTERM. The server is the
# ASan/UBSan build (build/yingji-san) when it exists, else build/yingji; a non-zero exit or a
# sanitizer report in its log fails the run. Server logs: tests/out/api-<backend>.log.
#
# Env: API_BACKENDS ("sqlite postgres" by default) picks the backends.
# Ends with the line "api tests: N passed, N failed" summed over both backends; exits
# non-zero on any failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2

bin=build/yingji-san
[ -x "$bin" ] || bin=build/yingji
if [ ! -x "$bin" ]; then
    echo "api: build/yingji-san and build/yingji are missing (run make build/yingji-san)" >&2
    echo "api tests: 0 passed, 1 failed"
    exit 1
fi
bin="$root/$bin"

files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/api/)
backends=${API_BACKENDS:-sqlite postgres}

mkdir -p tests/out
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

tmp=$(mktemp -d /tmp/yingji-api.XXXXXX)
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

# Stops the server: SIGTERM, then up to 30 s for it to exit. Returns its exit status.
stop_server() {
    local pid=$server_pid i rc
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "api: server did not exit within 30 s of SIGTERM; killing it" >&2
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

sanitizer_report() {
    grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$1" | head -n 5
}

# run_backend NAME DB_URL — one full pass; adds to total_pass / total_fail.
run_backend() {
    local name=$1 db=$2
    local log="tests/out/api-$name.log" out="$tmp/node-$name.out"
    local port url i pass fail cancelled rc bad
    echo "=== api tests on $name ($db) ==="
    if ! "$bin" demo --db "$db" >"tests/out/api-$name-demo.log" 2>&1; then
        cat "tests/out/api-$name-demo.log" >&2
        echo "api: [$name] yingji demo failed (log: tests/out/api-$name-demo.log)" >&2
        total_fail=$((total_fail + 1))
        return
    fi
    if bad=$(sanitizer_report "tests/out/api-$name-demo.log") && [ -n "$bad" ]; then
        echo "api: [$name] sanitizer report while loading the demo:" >&2
        echo "$bad" >&2
        total_fail=$((total_fail + 1))
    fi
    port=$(free_port)
    url="http://127.0.0.1:$port"
    "$bin" serve --db "$db" --listen "127.0.0.1:$port" --test-clock >"$log" 2>&1 &
    server_pid=$!
    for ((i = 0; ; i++)); do
        if node -e 'fetch(process.argv[1]+"/healthz").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url"; then
            break
        fi
        if [ $i -ge 300 ] || ! kill -0 "$server_pid" 2>/dev/null; then
            echo "api: [$name] server did not come up; its log:" >&2
            tail -n 50 "$log" >&2
            stop_server
            total_fail=$((total_fail + 1))
            return
        fi
        sleep 0.1
    done
    echo "api: [$name] server on $url (pid $server_pid, log $log)"

    YINGJI_URL=$url YINGJI_DB=$db YINGJI_BIN=$bin \
        node --test --test-concurrency=1 --test-reporter=spec "${files[@]}" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}

    pass=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$out" | tail -n 1)
    fail=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$out" | tail -n 1)
    cancelled=$(sed -n 's/^ℹ cancelled \([0-9]*\)$/\1/p' "$out" | tail -n 1)
    pass=${pass:-0}
    fail=$((${fail:-0} + ${cancelled:-0}))
    if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        echo "api: [$name] node --test exited $rc" >&2
        fail=1
    fi

    stop_server
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "api: [$name] server exited with status $rc (log: $log)" >&2
        tail -n 30 "$log" >&2
        fail=$((fail + 1))
    fi
    if bad=$(sanitizer_report "$log") && [ -n "$bad" ]; then
        echo "api: [$name] sanitizer report in $log:" >&2
        echo "$bad" >&2
        fail=$((fail + 1))
    fi
    echo "api: [$name] $pass passed, $fail failed"
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
}

for backend in $backends; do
    case $backend in
    sqlite)
        run_backend sqlite "sqlite:$tmp/api.db"
        ;;
    postgres)
        cluster=$(mktemp -d /tmp/yingji-api-pg.XXXXXX)
        if ! pgurl=$(scripts/pg-test-cluster.sh start "$cluster" 2>"$tmp/pg-start.log"); then
            cat "$tmp/pg-start.log" >&2
            echo "api: cannot start a PostgreSQL test cluster" >&2
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
        echo "api: unknown backend '$backend'" >&2
        total_fail=$((total_fail + 1))
        ;;
    esac
done

echo "api tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
