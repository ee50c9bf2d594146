#!/usr/bin/env bash
# Runs a command with a private, disposable PostgreSQL on loopback (Debian's postgresql):
#   Tests/Postgres/with-postgres.sh COMMAND [ARGS…]
# The command sees STOCKROOM_TEST_POSTGRES=postgres://stockroom@127.0.0.1:PORT (no database:
# each test makes its own) and STOCKROOM_REQUIRE_POSTGRES=1. The server is stopped and its
# folder removed when the command ends, however it ends.
set -euo pipefail
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$BIN/initdb" ] || { echo "with-postgres: Debian's postgresql is not installed (make test-deps)" >&2; exit 1; }
dir=$(mktemp -d /tmp/stockroom-pg-XXXXXX)
AS=()
if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; AS=(runuser -u postgres --); fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
stop() {
    "${AS[@]}" "$BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT
"${AS[@]}" "$BIN/initdb" -D "$dir/data" -A trust -U stockroom >/dev/null
"${AS[@]}" "$BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=on" start >/dev/null
echo "with-postgres: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
export STOCKROOM_TEST_POSTGRES="postgres://stockroom@127.0.0.1:$port"
export STOCKROOM_REQUIRE_POSTGRES=1
export STOCKROOM_TEST_PG_BIN="$BIN"
"$@"
