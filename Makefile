# Stockroom: the two commands are `make run` and `make test`. Both install the Debian
# packages they need when missing (root, or sudo).

SWIFT ?= swift
DATA ?= ./stockroom-data
LISTEN ?= 127.0.0.1:8080
SAMPLE_SCALE ?= 0.3
DEBIAN_PACKAGES := libsqlite3-dev zlib1g-dev libcurl4-openssl-dev python3
TEST_PACKAGES := curl procps faketime python3 python3-venv openssl chromium chromium-driver fonts-dejavu-core postgresql \
	prometheus systemd
PACKAGE_PACKAGES := dpkg-dev lintian debootstrap help2man binutils
RELEASE_BIN := .build/release/stockroom
# The Swift runtime and Foundation linked in: the binary needs only Debian's own libraries
# (what the .deb and the container ship), and idle RSS is ~3 MB lower (README "Benchmarks").
RELEASE_FLAGS := -c release --static-swift-stdlib

.PHONY: run test deps test-deps build release format lint bench soak fuzz clean ha-test package package-test

## Build in release mode and start an edge node (store-1) on $(LISTEN) with its data in
## $(DATA). On first start the sample catalogue (fixtures/catalog-10k.csv) is loaded with a
## 180-day history made by fixtures/generate_history.py (opening counts, sales, receipts,
## cycle counts, returns, damage and a little injected shrinkage), so reports, forecasts
## and the anomaly list have something to show. SAMPLE_SCALE scales its demand.
run: deps release
	@if [ ! -f "$(DATA)/stockroom.sqlite" ]; then \
		echo "first start: loading the sample catalogue and 180 days of its history into $(DATA)"; \
		$(RELEASE_BIN) import catalog fixtures/catalog-10k.csv --data "$(DATA)" --node store-1 && \
		python3 fixtures/generate_history.py --location store-1 --scale $(SAMPLE_SCALE) > "$(DATA)/sample-history.csv" && \
		$(RELEASE_BIN) import history "$(DATA)/sample-history.csv" --data "$(DATA)" && \
		rm -f "$(DATA)/sample-history.csv"; \
	fi
	exec $(RELEASE_BIN) serve --data "$(DATA)" --listen "$(LISTEN)"

## Install what the tests need, build everything and run the whole suite.
test: deps test-deps
	$(SWIFT) build --build-tests
	Tests/Postgres/with-postgres.sh $(SWIFT) test --skip-build
	Tests/API/schemathesis.sh
	Tests/Web/run.sh
	Tests/Notify/run.sh
	Tests/Fuzz/run.sh $(FUZZ_SECONDS_CI)
	Tests/Package/static_checks.sh
	Tests/Monitoring/run.sh

## libFuzzer fuzzers (address sanitizer) for FUZZ_SECONDS each; `make test` runs them for
## FUZZ_SECONDS_CI. See Tests/Fuzz/run.sh.
FUZZ_SECONDS ?= 600
FUZZ_SECONDS_CI ?= 30
fuzz:
	Tests/Fuzz/run.sh $(FUZZ_SECONDS)

## Issue #16, on demand (about 5 minutes): 3 etcd members, 3 PostgreSQL nodes under Patroni
## (synchronous_mode_strict), 2 hub processes and 20 stores on loopback; the primary is SIGKILLed
## 3 times under load. See Tests/HA/ha_test.py.
ha-test: build
	@./packaging/install-deps.sh postgresql etcd-server patroni python3
	python3 Tests/HA/ha_test.py .build/debug/stockroom --strict

## Issue #17: the Debian package, built by Debian's dpkg-deb from the release binary and
## packaging/ (dist/stockroom_VERSION_ARCH.deb).
package: deps release
	@./packaging/install-deps.sh $(PACKAGE_PACKAGES)
	packaging/build-deb.sh $(RELEASE_BIN)

## On demand (the release build, then about 2 minutes): lintian, then a clean Debian 12
## root by debootstrap, apt install of the .deb, serve and scan as the package's user, an
## upgrade that keeps an edited config, purge. See Tests/Package/package_test.sh.
package-test: package
	Tests/Package/package_test.sh dist/stockroom_$$($(RELEASE_BIN) --version | head -1)_$$(dpkg --print-architecture).deb

deps:
	@./packaging/install-deps.sh $(DEBIAN_PACKAGES)

test-deps:
	@./packaging/install-deps.sh $(TEST_PACKAGES)

build:
	$(SWIFT) build

release:
	$(SWIFT) build $(RELEASE_FLAGS) --product stockroom

## The benchmark suite (release build; Stockroom and its baselines in one run, one table,
## bench/results/results.json): see README "Benchmarks". SCENARIOS, ROUNDS and
## SECONDS_PER_RUN narrow or lengthen it.
bench: deps
	bench/run.sh

## The soak (not in CI): a hub and SOAK_STORES stores for SOAK_MINUTES with link faults and
## restarts; proves convergence, no loss, no duplicates; reports memory and fd growth.
SOAK_MINUTES ?= 30
SOAK_STORES ?= 20
soak: deps release
	Tests/Faults/soak.py --binary $(RELEASE_BIN) --minutes $(SOAK_MINUTES) --stores $(SOAK_STORES)

format:
	$(SWIFT) format -i -r --configuration .swift-format Sources Tests Package.swift

lint:
	$(SWIFT) format lint -r --configuration .swift-format Sources Tests Package.swift

clean:
	rm -rf .build
