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
HUB=""
cleanup() {
    for pid in $NODE $HUB; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}

# The port a node printed once it listens (its log is $1).
port_of() {
    for _ in $(seq 1 100); do
        found=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1" | head -1)
        if [ -n "$found" ]; then echo "$found"; return 0; fi
        sleep 0.1
    done
    echo "web: a node did not start:" >&2; cat "$1" >&2; return 1
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

# A hub the store syncs with, for the hub's chain view and its store switcher: started
# once to make its folder, then given a peer token for store-1 and an admin user.
"$BINARY" serve --role hub --data "$WORK/hub" --listen 127.0.0.1:0 --log-level warning > "$WORK/hub.log" 2>&1 &
HUB=$!
port_of "$WORK/hub.log" > /dev/null
kill "$HUB"; wait "$HUB" 2>/dev/null || true
PEER_TOKEN=$("$BINARY" token create --role peer --node store-1 --data "$WORK/hub" | grep '^sr_')
echo "$ADMIN_PASSWORD" | "$BINARY" user create ada --role admin --display-name "Ada Admin" --data "$WORK/hub" --password-stdin > /dev/null
"$BINARY" serve --role hub --data "$WORK/hub" --listen 127.0.0.1:0 --log-level warning > "$WORK/hub.log" 2>&1 &
HUB=$!
HUB_PORT=$(port_of "$WORK/hub.log")

# A notify file with no sections: only Slack can be chosen, and nothing is sent (no alert
# reaches a recipient in this test; Settings adds and removes one).
echo '{"recipients": []}' > "$WORK/notify.json"
"$BINARY" serve --data "$WORK/data" --listen 127.0.0.1:0 --log-level warning --notify "$WORK/notify.json" \
    --hub "http://127.0.0.1:$HUB_PORT" --hub-token "$PEER_TOKEN" > "$WORK/node.log" 2>&1 &
NODE=$!
PORT=$(port_of "$WORK/node.log")

rm -rf "$SHOTS"
status=0
"$VENV/bin/python" Tests/Web/dashboard_test.py --base "http://127.0.0.1:$PORT" \
    --credentials "$WORK/data/credentials.json" --admin-password "$ADMIN_PASSWORD" \
    --staff-password "$STAFF_PASSWORD" --screenshots "$SHOTS" --axe "$AXE" \
    --hub-base "http://127.0.0.1:$HUB_PORT" --hub-credentials "$WORK/hub/credentials.json" || status=1
for log in node hub; do
    if grep -Eq '^[^ ]+ (error|critical) ' "$WORK/$log.log"; then
        echo "web: the $log logged errors:" >&2
        grep -E '^[^ ]+ (error|critical) ' "$WORK/$log.log" | head -20 >&2
        status=1
    fi
done
exit "$status"
