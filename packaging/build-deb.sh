#!/bin/sh
# Builds dist/stockroom_VERSION_ARCH.deb with Debian's own dpkg-deb, from a release binary
# and the data in packaging/ (control files, unit, config). `make package` runs it.
#   packaging/build-deb.sh [BINARY]        (default .build/release/stockroom)
# The version is the binary's own (`stockroom --version`), so it is written in one place.
set -eu
cd "$(dirname "$0")/.."
binary=${1:-.build/release/stockroom}
[ -x "$binary" ] || { echo "build-deb: no binary at $binary (make release)" >&2; exit 1; }
# STOCKROOM_DEB_VERSION is for the package test's upgrade (the same binary, a later
# package version); a release never sets it.
version=${STOCKROOM_DEB_VERSION:-$("$binary" --version | head -n 1)}
arch=$(dpkg --print-architecture)
root=$(mktemp -d /tmp/stockroom-deb-XXXXXX)
trap 'rm -rf "$root"' EXIT

install -D -m 0755 "$binary" "$root/usr/bin/stockroom"
strip --strip-unneeded "$root/usr/bin/stockroom"
install -D -m 0644 packaging/systemd/stockroom.service "$root/lib/systemd/system/stockroom.service"
install -D -m 0644 packaging/stockroom.json "$root/etc/stockroom/stockroom.json"
mkdir -p "$root/usr/share/stockroom/web"
cp -R Sources/StockroomServer/Web/templates Sources/StockroomServer/Web/static "$root/usr/share/stockroom/web/"
rm -f "$root/usr/share/stockroom/web/static/vendor/fetch.sh"   # how they were fetched; not for a node
find "$root/usr/share/stockroom" -type d -exec chmod 0755 {} + && find "$root/usr/share/stockroom" -type f -exec chmod 0644 {} +
install -D -m 0644 packaging/monitoring/stockroom-alerts.yml "$root/usr/share/stockroom/monitoring/stockroom-alerts.yml"
install -m 0644 packaging/monitoring/stockroom-dashboard.json "$root/usr/share/stockroom/monitoring/"
doc="$root/usr/share/doc/stockroom"
install -D -m 0644 packaging/deb/copyright "$doc/copyright"
install -m 0644 README.md "$doc/README.md" && gzip -9n "$doc/README.md"
sed "s/@VERSION@/$version/; s/@DATE@/$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")/" \
    packaging/deb/changelog | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"
install -D -m 0644 packaging/deb/lintian-overrides "$root/usr/share/lintian/overrides/stockroom"
# The manual page, from the binary's own --help, by Debian's help2man.
mkdir -p "$root/usr/share/man/man1"
help2man --no-info --no-discard-stderr --version-string="$version" --section=1 \
    --name="offline-first inventory daemon for stores and warehouses, and its hub" \
    --include=packaging/deb/stockroom.h2m "$binary" | gzip -9n > "$root/usr/share/man/man1/stockroom.1.gz"
chmod 0644 "$root/usr/share/man/man1/stockroom.1.gz"

# Dependencies: Debian's package names of the shared libraries the binary links, found
# by dpkg-shlibdeps (Debian's own tool) as dh_shlibdeps would.
work=$(mktemp -d) && mkdir -p "$work/debian" && printf 'Source: stockroom\n\nPackage: stockroom\nArchitecture: any\n' > "$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O "$root/usr/bin/stockroom" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$work"
[ -n "$depends" ] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed "s/@VERSION@/$version/; s/@ARCH@/$arch/; s/@SIZE@/$size/; s/@DEPENDS@/$depends/" packaging/deb/control > "$root/DEBIAN/control"
install -m 0644 packaging/deb/conffiles "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "packaging/deb/$script" "$root/DEBIAN/$script"; done
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod 0644 "$root/DEBIAN/md5sums"

mkdir -p dist
out="dist/stockroom_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$out" >/dev/null
echo "$out"
