#!/bin/sh
# The monitoring end-to-end test (Tests/Monitoring/monitoring_test.py): a real Prometheus
# scraping a real hub (HTTPS, op log on a private PostgreSQL) and two stores. `make test`
# runs it.   Tests/Monitoring/run.sh [BINARY]
set -eu
cd "$(dirname "$0")/../.."
exec Tests/Postgres/with-postgres.sh python3 Tests/Monitoring/monitoring_test.py "$@"
