#!/usr/bin/env bash
# `make package-test` (on demand: it needs the release build, about 10 minutes cold, and
# about 2 minutes more): builds the .deb, checks it with lintian, builds a clean Debian 12
# root with debootstrap, installs the .deb there with apt (dependencies resolved from
# Debian), checks the files, owners and modes, runs `stockroom serve` from the chroot as
# the package's user, scans over loopback, upgrades to a rebuilt package with an edited
# config (kept: a conffile), purges, and checks what is left.
#   Tests/Package/package_test.sh [DEB]
set -euo pipefail
cd "$(dirname "$0")/../.."
deb=${1:-$(packaging/build-deb.sh)}
echo "package-test: $deb ($(du -h "$deb" | cut -f1))"

echo "== lintian"
# Errors fail the test; each warning the package still gets is explained in the README
# ("Packaging").
lintian --fail-on error --tag-display-limit 0 "$deb" | tee /tmp/stockroom-lintian.txt
echo "lintian: $(grep -c '^E:' /tmp/stockroom-lintian.txt || true) errors, $(grep -c '^W:' /tmp/stockroom-lintian.txt || true) warnings"

root=${PACKAGE_TEST_ROOT:-/tmp/stockroom-chroot}
cleanup() {
    [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
    for m in proc dev/pts dev; do umount -l "$root/$m" 2>/dev/null || true; done
}
trap cleanup EXIT
if [ ! -x "$root/usr/bin/apt-get" ] || [ -n "${PACKAGE_TEST_FRESH:-}" ]; then
    echo "== debootstrap bookworm into $root"
    rm -rf "$root"
    start=$(date +%s)
    debootstrap --variant=minbase bookworm "$root" >/tmp/stockroom-debootstrap.log 2>&1 \
        || { tail -20 /tmp/stockroom-debootstrap.log; exit 1; }
    echo "debootstrap: $(( $(date +%s) - start )) s"
    cp "$root/var/cache/apt/pkgcache.bin" /dev/null 2>/dev/null || true
    tar -C "$root" -cf /tmp/stockroom-chroot-clean.tar .   # a clean copy for the next run
else
    echo "== reusing the clean root (PACKAGE_TEST_FRESH=1 to rebuild it)"
    rm -rf "$root" && mkdir -p "$root" && tar -C "$root" -xf /tmp/stockroom-chroot-clean.tar
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
in_root() { chroot "$root" "$@"; }
find "$root" -xdev -newer "$root/etc/resolv.conf" -prune -o -print 2>/dev/null | sort > /tmp/stockroom-before.txt || true
(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./var/cache -o -path ./var/lib/apt -o -path ./var/log -o -path ./tmp -o -path ./var/lib/dpkg \) -prune -o -print | sort) > /tmp/stockroom-files-before.txt

echo "== apt install ./$(basename "$deb")"
cp "$deb" "$root/tmp/"
in_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -qq --no-install-recommends "/tmp/$(basename "$deb")" >/tmp/stockroom-apt.log 2>&1 \
    || { tail -30 /tmp/stockroom-apt.log; exit 1; }
grep -E "^(Get|Setting up)" /tmp/stockroom-apt.log | sed -n 's/^Setting up \([^ ]*\).*/  set up \1/p' | head -30

fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
check_mode() {  # PATH OWNER:GROUP MODE
    local got
    got=$(in_root stat -c '%U:%G %a' "$1")
    [ "$got" = "$2 $3" ] || fail "$1 is '$got', expected '$2 $3'"
    echo "  $1: $got"
}
echo "== files, owners and modes"
in_root id stockroom
in_root getent passwd stockroom | grep -q ':/var/lib/stockroom:/usr/sbin/nologin$' || fail "the stockroom user's home or shell"
check_mode /usr/bin/stockroom root:root 755
check_mode /etc/stockroom/stockroom.json root:stockroom 640
check_mode /var/lib/stockroom stockroom:stockroom 750
check_mode /lib/systemd/system/stockroom.service root:root 644
in_root test -f /usr/share/stockroom/web/templates/layout.mustache || fail "web templates missing"
in_root test -f /usr/share/man/man1/stockroom.1.gz || fail "man page missing"
in_root test -L /etc/systemd/system/multi-user.target.wants/stockroom.service || fail "the unit is not enabled"
in_root stockroom --version
version=$(in_root stockroom --version | head -1)
dpkg-deb -f "$deb" Version | grep -qx "$version" || fail "package version differs from the binary's ($version)"
# The root has no systemd to verify against (minbase): verify the installed unit on the
# host, its ExecStart pointed at the installed binary.
sed "s#^ExecStart=/usr/bin/stockroom#ExecStart=$root/usr/bin/stockroom#" "$root/lib/systemd/system/stockroom.service" \
    > /tmp/stockroom.service
systemd-analyze verify --man=no /tmp/stockroom.service || fail "systemd-analyze verify"
echo "  systemd-analyze verify on the installed unit: ok"

echo "== serve from the chroot as the package's user"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# As the unit runs it: the user, the config file, the environment; only the port differs.
chroot --userspec=stockroom:stockroom "$root" env HOME=/var/lib/stockroom STOCKROOM_CONFIG=/etc/stockroom/stockroom.json \
    STOCKROOM_LISTEN="127.0.0.1:$port" /usr/bin/stockroom serve >/tmp/stockroom-serve.log 2>&1 &
serve_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/healthz" || { cat /tmp/stockroom-serve.log; fail "serve did not answer"; }
echo
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || fail "/readyz"
scanner=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['scanner'])" "$root/var/lib/stockroom/credentials.json")
admin=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['admin'])" "$root/var/lib/stockroom/credentials.json")
curl -sf -X POST "http://127.0.0.1:$port/v1/items" -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d '{"sku":"TEA-1","name":"Tea","barcodes":["4006381333931"]}' >/dev/null || fail "item create"
for i in 1 2 3; do
    curl -sf -X POST "http://127.0.0.1:$port/v1/scans" -H "Authorization: Bearer $scanner" -H 'Content-Type: application/json' \
        -d "{\"id\":\"pkg-$i\",\"code\":\"4006381333931\",\"qty\":1,\"reason\":\"receive\"}" >/dev/null || fail "scan $i"
done
qty=$(curl -sf "http://127.0.0.1:$port/v1/stock/TEA-1" -H "Authorization: Bearer $admin" | python3 -c 'import json,sys; print(json.load(sys.stdin)["quantity"])')
[ "$qty" = 3 ] || fail "stock is $qty after 3 receipts"
echo "  3 scans over loopback: TEA-1 = $qty"
check_mode /var/lib/stockroom/stockroom.sqlite stockroom:stockroom 600
check_mode /var/lib/stockroom/credentials.json stockroom:stockroom 600
kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=

echo "== upgrade: the operator's config edit survives"
sed -i 's/"log_level": "info"/"log_level": "notice"/' "$root/etc/stockroom/stockroom.json"
next="/tmp/stockroom_upgrade.deb"
STOCKROOM_DEB_VERSION="$version+test1" packaging/build-deb.sh >/dev/null
cp "dist/stockroom_${version}+test1_$(dpkg --print-architecture).deb" "$root$next"
DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -qq -o Dpkg::Options::=--force-confold "$next" >/tmp/stockroom-apt2.log 2>&1 \
    || { tail -20 /tmp/stockroom-apt2.log; exit 1; }
in_root dpkg-query -W -f='${Version}\n' stockroom | grep -qx "$version+test1" || fail "upgrade did not install"
grep -q '"log_level": "notice"' "$root/etc/stockroom/stockroom.json" || fail "the config edit was overwritten"
chroot --userspec=stockroom:stockroom "$root" /usr/bin/stockroom check --data /var/lib/stockroom >/dev/null \
    || fail "stockroom check (as the service user) after upgrade"
echo "  upgraded to $version+test1; config kept; stockroom check clean"
rm -f "dist/stockroom_${version}+test1_"*.deb

echo "== purge"
DEBIAN_FRONTEND=noninteractive in_root apt-get purge -y -qq stockroom >/tmp/stockroom-purge.log 2>&1 || { cat /tmp/stockroom-purge.log; exit 1; }
grep "kept /var/lib/stockroom" /tmp/stockroom-purge.log || fail "purge did not say it kept the data folder"
for gone in /usr/bin/stockroom /etc/stockroom /lib/systemd/system/stockroom.service /usr/share/stockroom \
    /etc/systemd/system/multi-user.target.wants/stockroom.service /usr/share/doc/stockroom; do
    in_root test ! -e "$gone" || fail "$gone is left after purge"
done
in_root test -f /var/lib/stockroom/stockroom.sqlite || fail "purge deleted the node's database"
(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./var/cache -o -path ./var/lib/apt -o -path ./var/log -o -path ./tmp -o -path ./var/lib/dpkg \) -prune -o -print | sort) > /tmp/stockroom-files-after.txt
echo "  left after purge, besides what apt pulled in and its caches:"
comm -13 /tmp/stockroom-files-before.txt /tmp/stockroom-files-after.txt | grep -E 'stockroom' | sed 's/^/    /'
unexpected=$(comm -13 /tmp/stockroom-files-before.txt /tmp/stockroom-files-after.txt | grep stockroom | grep -v '^\./var/lib/stockroom' || true)
[ -z "$unexpected" ] || fail "left after purge: $unexpected"
echo "package-test: OK"
