#!/bin/sh
# Fetches the dashboard's front-end libraries from PyPI and Debian (never a CDN) into this
# folder, with their licences, and rewrites SHA256SUMS. The test suite checks the files
# against SHA256SUMS (Tests/Web/run.sh), so a changed file is a visible change.
#
#   Sources/StockroomServer/Web/static/vendor/fetch.sh
#
# Versions (bump here, run, review the diff of SHA256SUMS, commit):
#   htmx 2.0.3 (0BSD)              PyPI django-js-lib-htmx==2.0.3.1
#   htmx-2 SSE extension (0BSD)    PyPI django-htmx==1.29.0 (not used yet: the badge polls)
#   Bootstrap 5.3.8 (MIT)          PyPI xstatic-bootstrap==5.3.8.0 (sdist; needs setuptools<70)
#   Chart.js 3.9.1 (MIT)           Debian bookworm libjs-chart.js
#   Bootstrap Icons 1.10.3 (MIT)   Debian bookworm bootstrap-icons (a sprite of the icons we use)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
python3 -m venv venv
echo 'setuptools<70' > constraints.txt
PIP_CONSTRAINT=$WORK/constraints.txt venv/bin/pip download --quiet --no-deps -d dl \
    django-js-lib-htmx==2.0.3.1 django-htmx==1.29.0 xstatic-bootstrap==5.3.8.0
apt-get download libjs-chart.js=3.9.1+~0.2.1-2 bootstrap-icons=1.10.3+dfsg-1 2>/dev/null
mkdir -p wheel1 wheel2 bs deb
python3 -m zipfile -e dl/django_js_lib_htmx-2.0.3.1-py2.py3-none-any.whl wheel1
python3 -m zipfile -e dl/django_htmx-1.29.0-py3-none-any.whl wheel2
tar -xzf dl/xstatic_bootstrap-5.3.8.0.tar.gz -C bs
for deb in ./*.deb; do dpkg-deb -x "$deb" deb; done

mkdir -p "$HERE/licenses"
cp wheel1/js_lib_htmx/static/htmx/htmx.min.js "$HERE/htmx.min.js"
cp wheel2/django_htmx/static/django_htmx/ext/hx-sse-2.min.js "$HERE/htmx-sse.min.js"
BS=bs/xstatic_bootstrap-5.3.8.0/xstatic/pkg/bootstrap/data
cp $BS/css/bootstrap.min.css "$HERE/bootstrap.min.css"
cp $BS/js/bootstrap.bundle.min.js "$HERE/bootstrap.bundle.min.js"
cp deb/usr/share/javascript/chart.js/chart.min.js "$HERE/chart.min.js"
# Licences: htmx is 0BSD (stated in the wheel's metadata), Bootstrap and Chart.js MIT.
find wheel1 -name 'METADATA' -exec cp {} "$HERE/licenses/django-js-lib-htmx.METADATA" \;
find wheel2 -name 'LICENSE*' -exec cp {} "$HERE/licenses/django-htmx.LICENSE" \;
cp bs/xstatic_bootstrap-5.3.8.0/PKG-INFO "$HERE/licenses/xstatic-bootstrap.PKG-INFO"
cp deb/usr/share/doc/libjs-chart.js/copyright "$HERE/licenses/chart.js.copyright"
cp deb/usr/share/doc/bootstrap-icons/copyright "$HERE/licenses/bootstrap-icons.copyright"

# One SVG sprite of the icons the templates use (<svg><use href="…#name">), so icons take
# the text colour and need no font.
python3 - "$HERE/icons.svg" deb/usr/share/bootstrap-icons/svg <<'PY'
import re, sys
out, folder = sys.argv[1], sys.argv[2]
names = ["speedometer2", "box-seam", "cart3", "bar-chart-line", "gear", "arrow-repeat", "bell",
         "exclamation-triangle", "truck", "clipboard-check", "search", "person-circle", "list",
         "box-arrow-right", "shield-exclamation", "download", "plus-lg", "shop", "question-circle"]
symbols = []
for name in names:
    svg = open(f"{folder}/{name}.svg").read()
    view = re.search(r'viewBox="([^"]+)"', svg).group(1)
    body = re.sub(r"^.*?<svg[^>]*>|</svg>\s*$", "", svg, flags=re.S).strip()
    symbols.append(f'<symbol id="{name}" viewBox="{view}">{body}</symbol>')
open(out, "w").write('<svg xmlns="http://www.w3.org/2000/svg">' + "".join(symbols) + "</svg>\n")
PY

cd "$HERE"
sha256sum htmx.min.js htmx-sse.min.js bootstrap.min.css bootstrap.bundle.min.js chart.min.js icons.svg \
    licenses/* > SHA256SUMS
echo "vendored into $HERE:"
cat SHA256SUMS
