#!/bin/sh
# The notification end-to-end tests (Tests/Notify/notify_test.py) in a virtualenv under
# .build/ with aiosmtpd (PyPI, pinned). `make test` runs it.
#
#   Tests/Notify/run.sh [BINARY]          # default .build/debug/stockroom
#   NOTIFY_TESTS=test_flapping_gives_one_message_per_episode Tests/Notify/run.sh
set -eu
cd "$(dirname "$0")/../.."
VENV=.build/notify-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import aiosmtpd" 2>/dev/null; then
    echo "notify tests: installing aiosmtpd 1.4.6 into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "aiosmtpd==1.4.6"
fi
exec "$VENV/bin/python" Tests/Notify/notify_test.py "$@"
