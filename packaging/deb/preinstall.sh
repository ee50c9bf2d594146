#!/bin/sh
# Creates the system user the service runs as.
set -e
getent group stockroom >/dev/null || groupadd --system stockroom
getent passwd stockroom >/dev/null || useradd --system --gid stockroom --home-dir /var/lib/stockroom --shell /usr/sbin/nologin stockroom
