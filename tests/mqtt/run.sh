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

tag=mqtt
# shellcheck source=tests/lib.sh
. tests/lib.sh
server_bin "mqtt tests"
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

tmp=$(mktemp -d /tmp/yingji-mqtt.XXXXXX)
cluster=""
server_pid=""
broker_pid=""
broker_pidfile=""
total_pass=0
total_fail=0

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

trap 'kill_leftovers; stop_broker; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

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

# run_backend NAME DB_URL — one full pass; adds to total_pass / total_fail.
run_backend() {
    local name=$1 db=$2
    local log="tests/out/mqtt-$name.log" out="$tmp/node-$name.out"
    local port url i rc pass fail problems
    echo "=== mqtt tests on $name ($db) ==="
    load_demo "$name" "$db" || return
    # The server starts first, the broker after it: Yingji must make its first connection by
    # itself once the broker is up (a broker restart later is one of the tests).
    broker_port=$(free_port)
    port=$(free_port)
    url="http://127.0.0.1:$port"
    start_server "$name" "$log" "$port" --db "$db" --mqtt "127.0.0.1:$broker_port" --test-clock ||
        return
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
    node_test_counts "$out"
    if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        echo "mqtt: [$name] node --test exited $rc" >&2
        fail=1
    fi
    finish_server "$name" "$log"
    stop_broker
    fail=$((fail + problems))
    echo "mqtt: [$name] $pass passed, $fail failed"
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
}

for_each_backend run_backend

echo "mqtt tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
