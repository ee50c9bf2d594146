#!/bin/sh
# The web dashboard in a real browser (make test runs it): checks the vendored front-end
# files against their SHA256SUMS, seeds a data folder (1,000 sample items with 60 days of
# history, an admin and a staff user), starts the real `stockroom` binary on loopback, and
# runs Tests/Web/dashboard_test.py in Debian's Chromium through Selenium at 390x844 and
# 1440x900. Screenshots land in .build/web-screenshots/.
#
#   Tests/Web/run.sh [BINARY]      # default .build/debug/stockroom
set -eu
cd "$(dirname "$0")/../.."
BINARY="${1:-.build/debug/stockroom}"
VENV=.build/web-venv
SHOTS=.build/web-screenshots

echo "web: checking the vendored front-end files"
(cd Sources/StockroomServer/Web/static/vendor && sha256sum --quiet -c SHA256SUMS)

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import selenium, axe_playwright_python' 2>/dev/null; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet selenium==4.51.0
    # axe-core 4.12.1 ships inside this wheel; its Playwright dependency is not needed.
    "$VENV/bin/pip" install --quiet --no-deps axe-playwright-python==0.1.8
fi
AXE=$("$VENV/bin/python" -c 'import axe_playwright_python, os; print(os.path.join(os.path.dirname(axe_playwright_python.__file__), "axe.min.js"))')

WORK=$(mktemp -d /tmp/stockroom-web-XXXXXX)
NODE=""
cleanup() {
    if [ -n "$NODE" ]; then kill "$NODE" 2>/dev/null || true; wait "$NODE" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

head -1001 fixtures/catalog-10k.csv > "$WORK/catalog.csv"
"$BINARY" import catalog "$WORK/catalog.csv" --data "$WORK/data" --node store-1 > /dev/null
python3 fixtures/generate_history.py --catalog "$WORK/catalog.csv" --items 1000 --days 60 --scale 0.3 \
    --location store-1 > "$WORK/history.csv"
"$BINARY" import history "$WORK/history.csv" --data "$WORK/data" > /dev/null
ADMIN_PASSWORD="admin-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
STAFF_PASSWORD="staff-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
echo "$ADMIN_PASSWORD" | "$BINARY" user create ada --role admin --display-name "Ada Admin" --data "$WORK/data" --password-stdin > /dev/null
echo "$STAFF_PASSWORD" | "$BINARY" user create sam --role staff --display-name "Sam Staff" --data "$WORK/data" --password-stdin > /dev/null

# A notify file with no sections: only Slack can be chosen, and nothing is sent (no alert
# reaches a recipient in this test; Settings adds and removes one).
echo '{"recipients": []}' > "$WORK/notify.json"
"$BINARY" serve --data "$WORK/data" --listen 127.0.0.1:0 --log-level warning --notify "$WORK/notify.json" \
    > "$WORK/node.log" 2>&1 &
NODE=$!
PORT=""
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/node.log" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.1
done
[ -n "$PORT" ] || { echo "web: the node did not start:" >&2; cat "$WORK/node.log" >&2; exit 1; }

rm -rf "$SHOTS"
status=0
"$VENV/bin/python" Tests/Web/dashboard_test.py --base "http://127.0.0.1:$PORT" \
    --credentials "$WORK/data/credentials.json" --admin-password "$ADMIN_PASSWORD" \
    --staff-password "$STAFF_PASSWORD" --screenshots "$SHOTS" --axe "$AXE" || status=1
if grep -Eq '^[^ ]+ (error|critical) ' "$WORK/node.log"; then
    echo "web: the node logged errors:" >&2
    grep -E '^[^ ]+ (error|critical) ' "$WORK/node.log" | head -20 >&2
    status=1
fi
exit "$status"
