#!/bin/bash
# tests/restart/publish.sh — kill the server (SIGKILL) in the middle of a warning fan-out to a
# local HTTP SMS gateway, restart it, and check that every recipient got exactly one message per
# channel (the gateway stub records the Idempotency-Key of every request), on both backends.
#
# For SQLite and then a throwaway PostgreSQL cluster: loads the demo, starts the stub
# (tests/restart/publish.mjs stub, answering after DELAY ms), writes a channel file with one
# SMS channel pointing at it, starts `yingji serve --test-clock --channels FILE`, runs
# publish.mjs phase1 (1 500 people imported, a warning issued to their town, SIGKILL once
# 300 keys reached the stub), starts the server again on the same database and runs phase2
# (clock past the outbox lease, wait for the queue to drain, check the keys).
# Env: API_BACKENDS, PEOPLE, KILL_AFTER, DELAY. Ends with "publish restart tests: N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2
tag=restart-publish
# shellcheck source=tests/lib.sh
. tests/lib.sh
server_bin "publish restart tests"
backends=${API_BACKENDS:-sqlite postgres}
mkdir -p tests/out
tmp=$(mktemp -d /tmp/yingji-restart-publish.XXXXXX)
cluster=""
server_pid=""
stub_pid=""
total_pass=0
total_fail=0
trap '[ -z "$stub_pid" ] || kill "$stub_pid" 2>/dev/null; kill_leftovers; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

add() {
    local p f
    p=$(sed -n 's/^RESULT pass=\([0-9]*\) fail=\([0-9]*\)$/\1/p' "$1" | tail -n 1)
    f=$(sed -n 's/^RESULT pass=\([0-9]*\) fail=\([0-9]*\)$/\2/p' "$1" | tail -n 1)
    [ -n "$p" ] || { p=0; f=1; }
    b_pass=$((b_pass + p))
    b_fail=$((b_fail + f))
}

run_backend() {
    local name=$1 db=$2 port sport rc bad
    b_pass=0
    b_fail=0
    echo "=== publish restart test on $name ($db) ==="
    load_demo "$name" "$db" || return
    sport=$(free_port)
    : >"$tmp/keys-$name.log"
    node tests/restart/publish.mjs stub --port "$sport" --log "$tmp/keys-$name.log" \
        >"tests/out/$tag-$name-stub.log" 2>&1 &
    stub_pid=$!
    printf '{"channels": [{"name": "sms", "kind": "sms", "url": "http://127.0.0.1:%s/send", "timeout_ms": 5000}]}\n' \
        "$sport" >"$tmp/channels-$name.json"
    port=$(free_port)
    start_server "$name" "tests/out/$tag-$name-serve1.log" "$port" --db "$db" --test-clock \
        --channels "$tmp/channels-$name.json" || return
    node tests/restart/publish.mjs phase1 --url "http://127.0.0.1:$port" --pid "$server_pid" \
        --log "$tmp/keys-$name.log" --state "$tmp/state-$name.json" 2>&1 | tee "$tmp/p1-$name.out"
    add "$tmp/p1-$name.out"
    kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid"
    { wait "$server_pid"; } 2>/dev/null
    rc=$?
    server_pid=""
    if [ "$rc" -eq 137 ]; then b_pass=$((b_pass + 1)); echo "ok - the server died of SIGKILL"
    else b_fail=$((b_fail + 1)); echo "not ok - the server died of SIGKILL (status $rc)"; fi
    if start_server "$name" "tests/out/$tag-$name-serve2.log" "$port" --db "$db" --test-clock \
        --channels "$tmp/channels-$name.json"; then
        node tests/restart/publish.mjs phase2 --url "http://127.0.0.1:$port" \
            --log "$tmp/keys-$name.log" --state "$tmp/state-$name.json" 2>&1 | tee "$tmp/p2-$name.out"
        add "$tmp/p2-$name.out"
        stop_server || { b_fail=$((b_fail + 1)); echo "not ok - clean exit on SIGTERM"; }
    else
        b_fail=$((b_fail + 1))
    fi
    kill "$stub_pid" 2>/dev/null
    wait "$stub_pid" 2>/dev/null
    stub_pid=""
    for l in "tests/out/$tag-$name-serve1.log" "tests/out/$tag-$name-serve2.log"; do
        if bad=$(sanitizer_report "$l") && [ -n "$bad" ]; then
            echo "not ok - sanitizer report in $l:"
            echo "$bad"
            b_fail=$((b_fail + 1))
        fi
    done
    echo "$tag: [$name] $b_pass passed, $b_fail failed"
    total_pass=$((total_pass + b_pass))
    total_fail=$((total_fail + b_fail))
}

for_each_backend run_backend
echo "publish restart tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
