# shellcheck shell=bash
# tests/lib.sh — shell helpers shared by the test runners that spawn servers on both backends
# (tests/api/run.sh, tests/mqtt/run.sh, tests/restart/run.sh, tests/restart/publish.sh).
# Sourced from the project root, never run.
#
# The runner sets `tag` (the prefix of its messages, e.g. "api") before sourcing, and before
# calling the helpers `tmp` (a temporary directory it removes), `backends` ("sqlite postgres"
# or API_BACKENDS); it keeps
# the globals `server_pid` (the running server, or empty), `cluster` (the PostgreSQL test
# cluster's directory, or empty), `total_pass` and `total_fail`.

# server_bin SUMMARY — sets `bin` to the sanitizer build (build/yingji-san) when it exists, else
# build/yingji, as an absolute path, and exports the sanitizer options of the runs; when neither
# exists, says so and ends the run with the line "SUMMARY: 0 passed, 1 failed".
# shellcheck disable=SC2154 # tag: set by the runner
server_bin() {
    bin=build/yingji-san
    [ -x "$bin" ] || bin=build/yingji
    if [ ! -x "$bin" ]; then
        echo "$tag: build/yingji-san and build/yingji are missing (run make build/yingji-san)" >&2
        echo "$1: 0 passed, 1 failed"
        exit 1
    fi
    bin="$PWD/$bin"
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
}

# A free loopback TCP port.
free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

# The first sanitizer reports in a log (empty when there are none).
sanitizer_report() {
    grep -E "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$1" | head -n 5
}

# wait_healthz URL PID — waits up to 30 s for URL/healthz to answer; 1 when the process PID
# died or the time ran out.
wait_healthz() {
    local url=$1 pid=$2 i
    for ((i = 0; i < 300; i++)); do
        if node -e 'fetch(process.argv[1]+"/healthz").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url"; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# Stops the server: SIGTERM, then up to 30 s for it to exit. Returns its exit status (124 when
# it had to be killed).
stop_server() {
    local pid=$server_pid i rc
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 300; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "$tag: server did not exit within 30 s of SIGTERM; killing it" >&2
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

# Kills what is left (for the EXIT trap): the server and the PostgreSQL cluster.
kill_leftovers() {
    if [ -n "${server_pid:-}" ]; then
        kill -KILL "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=""
    fi
    if [ -n "${cluster:-}" ]; then
        scripts/pg-test-cluster.sh stop "$cluster" >/dev/null 2>&1 || true
        cluster=""
    fi
}

# for_each_backend RUN — calls `RUN NAME DB_URL` for every backend in $backends: SQLite in a
# file under $tmp, PostgreSQL in a throwaway cluster (scripts/pg-test-cluster.sh) started
# before and stopped after. A cluster that cannot start counts as one failure.
for_each_backend() {
    local run=$1 backend pgurl
    for backend in $backends; do
        case $backend in
        sqlite)
            "$run" sqlite "sqlite:$tmp/$tag.db"
            ;;
        postgres)
            cluster=$(mktemp -d "/tmp/yingji-$tag-pg.XXXXXX")
            if ! pgurl=$(scripts/pg-test-cluster.sh start "$cluster" 2>"$tmp/pg-start.log"); then
                cat "$tmp/pg-start.log" >&2
                echo "$tag: cannot start a PostgreSQL test cluster" >&2
                total_fail=$((total_fail + 1))
                scripts/pg-test-cluster.sh stop "$cluster" >/dev/null 2>&1 || rm -rf "$cluster"
                cluster=""
                continue
            fi
            "$run" postgres "$pgurl"
            scripts/pg-test-cluster.sh stop "$cluster" >/dev/null 2>&1 || true
            cluster=""
            ;;
        *)
            echo "$tag: unknown backend '$backend'" >&2
            total_fail=$((total_fail + 1))
            ;;
        esac
    done
}

# node_test_counts FILE — sets `pass` and `fail` (failed + cancelled) from node --test output.
node_test_counts() {
    local cancelled
    pass=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$1" | tail -n 1)
    fail=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$1" | tail -n 1)
    cancelled=$(sed -n 's/^ℹ cancelled \([0-9]*\)$/\1/p' "$1" | tail -n 1)
    pass=${pass:-0}
    fail=$((${fail:-0} + ${cancelled:-0}))
}

# load_demo NAME DB — `yingji demo` into DB (log tests/out/$tag-NAME-demo.log); 1 (counted as
# a failure) when it fails; a sanitizer report in its log counts as a failure too.
load_demo() {
    local name=$1 db=$2 log="tests/out/$tag-$1-demo.log" bad
    if ! "$bin" demo --db "$db" >"$log" 2>&1; then
        cat "$log" >&2
        echo "$tag: [$name] yingji demo failed (log: $log)" >&2
        total_fail=$((total_fail + 1))
        return 1
    fi
    if bad=$(sanitizer_report "$log") && [ -n "$bad" ]; then
        echo "$tag: [$name] sanitizer report while loading the demo:" >&2
        echo "$bad" >&2
        total_fail=$((total_fail + 1))
    fi
    return 0
}

# start_server NAME LOG PORT ARGS… — `yingji serve --listen 127.0.0.1:PORT ARGS…` in the
# background (server_pid), waits for /healthz; 1 (counted as a failure, server stopped) when
# it does not come up.
start_server() {
    local name=$1 log=$2 port=$3
    shift 3
    "$bin" serve --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
    server_pid=$!
    if wait_healthz "http://127.0.0.1:$port" "$server_pid"; then
        return 0
    fi
    echo "$tag: [$name] server did not come up; its log:" >&2
    tail -n 50 "$log" >&2
    stop_server
    total_fail=$((total_fail + 1))
    return 1
}

# finish_server NAME LOG — stops the server; prints and returns (in `problems`) how many of
# these went wrong: a non-zero exit status, a sanitizer report in LOG.
finish_server() {
    local name=$1 log=$2 rc bad
    problems=0
    stop_server
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "$tag: [$name] server exited with status $rc (log: $log)" >&2
        tail -n 30 "$log" >&2
        problems=$((problems + 1))
    fi
    if bad=$(sanitizer_report "$log") && [ -n "$bad" ]; then
        echo "$tag: [$name] sanitizer report in $log:" >&2
        echo "$bad" >&2
        problems=$((problems + 1))
    fi
}
