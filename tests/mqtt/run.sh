#!/bin/bash
# tests/mqtt/run.sh [TEST_FILE…] — monitoring readings over MQTT, end to end, on both backends.
#
# For SQLite and then for a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh): loads
# the demo data into a fresh database (`yingji demo`), starts `yingji serve --mqtt
# 127.0.0.1:<broker> --test-clock` on a free loopback port and waits for /healthz, then starts
# its own Mosquitto broker on that port (/usr/sbin/mosquitto, a temp config: loopback
# listener, anonymous, no persistence, a pid file) and waits until the server has connected
# to it by itself; runs `node --test` over tests/mqtt/*.test.mjs (or the files given), then
# stops the server (SIGTERM) and the broker. The server is the ASan/UBSan
# build (build/yingji-san) when it exists, else build/yingji; a non-zero exit or a sanitizer
# report in its log fails the run. Logs: tests/out/mqtt-<backend>.log (server),
# tests/out/mqtt-<backend>-broker.log (broker).
#
# The tests restart the broker themselves (same config, same port): they get its config
# path (MQTT_CONF), pid file (MQTT_PIDFILE) and log (MQTT_BROKER_LOG); the broker that runs
# at the end is whichever pid the pid file names.
#
# Env: API_BACKENDS ("sqlite postgres" by default) picks the backends.
# Ends with the line "mqtt tests: N passed, N failed" summed over both backends; exits
# non-zero on any failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 2

bin=build/yingji-san
[ -x "$bin" ] || bin=build/yingji
if [ ! -x "$bin" ]; then
    echo "mqtt: build/yingji-san and build/yingji are missing (run make build/yingji-san)" >&2
    echo "mqtt tests: 0 passed, 1 failed"
    exit 1
fi
bin="$root/$bin"
broker_bin=/usr/sbin/mosquitto
for tool in "$broker_bin" mosquitto_pub mosquitto_sub; do
    if ! command -v "$tool" >/dev/null; then
        echo "mqtt: $tool is missing (scripts/install-deps.sh installs mosquitto and mosquitto-clients)" >&2
        echo "mqtt tests: 0 passed, 1 failed"
        exit 1
    fi
done

files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/mqtt/)
backends=${API_BACKENDS:-sqlite postgres}

mkdir -p tests/out
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

tmp=$(mktemp -d /tmp/yingji-mqtt.XXXXXX)
cluster=""
server_pid=""
broker_pid=""
broker_pidfile=""

# The broker may have been restarted by the tests: the pid file names the current one.
stop_broker() {
    local pid i
    for pid in $broker_pid $( [ -n "$broker_pidfile" ] && cat "$broker_pidfile" 2>/dev/null); do
        kill -TERM "$pid" 2>/dev/null || continue
        for ((i = 0; i < 50; i++)); do
            # a child the container's init does not reap stays a zombie: that is gone enough
            [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
    done
    [ -n "$broker_pid" ] && wait "$broker_pid" 2>/dev/null
    broker_pid=""
    broker_pidfile=""
}

cleanup() {
    if [ -n "$server_pid" ]; then
        kill -KILL "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=""
    fi
    stop_broker
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

port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_broker NAME — writes the config, starts the broker on broker_port (a free port is
# chosen when it is empty), waits for its port.
# Sets broker_port, broker_conf, broker_pidfile, broker_log, broker_pid.
start_broker() {
    local name=$1 i
    [ -n "${broker_port:-}" ] || broker_port=$(free_port)
    broker_conf="$tmp/mosquitto-$name.conf"
    broker_pidfile="$tmp/mosquitto-$name.pid"
    broker_log="tests/out/mqtt-$name-broker.log"
    {
        echo "listener $broker_port 127.0.0.1"
        echo "allow_anonymous true"
        echo "persistence false"
        echo "pid_file $broker_pidfile"
        echo "log_dest stderr"
        echo "log_type error"
        echo "log_type warning"
        echo "log_type notice"
        echo "log_type information"
        echo "connection_messages true"
        # as root the broker would switch to the mosquitto user before writing its pid file
        [ "$(id -u)" -eq 0 ] && echo "user root"
    } >"$broker_conf"
    "$broker_bin" -c "$broker_conf" >"$broker_log" 2>&1 &
    broker_pid=$!
    for ((i = 0; i < 100; i++)); do
        port_open "$broker_port" && [ -s "$broker_pidfile" ] && return 0
        kill -0 "$broker_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "mqtt: [$name] the broker did not come up; its log:" >&2
    tail -n 20 "$broker_log" >&2
    return 1
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
        echo "mqtt: server did not exit within 30 s of SIGTERM; killing it" >&2
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
    local log="tests/out/mqtt-$name.log" out="$tmp/node-$name.out"
    local port url i pass fail cancelled rc bad
    echo "=== mqtt tests on $name ($db) ==="
    if ! "$bin" demo --db "$db" >"tests/out/mqtt-$name-demo.log" 2>&1; then
        cat "tests/out/mqtt-$name-demo.log" >&2
        echo "mqtt: [$name] yingji demo failed (log: tests/out/mqtt-$name-demo.log)" >&2
        total_fail=$((total_fail + 1))
        return
    fi
    if bad=$(sanitizer_report "tests/out/mqtt-$name-demo.log") && [ -n "$bad" ]; then
        echo "mqtt: [$name] sanitizer report while loading the demo:" >&2
        echo "$bad" >&2
        total_fail=$((total_fail + 1))
    fi
    # The server starts first, the broker after it: Yingji must make its first connection by
    # itself once the broker is up (a broker restart later is one of the tests).
    broker_port=$(free_port)
    port=$(free_port)
    url="http://127.0.0.1:$port"
    "$bin" serve --db "$db" --listen "127.0.0.1:$port" --mqtt "127.0.0.1:$broker_port" \
        --test-clock >"$log" 2>&1 &
    server_pid=$!
    for ((i = 0; ; i++)); do
        if node -e 'fetch(process.argv[1]+"/healthz").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$url"; then
            break
        fi
        if [ $i -ge 300 ] || ! kill -0 "$server_pid" 2>/dev/null; then
            echo "mqtt: [$name] server did not come up; its log:" >&2
            tail -n 50 "$log" >&2
            stop_server
            total_fail=$((total_fail + 1))
            return
        fi
        sleep 0.1
    done
    if ! start_broker "$name"; then
        stop_broker
        stop_server
        total_fail=$((total_fail + 1))
        return
    fi
    echo "mqtt: [$name] broker on 127.0.0.1:$broker_port (pid $broker_pid, log $broker_log)"
    for ((i = 0; ; i++)); do
        grep -q "connected to 127.0.0.1:$broker_port" "$log" && break
        if [ $i -ge 400 ]; then
            echo "mqtt: [$name] the server did not connect to the broker started after it" >&2
            tail -n 20 "$log" >&2
            stop_server
            stop_broker
            total_fail=$((total_fail + 1))
            return
        fi
        sleep 0.1
    done
    echo "mqtt: [$name] server on $url (pid $server_pid, log $log)"

    YINGJI_URL=$url YINGJI_DB=$db YINGJI_BIN=$bin MQTT_PORT=$broker_port \
        MQTT_CONF=$broker_conf MQTT_PIDFILE=$broker_pidfile MQTT_BROKER_LOG=$root/$broker_log \
        MQTT_BROKER_BIN=$broker_bin YINGJI_LOG=$root/$log \
        node --test --test-concurrency=1 --test-reporter=spec "${files[@]}" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}

    pass=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$out" | tail -n 1)
    fail=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$out" | tail -n 1)
    cancelled=$(sed -n 's/^ℹ cancelled \([0-9]*\)$/\1/p' "$out" | tail -n 1)
    pass=${pass:-0}
    fail=$((${fail:-0} + ${cancelled:-0}))
    if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        echo "mqtt: [$name] node --test exited $rc" >&2
        fail=1
    fi

    stop_server
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "mqtt: [$name] server exited with status $rc (log: $log)" >&2
        tail -n 30 "$log" >&2
        fail=$((fail + 1))
    fi
    stop_broker
    if bad=$(sanitizer_report "$log") && [ -n "$bad" ]; then
        echo "mqtt: [$name] sanitizer report in $log:" >&2
        echo "$bad" >&2
        fail=$((fail + 1))
    fi
    echo "mqtt: [$name] $pass passed, $fail failed"
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
}

for backend in $backends; do
    case $backend in
    sqlite)
        run_backend sqlite "sqlite:$tmp/mqtt.db"
        ;;
    postgres)
        cluster=$(mktemp -d /tmp/yingji-mqtt-pg.XXXXXX)
        if ! pgurl=$(scripts/pg-test-cluster.sh start "$cluster" 2>"$tmp/pg-start.log"); then
            cat "$tmp/pg-start.log" >&2
            echo "mqtt: cannot start a PostgreSQL test cluster" >&2
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
        echo "mqtt: unknown backend '$backend'" >&2
        total_fail=$((total_fail + 1))
        ;;
    esac
done

echo "mqtt tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
