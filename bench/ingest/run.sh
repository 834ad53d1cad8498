#!/bin/bash
# bench/ingest/run.sh — readings ingested, evaluated and persisted per second, against InfluxDB.
#
# Builds build/bench/ingest_bench (bench/ingest/ingest_bench.c, gcc -O2, POSIX sockets,
# libmosquitto, jansson) and measures, on this machine:
#   1. Yingji over HTTP: POST /api/v1/readings, line format, batches of BATCH readings over
#      SENSORS sensors created through the API (bench/ingest/setup.mjs), CONNS keep-alive
#      connections back to back, SECONDS_EACH s — the server's default durable commits
#      (SQLite WAL, synchronous=FULL); an answer counts only after the commit;
#   2. Yingji over MQTT: a Mosquitto broker the script starts on a free port, `serve --mqtt`,
#      batches published (QoS 1, "@auth"/"@batch") to yingji/readings/GW-DEMO-01, counted by
#      their answers on yingji/acks/GW-DEMO-01 (at most 4 unanswered at a time);
#   3. the peer, InfluxDB 1.x (Debian package influxdb; installed with apt-get when influxd
#      is missing), started with a temporary config (data, wal and meta in a temp dir, a free
#      port, reporting off, wal-fsync-delay "0s": every write is fsynced before its 204), the
#      same readings in its line protocol (POST /write?db=bench&precision=ms, measurement =
#      sensor type, tag sensor, field value), same batch size and connections;
#   4. the latency from a reading's arrival to its warning on the SSE stream
#      (GET /api/v1/events as admin, bearer token) while a background load runs at half of
#      the rate measured in 1: PROBES cycles of a 可燃气体 probe sensor (raise, hold, close at
#      event times in the past; see ingest_bench.c), p50 / p99 against the 50 ms target;
#   5. with PG=1 (default), 1 again on a throwaway PostgreSQL cluster with durable commits
#      (fsync and synchronous_commit turned back on in the test cluster);
#   6. with VARY=1 (default), 1 with batches of 500 and 50 000 and with one connection, and 4
#      with the background load in batches of 500 (at half of their maximum), to show where
#      the time goes.
# Prints a table and the ratios Yingji HTTP / InfluxDB, Yingji MQTT / InfluxDB.
#
# Env: BIN (default build/yingji), SECONDS_EACH (10), BATCH (5000), CONNS (2), SENSORS (1000),
# PROBES (200), PG (1), VARY (1). See docs/performance.md, "Readings ingest".
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bin=${BIN:-build/yingji}
secs=${SECONDS_EACH:-10}
batch=${BATCH:-5000}
conns=${CONNS:-2}
nsensors=${SENSORS:-1000}
probes=${PROBES:-200}
do_pg=${PG:-1}
vary=${VARY:-1}
gw_key="GW-DEMO-01:demo-gw-01-key"
[ -x "$bin" ] || { echo "bench: $bin missing (make build/yingji)" >&2; exit 1; }

mkdir -p build/bench
gen=build/bench/ingest_bench
if [ ! -x "$gen" ] || [ bench/ingest/ingest_bench.c -nt "$gen" ]; then
    gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$gen" bench/ingest/ingest_bench.c \
        $(pkg-config --cflags --libs libmosquitto jansson) -lpthread -lm
fi
if ! command -v influxd >/dev/null; then
    echo "bench: influxd missing: installing the Debian package influxdb" >&2
    apt-get install -y --no-install-recommends influxdb >&2 ||
        { apt-get update >&2 && apt-get install -y --no-install-recommends influxdb >&2; }
fi
command -v mosquitto >/dev/null || PATH=$PATH:/usr/sbin
command -v mosquitto >/dev/null || { echo "bench: mosquitto missing (scripts/install-deps.sh)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/yingji-bench-ingest.XXXXXX)
cluster=""
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    [ -z "$cluster" ] || scripts/pg-test-cluster.sh stop "$cluster" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
wait_http() { # wait_http URL — up to 30 s
    local i
    for ((i = 0; i < 300; i++)); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "bench: $1 did not answer" >&2
    return 1
}
result() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1" | tail -n 1; }
stop_pid() { # stop_pid PID — SIGTERM and wait; removes it from pids
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    local keep=() p
    for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    pids=("${keep[@]}")
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(free -g | awk '/^Mem:/ {print $2}') GB; $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 | sed 's/^/SQLite /');" \
    "$(influxd version 2>/dev/null | head -n 1); $(mosquitto -h 2>/dev/null | head -n 1 | sed 's/ is an MQTT.*//')"
echo "load: $nsensors sensors, batches of $batch readings, $conns connections, $secs s per measurement"

# Timestamps: every run continues after the last one (no duplicates), from 72 hours in the past
# (at a million readings a second the runs use up about a day of event time).
ts_next=$(($(date +%s%3N) - 72 * 3600 * 1000))
advance_ts() { # advance_ts RESULT_LINE
    local m
    m=$(result "$1" max_ts)
    [ -n "$m" ] && [ "$m" -gt 0 ] && ts_next=$((m + 1000))
    return 0
}

declare -A R
# ---------------------------------------------------------------- Yingji on SQLite
mport=$(free_port)
cat >"$tmp/mosquitto.conf" <<EOF
listener $mport 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 10000
EOF
mosquitto -c "$tmp/mosquitto.conf" >"$tmp/mosquitto.log" 2>&1 &
pids+=($!)
mosq_pid=$!
# the broker must listen before `serve --mqtt` starts: a server that finds no broker at start
# does not connect later (libmosquitto 2.0.11's loop thread waits for a first successful
# connect call)
for ((i = 0; i < 100; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null && break
    sleep 0.1
done

db="sqlite:$tmp/bench.db"
"$bin" demo --db "$db" >"$tmp/demo.log" 2>&1 || { tail -n 30 "$tmp/demo.log" >&2; exit 1; }
port=$(free_port)
"$bin" serve --db "$db" --listen "127.0.0.1:$port" --mqtt "127.0.0.1:$mport" >"$tmp/serve.log" 2>&1 &
pids+=($!)
serve_pid=$!
wait_http "http://127.0.0.1:$port/healthz" || { tail -n 30 "$tmp/serve.log" >&2; exit 1; }
node bench/ingest/setup.mjs "http://127.0.0.1:$port" "$tmp/sensors.txt" "$tmp/probe.sh" "$nsensors"
# shellcheck disable=SC1091
. "$tmp/probe.sh"

# The runs set OUT (their RESULT line) rather than print it: ts_next must advance in this shell.
yhttp() { # yhttp SECONDS BATCH CONNS [extra…]
    local s=$1 b=$2 c=$3
    shift 3
    OUT=$("$gen" http --port "$port" --key "$gw_key" --sensors "$tmp/sensors.txt" --seconds "$s" \
        --batch "$b" --conns "$c" --ts-base "$ts_next" "$@") || true
    advance_ts "$OUT"
}

yhttp 3 "$batch" "$conns" # warm-up: page cache, engine windows
yhttp "$secs" "$batch" "$conns"
out=$OUT
echo "yingji http sqlite: $out"
R[http]=$(result "$out" rate)
R[http_batch_ms]=$(result "$out" avg_batch_ms)
if [ "$vary" = 1 ]; then
    yhttp "$secs" "$batch" 1
    out=$OUT
    echo "yingji http sqlite, 1 connection: $out"
    R[http_c1]=$(result "$out" rate)
    R[http_c1_ms]=$(result "$out" avg_batch_ms)
    yhttp "$secs" 500 "$conns"
    out=$OUT
    echo "yingji http sqlite, batch 500: $out"
    R[http_b500]=$(result "$out" rate)
    R[http_b500_ms]=$(result "$out" avg_batch_ms)
    yhttp "$secs" 50000 "$conns"
    out=$OUT
    echo "yingji http sqlite, batch 50000: $out"
    R[http_b50k]=$(result "$out" rate)
    R[http_b50k_ms]=$(result "$out" avg_batch_ms)
fi

out=$("$gen" mqtt --port "$mport" --key "$gw_key" --gateway GW-DEMO-01 --sensors "$tmp/sensors.txt" \
    --seconds "$secs" --batch "$batch" --window 4 --ts-base "$ts_next") || true
advance_ts "$out"
echo "yingji mqtt sqlite: $out"
R[mqtt]=$(result "$out" rate)

half=$(awk -v r="${R[http]:-0}" 'BEGIN { printf "%d", r / 2 }')
# Probe event times: the idle run's cycles, then the loaded run's, ending 2 h before now.
cycle=$((PROBE_HOLD_MS + 10000))
idle_probes=50
pbase=$(($(date +%s%3N) - 2 * 3600 * 1000 - (2 * probes + idle_probes) * cycle - 120000))
latency() { # latency PROBES RATE PROBE_TS_BASE [BATCH] → OUT
    OUT=$("$gen" latency --port "$port" --key "$gw_key" --sensors "$tmp/sensors.txt" --token "$TOKEN" \
        --probe-sensor "$PROBE_SENSOR" --probe-high "$PROBE_HIGH" --probe-low "$PROBE_LOW" \
        --probe-hold-ms "$PROBE_HOLD_MS" --probes "$1" --rate "$2" --conns "$conns" \
        --batch "${4:-$batch}" --ts-base "$ts_next" --probe-ts-base "$3") || true
    advance_ts "$OUT"
}
# without background load first: the floor
latency "$idle_probes" 0 "$pbase"
out=$OUT
echo "yingji latency sqlite, idle: $out"
R[idle_p50]=$(result "$out" sse_p50)
R[idle_p99]=$(result "$out" sse_p99)
R[idle_http_p50]=$(result "$out" http_p50)
latency "$probes" "$half" $((pbase + idle_probes * cycle + 60000))
out=$OUT
echo "yingji latency sqlite: $out"
R[lat_p50]=$(result "$out" sse_p50)
R[lat_p90]=$(result "$out" sse_p90)
R[lat_p99]=$(result "$out" sse_p99)
R[lat_max]=$(result "$out" sse_max)
R[lat_http_p50]=$(result "$out" http_p50)
R[lat_http_p99]=$(result "$out" http_p99)
R[lat_samples]=$(result "$out" samples)
R[lat_load]=$(result "$out" load_rate)
if [ "$vary" = 1 ]; then
    # the same at half the maximum of batches of 500: shorter transactions to wait behind
    half500=$(awk -v r="${R[http_b500]:-0}" 'BEGIN { printf "%d", r / 2 }')
    latency "$probes" "$half500" $((pbase + (idle_probes + probes) * cycle + 120000)) 500
    out=$OUT
    echo "yingji latency sqlite, background in batches of 500: $out"
    R[l500_p50]=$(result "$out" sse_p50)
    R[l500_p99]=$(result "$out" sse_p99)
    R[l500_http_p50]=$(result "$out" http_p50)
    R[l500_http_p99]=$(result "$out" http_p99)
    R[l500_load]=$(result "$out" load_rate)
fi

stop_pid "$serve_pid"
stop_pid "$mosq_pid"
grep -E "ERROR|FATAL|error" "$tmp/serve.log" | head -n 5 >&2 || true

# ---------------------------------------------------------------- Yingji on PostgreSQL
if [ "$do_pg" = 1 ]; then
    cluster=$(mktemp -d /tmp/yingji-bench-pg.XXXXXX)
    pgurl=$(scripts/pg-test-cluster.sh start "$cluster" 2>"$tmp/pg.log") || { cat "$tmp/pg.log" >&2; exit 1; }
    # the test cluster runs without durability; this measurement wants it back
    psql "$pgurl" -XAtq -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
        -c "ALTER SYSTEM SET full_page_writes = on" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
    echo "postgresql: fsync=$(psql "$pgurl" -XAtq -c 'SHOW fsync'), synchronous_commit=$(psql "$pgurl" -XAtq -c 'SHOW synchronous_commit')"
    "$bin" demo --db "$pgurl" >"$tmp/demo-pg.log" 2>&1 || { tail -n 30 "$tmp/demo-pg.log" >&2; exit 1; }
    port=$(free_port)
    "$bin" serve --db "$pgurl" --listen "127.0.0.1:$port" >"$tmp/serve-pg.log" 2>&1 &
    pids+=($!)
    serve_pid=$!
    wait_http "http://127.0.0.1:$port/healthz" || { tail -n 30 "$tmp/serve-pg.log" >&2; exit 1; }
    node bench/ingest/setup.mjs "http://127.0.0.1:$port" "$tmp/sensors-pg.txt" "$tmp/probe-pg.sh" "$nsensors"
    cp "$tmp/sensors-pg.txt" "$tmp/sensors.txt"
    yhttp 3 "$batch" "$conns"
    yhttp "$secs" "$batch" "$conns"
    out=$OUT
    echo "yingji http postgresql: $out"
    R[pg]=$(result "$out" rate)
    R[pg_batch_ms]=$(result "$out" avg_batch_ms)
    stop_pid "$serve_pid"
    scripts/pg-test-cluster.sh stop "$cluster" >/dev/null 2>&1 || true
    cluster=""
fi

# ---------------------------------------------------------------- InfluxDB
iport=$(free_port)
bport=$(free_port)
mkdir -p "$tmp/influx"
cat >"$tmp/influx.conf" <<EOF
reporting-enabled = false
bind-address = "127.0.0.1:$bport"
[meta]
  dir = "$tmp/influx/meta"
  logging-enabled = false
[data]
  dir = "$tmp/influx/data"
  wal-dir = "$tmp/influx/wal"
  wal-fsync-delay = "0s"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$iport"
  log-enabled = false
  pprof-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "warn"
EOF
influxd -config "$tmp/influx.conf" >"$tmp/influx.log" 2>&1 &
pids+=($!)
influx_pid=$!
wait_http "http://127.0.0.1:$iport/ping" || { tail -n 30 "$tmp/influx.log" >&2; exit 1; }
curl -s -XPOST "http://127.0.0.1:$iport/query" --data-urlencode "q=CREATE DATABASE bench" >/dev/null
ihttp() {
    "$gen" http --format influx --port "$iport" --sensors "$tmp/sensors.txt" --seconds "$1" \
        --batch "$2" --conns "$3" --ts-base "$4" || true
}
ibase=$(($(date +%s%3N) - 72 * 3600 * 1000))
out=$(ihttp 3 "$batch" "$conns" "$ibase")
ibase=$(($(result "$out" max_ts) + 1000))
out=$(ihttp "$secs" "$batch" "$conns" "$ibase")
echo "influxdb http: $out"
R[influx]=$(result "$out" rate)
R[influx_batch_ms]=$(result "$out" avg_batch_ms)
ibase=$(($(result "$out" max_ts) + 1000))
if [ "$vary" = 1 ]; then
    out=$(ihttp "$secs" 500 "$conns" "$ibase")
    echo "influxdb http, batch 500: $out"
    R[influx_b500]=$(result "$out" rate)
    ibase=$(($(result "$out" max_ts) + 1000))
    out=$(ihttp "$secs" "$batch" 1 "$ibase")
    echo "influxdb http, 1 connection: $out"
    R[influx_c1]=$(result "$out" rate)
fi
stop_pid "$influx_pid"

# ---------------------------------------------------------------- report
v() { echo "${R[$1]:-n/a}"; }
ratio() { awk -v a="${R[$1]:-0}" -v b="${R[$2]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
echo
printf '%-66s %14s %12s\n' "readings ingest, $nsensors sensors, $conns connections" "readings/s" "ms/batch"
printf '%-66s %14s %12s\n' "Yingji HTTP, SQLite (synchronous=FULL), batches of $batch" "$(v http)" "$(v http_batch_ms)"
if [ "$vary" = 1 ]; then
    printf '%-66s %14s %12s\n' "Yingji HTTP, SQLite, batches of $batch, 1 connection" "$(v http_c1)" "$(v http_c1_ms)"
    printf '%-66s %14s %12s\n' "Yingji HTTP, SQLite, batches of 500" "$(v http_b500)" "$(v http_b500_ms)"
    printf '%-66s %14s %12s\n' "Yingji HTTP, SQLite, batches of 50000" "$(v http_b50k)" "$(v http_b50k_ms)"
fi
printf '%-66s %14s %12s\n' "Yingji MQTT, SQLite, batches of $batch (counted by their acks)" "$(v mqtt)" ""
[ "$do_pg" = 1 ] && printf '%-66s %14s %12s\n' "Yingji HTTP, PostgreSQL (fsync, synchronous_commit on)" "$(v pg)" "$(v pg_batch_ms)"
printf '%-66s %14s %12s\n' "peer: InfluxDB $(influxd version | awk '{print $2}') /write, batches of $batch (WAL fsync each write)" "$(v influx)" "$(v influx_batch_ms)"
if [ "$vary" = 1 ]; then
    printf '%-66s %14s %12s\n' "peer: InfluxDB, batches of 500" "$(v influx_b500)" ""
    printf '%-66s %14s %12s\n' "peer: InfluxDB, batches of $batch, 1 connection" "$(v influx_c1)" ""
fi
echo
echo "ratio Yingji HTTP / InfluxDB: $(ratio http influx)"
echo "ratio Yingji MQTT / InfluxDB: $(ratio mqtt influx)"
[ "$do_pg" = 1 ] && echo "ratio Yingji HTTP on PostgreSQL / InfluxDB: $(ratio pg influx)"
echo
echo "reading → warning on the SSE stream ($(v lat_samples) samples, background load $(v lat_load) readings/s ≈ half the maximum):"
echo "  p50 $(v lat_p50) ms, p90 $(v lat_p90) ms, p99 $(v lat_p99) ms, max $(v lat_max) ms (target 50 ms);" \
    "the HTTP answer itself: p50 $(v lat_http_p50) ms, p99 $(v lat_http_p99) ms"
echo "  idle server: p50 $(v idle_p50) ms, p99 $(v idle_p99) ms (HTTP answer p50 $(v idle_http_p50) ms)"
[ "$vary" = 1 ] && echo "  background in batches of 500 at $(v l500_load) readings/s: p50 $(v l500_p50) ms," \
    "p99 $(v l500_p99) ms (HTTP answer p50 $(v l500_http_p50) ms, p99 $(v l500_http_p99) ms)"
awk -v p50="${R[lat_p50]:-999}" -v p99="${R[lat_p99]:-999}" 'BEGIN {
    printf "  target 50 ms: p50 %s, p99 %s\n", (p50 <= 50 ? "met" : "MISSED"), (p99 <= 50 ? "met" : "MISSED") }'
