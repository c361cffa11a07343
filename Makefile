# Tessera: every target checks (and, as root, installs) the system packages it needs first.
SWIFT ?= swift
# Warnings fail the build of the tests (and so CI).
STRICT := -Xswiftc -warnings-as-errors
# ca-certificates: the trust roots AsyncHTTPClient (NIOSSL) reads to reach social login providers over HTTPS.
# fuse3: fusermount3 and libfuse3, for the power-loss test's file system (Tests/PowerLoss).
# chromium, chromium-driver: the real browser the page tests drive with Selenium (never a downloaded driver).
SYSTEM_PACKAGES := liburing-dev pkg-config ca-certificates fuse3 chromium chromium-driver postgresql
export PATH := $(PATH):/opt/swift/usr/bin

.PHONY: deps build serve test lint format release bench-wal clean

## deps: make sure liburing's headers and pkg-config are present (apt-get install them when root).
deps:
	@missing=""; \
	for package in $(SYSTEM_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			echo "installing:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "missing system packages:$$missing -- run: sudo apt-get install -y$$missing" >&2; exit 1; \
		fi; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "swift not found: install Swift 6.1 or newer" >&2; exit 1; }
	@python3 -c "import openapi_spec_validator" 2>/dev/null || python3 -m pip install --quiet openapi-spec-validator
	@python3 -c "import schemathesis" 2>/dev/null || python3 -m pip install --quiet schemathesis
	@python3 -c "import authlib, jwt, cryptography, requests" 2>/dev/null || python3 -m pip install --quiet authlib pyjwt cryptography requests
	@python3 -c "import mfusepy" 2>/dev/null || python3 -m pip install --quiet mfusepy
	@python3 -c "import mcp" 2>/dev/null || python3 -m pip install --quiet mcp
	@python3 -c "import selenium" 2>/dev/null || python3 -m pip install --quiet selenium
	@python3 -c "import oic" 2>/dev/null || python3 -m pip install --quiet oic

## serve: an optimized build, then the service on http://127.0.0.1:8000 with its data in ./tessera-data.
serve: deps
	$(SWIFT) run -c release tessera serve

## build: a debug build of everything.
build: deps
	$(SWIFT) build

## test: the code is formatted (lint), every target imports exactly what Package.swift declares
## (scripts/check-imports.py), then
## the whole test suite (both log devices, real file system, crash tests with SIGKILL), then
## schemathesis against the real server with 50 examples per operation (scripts/fuzz-api.py), then power
## cuts under load on a file system that drops what was not made durable (Tests/PowerLoss/power_loss.py), then
## three cluster nodes and a private PostgreSQL through crashes, a pause, the database down and a sign-out
## (Tests/Cluster/cluster_nodes.py).
test: deps lint
	python3 scripts/check-imports.py
	$(SWIFT) test $(STRICT)
	python3 scripts/fuzz-api.py --binary "$$($(SWIFT) build --show-bin-path)/tessera" --examples 50
	python3 Tests/PowerLoss/power_loss.py --binary "$$($(SWIFT) build --show-bin-path)/tessera"
	python3 Tests/Cluster/cluster_nodes.py --binary "$$($(SWIFT) build --show-bin-path)/tessera"

## lint: the code as swift-format (from the toolchain) and .swift-format want it; `make format` rewrites it so.
lint:
	swift-format lint --strict --recursive --parallel Sources Tests Package.swift Benchmarks/Package.swift Benchmarks/Benchmarks

format:
	swift-format format --in-place --recursive --parallel Sources Tests Package.swift Benchmarks/Package.swift Benchmarks/Benchmarks

## release: an optimized build of the tessera and Bench executables.
release: deps
	$(SWIFT) build -c release

## bench-wal: the WAL group-commit benchmark against a raw pwrite+fdatasync loop.
bench-wal: deps
	$(SWIFT) run -c release Bench wal

clean:
	rm -rf .build
