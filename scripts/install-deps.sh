#!/bin/sh
# install-deps.sh — installs the Debian packages Yingji builds, tests and runs with.
#
# Idempotent: asks dpkg which packages are missing and only then runs `apt-get update` once
# and installs just those. A machine that has everything returns at once. Runs as root (the
# normal case here); otherwise uses sudo when it exists. Debian 12 (bookworm).
set -eu

PACKAGES="build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3
libpq-dev postgresql libsodium-dev libcmocka-dev libxml2-dev libmosquitto-dev mosquitto mosquitto-clients
libgeos-dev libcurl4-openssl-dev libqrencode-dev chromium fonts-wqy-microhei clang"

say() { echo "install-deps: $*" >&2; }

installed() {
    dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

# nodejs/npm come from Debian only when node and npm are not already on PATH (a developer may
# have their own Node).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    PACKAGES="$PACKAGES nodejs npm"
fi

missing=""
for p in $PACKAGES; do
    installed "$p" || missing="$missing $p"
done

if [ -z "$missing" ]; then
    say "all packages present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    say "missing:$missing — run this script as root (sudo is not available)"
    exit 1
fi

say "missing:$missing"
export DEBIAN_FRONTEND=noninteractive
say "apt-get update"
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update
say "apt-get install -y --no-install-recommends$missing"
# shellcheck disable=SC2086 # word splitting of the package list is intended
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
say "done"
