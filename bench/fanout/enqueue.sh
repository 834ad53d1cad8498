#!/bin/bash
# bench/fanout/enqueue.sh — the enqueue stage of warning fan-out and acknowledgements per second,
# through the publish module, on SQLite and on PostgreSQL (a throwaway cluster).
#
# Builds build/bench/enqueue_bench (against the project's -O2 objects, `make build/yingji`
# first), and for each backend: a fresh database, PEOPLE recipients loaded untimed, then the
# timed issue of a red warning whose polygon (with a hole) covers ~90 % of them — resolve over
# the in-memory directory, one target row each, one outbox message per 1 000 targets, the
# workflow step, CAP message and audit, commit — and ACKS answers (a quarter one per
# transaction, the rest 1 000 per transaction). Target (issue 6): 1M recipients queued in < 5 s.
#
# Env: PEOPLE (default 1000000), ACKS (default 20000), BACKENDS ("sqlite postgres").
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
people=${PEOPLE:-1000000}
acks=${ACKS:-20000}
make -s build/yingji >&2
mkdir -p build/bench
bin=build/bench/enqueue_bench
objs=$(find build/obj/src -name '*.o' ! -path build/obj/src/main.o | sort)
pkgs="libmicrohttpd jansson sqlite3 libpq libsodium libqrencode libmosquitto libxml-2.0 geos libcurl"
# shellcheck disable=SC2046,SC2086
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Isrc \
    $(pkg-config --cflags $pkgs) -o "$bin" bench/fanout/enqueue_bench.c $objs \
    $(pkg-config --libs $pkgs) -lpthread -lm

tmp=$(mktemp -d /tmp/yingji-bench-enqueue.XXXXXX)
chmod 755 "$tmp" # the postgres user runs its cluster below it
cluster=""
cleanup() {
    [ -z "$cluster" ] || scripts/pg-test-cluster.sh stop "$cluster" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
echo "machine: $(nproc) cores, $(uname -r); $people recipients"
for b in ${BACKENDS:-sqlite postgres}; do
    echo "=== $b ==="
    if [ "$b" = sqlite ]; then
        "$bin" "sqlite:$tmp/bench.db" --people "$people" --acks "$acks"
    else
        cluster="$tmp/pg"
        mkdir -p "$cluster"
        url=$(scripts/pg-test-cluster.sh start "$cluster" 2>"$tmp/pg.log") || { cat "$tmp/pg.log" >&2; exit 1; }
        "$bin" "$url" --people "$people" --acks "$acks"
    fi
done
