#!/bin/sh
# Browser tests (headless Debian chromium via playwright-core).
#
# With YINGJI_URL set, tests that server. Without it, and when build/yingji exists,
# starts one on a free loopback port with a fresh demo database and stops it after;
# otherwise tests http://127.0.0.1:8080.
set -eu
cd "$(dirname "$0")/../.."

[ -d tests/e2e/node_modules ] || npm ci --prefix tests/e2e --no-audit --no-fund

server_pid=""
tmp=""
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT INT TERM

if [ -z "${YINGJI_URL:-}" ] && [ -x build/yingji ]; then
	tmp=$(mktemp -d)
	port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
	./build/yingji demo --db "sqlite:$tmp/e2e.db" >"$tmp/demo.log" 2>&1 || { cat "$tmp/demo.log"; exit 1; }
	# its own data directory: the spool channel's file is locked by the server writing it
	YINGJI_DATA_DIR="$tmp/data" ./build/yingji serve --db "sqlite:$tmp/e2e.db" --listen "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
	server_pid=$!
	YINGJI_URL="http://127.0.0.1:$port"
	export YINGJI_URL
	i=0
	until node -e 'fetch(process.argv[1]+"/healthz").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$YINGJI_URL"; do
		i=$((i + 1))
		if [ $i -ge 100 ] || ! kill -0 "$server_pid" 2>/dev/null; then
			echo "yingji did not start:" >&2
			cat "$tmp/server.log" >&2
			exit 1
		fi
		sleep 0.1
	done
fi

node --test tests/e2e/
