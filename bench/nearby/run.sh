#!/bin/bash
# bench/nearby/run.sh [BIN] — nearby queries per second over 100 000 located points.
#
# Runs BIN (default build/bench/nearby, built by `make bench`) on a fresh SQLite file and on
# a throwaway PostgreSQL cluster (scripts/pg-test-cluster.sh): geo_nearby, radius 5 km,
# limit 50, at random points of a 100 km square, 1 and 2 client threads. The peer is
# PostgreSQL answering the nearest-50 query itself with its GiST index on point(lon, lat)
# (`WHERE point <@ box … ORDER BY point <-> point LIMIT 50`, pgbench -M prepared, same table,
# same clients); a second reference is PostgreSQL computing our whole answer in raw SQL
# (exact great-circle order and the count within the radius). Prints queries/s and the
# ratios. Env: SECONDS_EACH (default 10), POINTS (default 100000). See docs/performance.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bin=${1:-build/bench/nearby}
secs=${SECONDS_EACH:-10}
points=${POINTS:-100000}
[ -x "$bin" ] || { echo "bench: $bin missing (make bench builds it)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/yingji-bench.XXXXXX)
cluster=""
cleanup() {
    [ -z "$cluster" ] || scripts/pg-test-cluster.sh stop "$cluster" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pgbin=""
for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pgbench" ] && pgbin=$(printf '%s\n%s\n' "$pgbin" "$d" | sort -V | tail -n 1)
done
[ -n "$pgbin" ] || { echo "bench: pgbench not found (postgresql-client)" >&2; exit 1; }

result() { # result LINE KEY → value of KEY=… in a RESULT line
    sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<"$1"
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)," \
    "$(free -g | awk '/^Mem:/ {print $2}') GB; $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 | sed 's/^/SQLite /')," \
    "$("$pgbin/postgres" --version)"
echo "points: $points, radius 5000 m, limit 50, $secs s per measurement"

declare -A qps
s1=$("$bin" "sqlite:$tmp/nearby.db" --points "$points" --seconds "$secs" --threads 1)
echo "$s1"
s2=$("$bin" "sqlite:$tmp/nearby.db" --load 0 --seconds "$secs" --threads 2)
echo "$s2"
s3=$("$bin" "sqlite:$tmp/nearby.db" --load 0 --seconds "$secs" --threads 1 --prefix 620390)
echo "$s3"
s4=$("$bin" "sqlite:$tmp/nearby.db" --load 0 --seconds "$secs" --threads 2 --prefix 620390)
echo "$s4"
qps[sqlite1]=$(result "$s1" qps)
qps[sqlite2]=$(result "$s2" qps)
qps[sqlitej1]=$(result "$s3" qps)
qps[sqlitej2]=$(result "$s4" qps)

cluster=$(mktemp -d /tmp/yingji-bench-pg.XXXXXX)
url=$(scripts/pg-test-cluster.sh start "$cluster" 2>"$tmp/pg.log") || { cat "$tmp/pg.log" >&2; exit 1; }
port=$(cat "$cluster/port")
p1=$("$bin" "$url" --points "$points" --seconds "$secs" --threads 1)
echo "$p1"
p2=$("$bin" "$url" --load 0 --seconds "$secs" --threads 2)
echo "$p2"
p3=$("$bin" "$url" --load 0 --seconds "$secs" --threads 1 --prefix 620390)
echo "$p3"
p4=$("$bin" "$url" --load 0 --seconds "$secs" --threads 2 --prefix 620390)
echo "$p4"
qps[pg1]=$(result "$p1" qps)
qps[pg2]=$(result "$p2" qps)
qps[pgj1]=$(result "$p3" qps)
qps[pgj2]=$(result "$p4" qps)

# Random query points in the same square as the C program (103.5°E 38.5°N ± 50 km); the box
# is the circle's bounding box at the square's far latitude, as geo_nearby computes it.
cat >"$tmp/knn.sql" <<'SQL'
\set lon 103.5 + (random(0, 1000000) / 1000000.0 * 2 - 1) * 0.574943
\set lat 38.5 + (random(0, 1000000) / 1000000.0 * 2 - 1) * 0.449660
SELECT entity, record_key, title, state, division_code, lon, lat
  FROM geo_points
 WHERE point(lon, lat) <@ box(point(:lon - 0.0580, :lat - 0.044966), point(:lon + 0.0580, :lat + 0.044966))
 ORDER BY point(lon, lat) <-> point(:lon, :lat)
 LIMIT 50;
SQL
cat >"$tmp/same.sql" <<'SQL'
\set lon 103.5 + (random(0, 1000000) / 1000000.0 * 2 - 1) * 0.574943
\set lat 38.5 + (random(0, 1000000) / 1000000.0 * 2 - 1) * 0.449660
SELECT s.entity, s.record_key, s.title, s.state, s.division_code, s.lon, s.lat, count(*) OVER ()
  FROM (SELECT g.*, (g.x - q.x) * (g.x - q.x) + (g.y - q.y) * (g.y - q.y) + (g.z - q.z) * (g.z - q.z) AS d2
          FROM geo_points g,
               (SELECT cos(radians(:lat)) * cos(radians(:lon)) AS x,
                       cos(radians(:lat)) * sin(radians(:lon)) AS y, sin(radians(:lat)) AS z) q
         WHERE point(g.lon, g.lat) <@ box(point(:lon - 0.0580, :lat - 0.044966), point(:lon + 0.0580, :lat + 0.044966))) s
 WHERE s.d2 <= 6.15919e-7
 ORDER BY s.d2, s.entity, s.record_key
 LIMIT 50;
SQL
pgb() { # pgb SCRIPT CLIENTS → tps
    "$pgbin/pgbench" -h 127.0.0.1 -p "$port" -U postgres -n -M prepared -T "$secs" -c "$2" -j "$2" \
        -f "$1" yingji_test 2>&1 | sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}
qps[knn1]=$(pgb "$tmp/knn.sql" 1)
qps[knn2]=$(pgb "$tmp/knn.sql" 2)
qps[same1]=$(pgb "$tmp/same.sql" 1)
qps[same2]=$(pgb "$tmp/same.sql" 2)

echo
printf '%-58s %12s %12s\n' "nearby, 100k points, r = 5 km, limit 50" "1 client" "2 clients"
row() { printf '%-58s %12.0f %12.0f\n' "$1" "${qps[${2}1]}" "${qps[${2}2]}"; }
row "geo_nearby on SQLite (R*Tree)" sqlite
row "geo_nearby on SQLite, county jurisdiction (3/4 of points)" sqlitej
row "geo_nearby on PostgreSQL (our backend, GiST)" pg
row "geo_nearby on PostgreSQL, county jurisdiction" pgj
row "peer: PostgreSQL GiST KNN (ORDER BY <-> LIMIT 50)" knn
row "reference: PostgreSQL raw SQL, our full answer" same
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo
echo "ratio SQLite / peer:      $(ratio "${qps[sqlite1]}" "${qps[knn1]}") (1 client), $(ratio "${qps[sqlite2]}" "${qps[knn2]}") (2 clients)"
echo "ratio SQLite with jurisdiction / peer: $(ratio "${qps[sqlitej1]}" "${qps[knn1]}") (1 client), $(ratio "${qps[sqlitej2]}" "${qps[knn2]}") (2 clients)"
echo "ratio PostgreSQL / peer:  $(ratio "${qps[pg1]}" "${qps[knn1]}") (1 client), $(ratio "${qps[pg2]}" "${qps[knn2]}") (2 clients)"
echo "ratio SQLite / same-answer PostgreSQL SQL: $(ratio "${qps[sqlite1]}" "${qps[same1]}") (1 client), $(ratio "${qps[sqlite2]}" "${qps[same2]}") (2 clients)"
