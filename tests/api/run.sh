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

tag=api
# shellcheck source=tests/lib.sh
. tests/lib.sh
server_bin "api tests"

files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/api/)
backends=${API_BACKENDS:-sqlite postgres}

mkdir -p tests/out

tmp=$(mktemp -d /tmp/yingji-api.XXXXXX)
cluster=""
server_pid=""
total_pass=0
total_fail=0

trap 'kill_leftovers; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# run_backend NAME DB_URL — one full pass; adds to total_pass / total_fail.
run_backend() {
    local name=$1 db=$2
    local log="tests/out/api-$name.log" out="$tmp/node-$name.out"
    local port url rc pass fail problems
    echo "=== api tests on $name ($db) ==="
    load_demo "$name" "$db" || return
    # warning publication: a spool per backend and a (disabled) SMS gateway whose callbacks
    # are authenticated by a secret (tests/api/publish.test.mjs reads this file)
    mkdir -p "$tmp/spool-$name"
    printf '{"channels": [{"name": "file", "kind": "spool", "dir": "%s"}, {"name": "sms", "kind": "sms", "url": "http://127.0.0.1:9/sms", "enabled": false, "callback_secret": "api-test-secret"}]}\n' \
        "$tmp/spool-$name" >"$tmp/channels-$name.json"
    export YINGJI_CHANNELS="$tmp/channels-$name.json"
    port=$(free_port)
    url="http://127.0.0.1:$port"
    start_server "$name" "$log" "$port" --db "$db" --test-clock || return
    echo "api: [$name] server on $url (pid $server_pid, log $log)"

    YINGJI_URL=$url YINGJI_DB=$db YINGJI_BIN=$bin \
        node --test --test-concurrency=1 --test-reporter=spec "${files[@]}" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    node_test_counts "$out"
    if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        echo "api: [$name] node --test exited $rc" >&2
        fail=1
    fi
    finish_server "$name" "$log"
    fail=$((fail + problems))
    echo "api: [$name] $pass passed, $fail failed"
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
}

for_each_backend run_backend

echo "api tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
