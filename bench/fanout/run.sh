#!/bin/bash
# bench/fanout/run.sh — the resolve stage of warning fan-out: how long it takes to find which of
# 1 000 000 recipients lie in a warning area, against PostGIS on the same data in the same run.
#
#   1. builds build/bench/fanout_bench (gcc -O2 against the project's -O2 objects, `make
#      build/yingji` first) and runs it: it generates the recipients (fixed seed, clustered
#      around the towns of a fictional county), a 400-vertex concave warning polygon with a
#      64-vertex hole and a 12 km circle, writes them for PostgreSQL and times geo_area_filter
#      (median of RUNS) — polygon, circle, union; 1 and 2 threads — and, for reference, plain
#      GEOS (prepared polygon, box check, GEOSPreparedCovers_r per point: no cell grid);
#   2. the peer: PostGIS (Debian postgresql-15-postgis-3 or the one matching the newest server;
#      installed with apt-get when missing) on a throwaway cluster (scripts/pg-test-cluster.sh,
#      shared_buffers 1 GB so everything is in memory), table recipients(id, geom
#      geometry(Point, 4326)) with a GiST index on geom and one on geom::geography, VACUUM
#      ANALYZE, then the median of RUNS of (one warm-up first):
#        SELECT count(*) FROM recipients WHERE ST_Covers(<polygon>, geom)    -- compared
#        SELECT count(*) FROM recipients WHERE ST_Contains(<polygon>, geom)  -- the usual one
#        SELECT count(*) FROM recipients
#          WHERE ST_DWithin(geom::geography, <centre>::geography, 12000, false)  -- sphere
#      ST_Covers is the compared query: it has geo/area's semantics (a point on the boundary
#      is in). PostgreSQL may use its default 2 parallel workers (this machine's 2 cores).
#   3. checks the counts agree (Yingji polygon = ST_Covers = ST_Contains, Yingji circle =
#      ST_DWithin on the sphere; the script fails otherwise) and prints a table, the ratios
#      PostGIS / Yingji and memory.
#
# Env: POINTS (default 1000000), RUNS (default 7). See docs/performance.md, "Warning fan-out".
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
points=${POINTS:-1000000}
runs=${RUNS:-7}

make -s build/yingji >&2
mkdir -p build/bench
bin=build/bench/fanout_bench
objs=$(find build/obj/src -name '*.o' ! -path build/obj/src/main.o | sort)
pkgs="libmicrohttpd jansson sqlite3 libpq libsodium libqrencode libmosquitto libxml-2.0 geos libcurl"
# shellcheck disable=SC2046,SC2086
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Isrc \
    $(pkg-config --cflags $pkgs) -o "$bin" bench/fanout/fanout_bench.c $objs \
    $(pkg-config --libs $pkgs) -lpthread -lm

pgbin=""
for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/postgres" ] && pgbin=$(printf '%s\n%s\n' "$pgbin" "$d" | sort -V | tail -n 1)
done
[ -n "$pgbin" ] || { echo "bench: PostgreSQL server not found (scripts/install-deps.sh)" >&2; exit 1; }
pgver=$(basename "$(dirname "$pgbin")")
if ! ls /usr/share/postgresql/"$pgver"/extension/postgis.control >/dev/null 2>&1; then
    echo "bench: PostGIS missing: installing the Debian package postgresql-$pgver-postgis-3" >&2
    apt-get install -y --no-install-recommends "postgresql-$pgver-postgis-3" >&2 ||
        { apt-get update >&2 && apt-get install -y --no-install-recommends "postgresql-$pgver-postgis-3" >&2; }
fi

tmp=$(mktemp -d /tmp/yingji-bench-fanout.XXXXXX)
chmod 755 "$tmp" # the postgres user reads the points file from here
cluster=""
cleanup() {
    [ -z "$cluster" ] || scripts/pg-test-cluster.sh stop "$cluster" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

result() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1" | tail -n 1; }

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(free -g | awk '/^Mem:/ {print $2}') GB; GEOS $(geos-config --version 2>/dev/null || pkg-config --modversion geos)," \
    "$("$pgbin/postgres" --version)"

# ---------------------------------------------------------------- Yingji
y=$("$bin" "$tmp" --points "$points" --runs "$runs")
echo "yingji: $y"

# ---------------------------------------------------------------- PostGIS
cluster=$(mktemp -d /tmp/yingji-bench-pg.XXXXXX)
url=$(scripts/pg-test-cluster.sh start "$cluster" 2>"$tmp/pg.log") || { cat "$tmp/pg.log" >&2; exit 1; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql "$url" -XAtq -c "ALTER SYSTEM SET shared_buffers = '1GB'" -c "ALTER SYSTEM SET work_mem = '64MB'" >/dev/null
port=$(cat "$cluster/port")
as_pg "$pgbin/pg_ctl" -D "$cluster/pgdata" -l "$cluster/server.log" -w -t 60 -o "-p $port" restart >/dev/null
pg() { psql "$url" -XAtq -v ON_ERROR_STOP=1 "$@"; }
pg -c "CREATE EXTENSION postgis" >/dev/null
postgis_version=$(pg -c "SELECT postgis_lib_version()")
t0=$(date +%s%N)
pg <<EOF
CREATE UNLOGGED TABLE staging (id int, lon float8, lat float8);
\copy staging FROM '$tmp/points.csv' WITH (FORMAT csv)
CREATE TABLE recipients AS
    SELECT id, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geometry(Point, 4326) AS geom FROM staging;
DROP TABLE staging;
ALTER TABLE recipients ADD PRIMARY KEY (id);
CREATE INDEX recipients_geom ON recipients USING gist (geom);
CREATE INDEX recipients_geog ON recipients USING gist ((geom::geography));
VACUUM ANALYZE recipients;
EOF
load_s=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
pg_table_mib=$(pg -c "SELECT round(pg_table_size('recipients') / 1048576.0, 1)")
pg_index_mib=$(pg -c "SELECT round(pg_indexes_size('recipients') / 1048576.0, 1)")
# the pages in shared buffers before timing (pg_prewarm ships with PostgreSQL)
pg -c "CREATE EXTENSION pg_prewarm" -c "SELECT pg_prewarm('recipients'), pg_prewarm('recipients_geom'), pg_prewarm('recipients_geog')" >/dev/null

read -r clon clat crad <"$tmp/circle.txt"
poly="'SRID=4326;$(cat "$tmp/polygon.wkt")'::geometry"
centre="'SRID=4326;POINT($clon $clat)'::geography"

# pg_median NAME SQL → sets PG_COUNT[NAME] and PG_MS[NAME]: one warm-up, then RUNS timed runs
# in one session (psql \timing, client side: parse, plan, execute, answer).
declare -A PG_COUNT PG_MS
pg_median() {
    local name=$1 sql=$2 out
    out=$({
        echo "$sql;"
        printf '%s\n' '\timing on'
        for ((i = 0; i < runs; i++)); do echo "$sql;"; done
    } | pg 2>&1) || { echo "$out" >&2; exit 1; }
    PG_COUNT[$name]=$(head -n 1 <<<"$out")
    PG_MS[$name]=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$out" | sort -g |
        awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
}
pg_median covers "SELECT count(*) FROM recipients WHERE ST_Covers($poly, geom)"
pg_median contains "SELECT count(*) FROM recipients WHERE ST_Contains($poly, geom)"
pg_median dwithin "SELECT count(*) FROM recipients WHERE ST_DWithin(geom::geography, $centre, $crad, false)"
pg_median dwithin_sph "SELECT count(*) FROM recipients WHERE ST_DWithin(geom::geography, $centre, $crad)"
plan=$(pg -c "EXPLAIN (COSTS OFF) SELECT count(*) FROM recipients WHERE ST_Covers($poly, geom)" |
    grep -oE "Parallel|Index Scan|Bitmap Index Scan|Seq Scan" | sort -u | paste -sd, -)

# ---------------------------------------------------------------- report
ycount=$(result "$y" poly_count)
ccount=$(result "$y" circle_count)
status=0
check() { # check WHAT YINGJI PEER
    if [ "$2" != "$3" ]; then
        echo "MISMATCH: $1: Yingji $2, PostGIS $3" >&2
        status=1
    fi
}
check "polygon vs ST_Covers" "$ycount" "${PG_COUNT[covers]}"
check "polygon vs ST_Contains" "$ycount" "${PG_COUNT[contains]}"
check "circle vs ST_DWithin (sphere)" "$ccount" "${PG_COUNT[dwithin]}"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else printf "n/a" }'; }
echo
echo "$points recipients; polygon: $(result "$y" vertices) vertices + a $(result "$y" hole_vertices)-vertex hole," \
    "$(result "$y" poly_bbox_points) recipients in its bounding box; circle: $crad m; median of $runs runs"
printf '%-62s %10s %12s\n' "resolve (count of recipients in the area)" "ms" "recipients"
printf '%-62s %10s %12s\n' "Yingji geo_area_filter, polygon, 1 thread" "$(result "$y" poly_t1_ms)" "$ycount"
printf '%-62s %10s %12s\n' "Yingji geo_area_filter, polygon, 2 threads" "$(result "$y" poly_t2_ms)" "$ycount"
printf '%-62s %10s %12s\n' "Yingji geo_area_covers in a loop, polygon" "$(result "$y" covers_loop_ms)" "$ycount"
printf '%-62s %10s %12s\n' "reference: plain GEOS prepared polygon (no grid), 1 thread" "$(result "$y" plain_geos_ms)" "$ycount"
printf '%-62s %10s %12s\n' "Yingji geo_area_filter, circle, 1 thread" "$(result "$y" circle_t1_ms)" "$ccount"
printf '%-62s %10s %12s\n' "Yingji geo_area_filter, circle, 2 threads" "$(result "$y" circle_t2_ms)" "$ccount"
printf '%-62s %10s %12s\n' "Yingji geo_area_filter, polygon ∪ circle, 2 threads" "$(result "$y" union_t2_ms)" "$(result "$y" union_count)"
printf '%-62s %10s %12s\n' "PostGIS $postgis_version ST_Covers (compared)" "${PG_MS[covers]}" "${PG_COUNT[covers]}"
printf '%-62s %10s %12s\n' "PostGIS ST_Contains" "${PG_MS[contains]}" "${PG_COUNT[contains]}"
printf '%-62s %10s %12s\n' "PostGIS ST_DWithin geography, sphere (compared)" "${PG_MS[dwithin]}" "${PG_COUNT[dwithin]}"
printf '%-62s %10s %12s\n' "PostGIS ST_DWithin geography, spheroid (not compared)" "${PG_MS[dwithin_sph]}" "${PG_COUNT[dwithin_sph]}"
echo
echo "PostGIS plan for ST_Covers: $plan"
echo "ratio PostGIS ST_Covers / Yingji polygon, 2 threads: $(ratio "${PG_MS[covers]}" "$(result "$y" poly_t2_ms)")"
echo "ratio PostGIS ST_Covers / Yingji polygon, 1 thread:  $(ratio "${PG_MS[covers]}" "$(result "$y" poly_t1_ms)")"
echo "ratio PostGIS ST_Contains / Yingji polygon, 2 threads: $(ratio "${PG_MS[contains]}" "$(result "$y" poly_t2_ms)")"
echo "ratio PostGIS ST_DWithin (sphere) / Yingji circle, 2 threads: $(ratio "${PG_MS[dwithin]}" "$(result "$y" circle_t2_ms)")"
echo "Yingji cost per point (polygon, 1 thread): $(result "$y" poly_t1_ns) ns," \
    "$(result "$y" poly_t1_ns_per_bbox_point) ns per point in the bounding box; area built in $(result "$y" build_ms) ms"
echo "memory: Yingji process RSS $(result "$y" rss_start_mib) MiB at start, $(result "$y" rss_points_mib) MiB with the points" \
    "(16 B + 1 B per recipient), $(result "$y" rss_area_mib) MiB with the polygon area, peak $(result "$y" hwm_mib) MiB;" \
    "PostGIS table $pg_table_mib MiB + indexes $pg_index_mib MiB (geometry GiST, geography GiST, primary key); load + index ${load_s} s"
target=$(awk -v t="$(result "$y" poly_t2_ms)" 'BEGIN { print (t < 5000 ? "met" : "MISSED") }')
echo "target (resolve part of 1M recipients in < 5 s): $target"
[ "$status" = 0 ] || echo "FAILED: counts disagree" >&2
exit "$status"
