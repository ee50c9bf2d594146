#!/bin/sh
# Runs schemathesis (PyPI, pinned) against a live `stockroom` node, from the OpenAPI
# document sync-protocol/openapi.json. `make test` runs it; it fails on any 5xx, and on any
# answer whose status, content type, headers or body the document does not describe.
#
#   Tests/API/schemathesis.sh [BINARY]     # default .build/debug/stockroom
#   SCHEMATHESIS_EXAMPLES=1000 Tests/API/schemathesis.sh    # more cases per operation (default 100)
#   STOCKROOM_SEED=7 Tests/API/schemathesis.sh              # replay a run's inputs
#
# Two passes: as admin (every route but the sync protocol's), and as a peer (push, pull).
# schemathesis goes into a virtualenv under .build/; the node's data folder is temporary.
set -eu
cd "$(dirname "$0")/../.."
BINARY="${1:-.build/debug/stockroom}"
VERSION=4.32.5
VENV=.build/schemathesis-$VERSION
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-100}"
SEED="${STOCKROOM_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}"

if [ ! -x "$VENV/bin/st" ]; then
    echo "schemathesis: installing $VERSION into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$VERSION"
fi

WORK=$(mktemp -d /tmp/stockroom-schemathesis-XXXXXX)
NODE=""
cleanup() {
    if [ -n "$NODE" ]; then kill "$NODE" 2>/dev/null || true; wait "$NODE" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

# A node with a small real catalogue, so the documented examples find items.
head -301 fixtures/catalog-10k.csv > "$WORK/catalog.csv"
"$BINARY" import catalog "$WORK/catalog.csv" --data "$WORK/data" > /dev/null
PEER=$("$BINARY" token create --role peer --node store-st --data "$WORK/data" 2>/dev/null | tail -1)
"$BINARY" serve --data "$WORK/data" --listen 127.0.0.1:0 --log-level warning > "$WORK/node.log" 2>&1 &
NODE=$!
PORT=""
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/node.log" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.1
done
if [ -z "$PORT" ]; then
    echo "schemathesis: the node did not start; its log:" >&2
    cat "$WORK/node.log" >&2
    exit 1
fi
ADMIN=$(sed -n 's/.*"admin" : "\(.*\)".*/\1/p' "$WORK/data/credentials.json")

# One worker: with two, hypothesis parses lambdas' source in two threads at once, and
# CPython 3.11's AST constructor is not thread-safe ("AST constructor recursion depth
# mismatch", python/cpython#106905), which schemathesis reports as runtime errors.
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
run() { # $1: token, then filters
    token=$1
    shift
    SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH=Tests/API "$VENV/bin/st" run sync-protocol/openapi.json --url "http://127.0.0.1:$PORT" \
        -H "Authorization: Bearer $token" --checks "$CHECKS" --max-examples "$EXAMPLES" --seed "$SEED" \
        --workers 1 --request-timeout 10 --no-color --output-truncate true \
        --generation-database none --report junit --report-dir "$WORK/report" "$@"
}
status=0
echo "schemathesis: seed $SEED, $EXAMPLES examples per operation, node log $WORK/node.log"
run "$ADMIN" --exclude-path-regex '^/v1/sync/(push|pull)$' || status=1
run "$PEER" --include-path-regex '^/v1/sync/(push|pull)$' || status=1
if ! kill -0 "$NODE" 2>/dev/null; then
    echo "schemathesis: the node died; the end of its log (the crash and its backtrace):" >&2
    grep -n -A12 -E 'Fatal error|Crash' "$WORK/node.log" | head -60 >&2
    status=1
fi
if grep -Eq '^[^ ]+ (error|critical) ' "$WORK/node.log"; then
    echo "schemathesis: the node logged errors:" >&2
    grep -E '^[^ ]+ (error|critical) ' "$WORK/node.log" | head -20 >&2
    status=1
fi
[ "$status" -eq 0 ] || echo "schemathesis: FAILED (seed $SEED; replay with STOCKROOM_SEED=$SEED $0)" >&2
exit "$status"
