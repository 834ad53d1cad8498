#!/bin/bash
# pg-test-cluster.sh — throwaway PostgreSQL clusters for tests.
#
#   pg-test-cluster.sh start DIR      create a cluster in DIR (made if missing), start it on a
#                                     free port of 127.0.0.1, create database yingji_test and
#                                     print its URL: postgres://postgres@127.0.0.1:PORT/yingji_test
#   pg-test-cluster.sh url DIR NAME   create database NAME in the running cluster (if it does not
#                                     exist yet) and print its URL
#   pg-test-cluster.sh stop DIR       stop the cluster and remove DIR
#
# Only URLs go to stdout; everything else goes to stderr, so `url=$(… start "$dir")` works.
# PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user (DIR is
# chowned to it); as anyone else it runs as that user. Durability is off (fsync=off): the
# data is thrown away anyway. Typical use:
#
#   dir=$(mktemp -d /tmp/yingji-pg.XXXXXX)
#   trap 'scripts/pg-test-cluster.sh stop "$dir"' EXIT
#   url=$(scripts/pg-test-cluster.sh start "$dir")
set -euo pipefail

FIRST_PORT=55432
LAST_PORT=55632

say() { echo "pg-test-cluster: $*" >&2; }
die() {
    say "$*"
    exit 1
}

usage() {
    die "usage: $0 start DIR | url DIR NAME | stop DIR"
}

# Newest installed server version's binaries (Debian keeps them out of PATH).
pg_bin() {
    local dir best=""
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && best=$(printf '%s\n%s\n' "$best" "$dir" | sort -V | tail -n 1)
    done
    if [ -z "$best" ]; then
        die "PostgreSQL server not found (scripts/install-deps.sh installs it)"
    fi
    echo "$best"
}

# Runs a command as the cluster's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

prepare_dir() {
    local dir=$1
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        getent passwd postgres >/dev/null || die "user postgres does not exist (install postgresql)"
        chown postgres: "$dir"
        chmod 700 "$dir"
        as_owner test -w "$dir" || die "$dir is not reachable by user postgres (use a directory under /tmp)"
    fi
}

init_cluster() {
    local dir=$1 bin=$2
    as_owner "$bin/initdb" -D "$dir/pgdata" --locale=C.UTF-8 -E UTF8 -A trust -U postgres \
        >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    }
    as_owner tee -a "$dir/pgdata/postgresql.conf" >/dev/null <<EOF
# pg-test-cluster.sh: a throwaway cluster for tests
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
log_min_messages = warning
EOF
}

# Starts the cluster on the first free port; another cluster may grab a port between the check
# and the bind, so a failed start moves on to the next port.
start_server() {
    local dir=$1 bin=$2 port
    for ((port = FIRST_PORT; port <= LAST_PORT; port++)); do
        port_in_use "$port" && continue
        rm -f "$dir/server.log"
        if as_owner "$bin/pg_ctl" -D "$dir/pgdata" -l "$dir/server.log" -w -t 60 \
            -o "-p $port" start >&2; then
            echo "$port" >"$dir/port"
            return 0
        fi
        grep -q "could not bind\|already in use\|could not create any TCP" "$dir/server.log" 2>/dev/null ||
            {
                cat "$dir/server.log" >&2
                die "server failed to start"
            }
        say "port $port taken, trying the next one"
    done
    die "no free port in $FIRST_PORT-$LAST_PORT"
}

valid_name() {
    [[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] || die "bad database name '$1' (letters, digits, _)"
}

create_db() {
    local dir=$1 name=$2 bin port
    bin=$(pg_bin)
    [ -f "$dir/port" ] || die "no running cluster in $dir"
    port=$(cat "$dir/port")
    valid_name "$name"
    local exists
    exists=$(as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -XAtq \
        -c "SELECT 1 FROM pg_database WHERE datname = '$name'")
    if [ "$exists" != 1 ]; then
        as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres -E UTF8 -T template0 "$name" >&2
    fi
    echo "postgres://postgres@127.0.0.1:$port/$name"
}

cmd_start() {
    local dir=$1 bin
    bin=$(pg_bin)
    [ -e "$dir/pgdata" ] && die "$dir already holds a cluster"
    prepare_dir "$dir"
    dir=$(cd "$dir" && pwd)
    say "initdb in $dir"
    init_cluster "$dir" "$bin"
    start_server "$dir" "$bin"
    say "started on 127.0.0.1:$(cat "$dir/port")"
    create_db "$dir" yingji_test
}

cmd_stop() {
    local dir=$1 bin
    bin=$(pg_bin)
    [ -d "$dir" ] || return 0
    # Refuse to delete a directory this script did not make a cluster in.
    [ -e "$dir/pgdata" ] || [ -e "$dir/initdb.log" ] || die "$dir does not look like a test cluster; not removing it"
    if [ -f "$dir/pgdata/postmaster.pid" ]; then
        as_owner "$bin/pg_ctl" -D "$dir/pgdata" -m immediate -w -t 30 stop >&2 || true
    fi
    rm -rf "$dir"
    say "stopped and removed $dir"
}

[ $# -ge 2 ] || usage
case $1 in
start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
url) [ $# -eq 3 ] || usage; create_db "$2" "$3" ;;
stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
*) usage ;;
esac
