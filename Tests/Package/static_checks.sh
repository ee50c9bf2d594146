#!/bin/sh
# The packaging and monitoring checks that need no release build (`make test` runs them;
# `make package-test` builds and installs the real .deb):
#   - systemd-analyze verify on the unit, and its security exposure (at most 2.0);
#   - sh -n on the maintainer scripts;
#   - promtool check rules and promtool test rules (a unit test of every alert);
#   - the Grafana dashboard is JSON with a query in every panel.
set -eu
cd "$(dirname "$0")/../.."
unit=packaging/systemd/stockroom.service
# verify checks that ExecStart exists: point a copy at a binary that does.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed 's#^ExecStart=/usr/bin/stockroom#ExecStart=/bin/true#' "$unit" > "$work/stockroom.service"
systemd-analyze verify --man=no "$work/stockroom.service"
exposure=$(systemd-analyze security --offline=true "$work/stockroom.service" 2>/dev/null \
    | sed -n 's/.*Overall exposure level for stockroom.service: \([0-9.]*\).*/\1/p')
echo "systemd unit: verify ok; exposure $exposure (0 safest, 10 unsafe)"
awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }' || { echo "the unit's exposure $exposure is above 2.0" >&2; exit 1; }
for script in packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm packaging/build-deb.sh; do
    sh -n "$script"
done
echo "maintainer scripts: sh -n ok"
promtool check rules packaging/monitoring/stockroom-alerts.yml
(cd packaging/monitoring && promtool test rules stockroom-alerts.test.yml)
python3 - <<'PY'
import json
d = json.load(open("packaging/monitoring/stockroom-dashboard.json"))
panels = [p for p in d["panels"] if p["type"] != "row"]
assert panels and all(p.get("targets") and all(t["expr"] for t in p["targets"]) for p in panels), "a panel without a query"
print(f"grafana dashboard: {len(panels)} panels, each with a query")
PY
