# Saker's build. `make help` lists the targets.
.DELETE_ON_ERROR:
SHELL := /bin/bash
Q := $(if $(V),,@)

SHARED ?= ../shared
TS_SOURCES := $(shell find src test bench -name '*.ts' 2>/dev/null) tsconfig.json package.json scripts/bundle.mjs

.PHONY: help deps build driver run test bench clean

help: ## show this list
	$(Q)grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

deps: node_modules/.installed ## install what is missing (apt packages, npm dependencies)

node_modules/.installed: package.json package-lock.json scripts/install-deps.sh
	$(Q)bash scripts/install-deps.sh
	$(Q)npm ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

build: dist/.built driver ## compile the TypeScript sources and the eBPF driver; bin/saker is then the CLI

dist/.built: node_modules/.installed $(TS_SOURCES)
	@echo "  TSC     dist/"
	$(Q)rm -rf dist && npx tsc -p tsconfig.json
	@echo "  BUNDLE  dist/saker.cjs"
	$(Q)node scripts/bundle.mjs
	$(Q)touch $@

driver: node_modules/.installed ## build the eBPF probe and its Node-API addon (driver/build)
	$(Q)$(MAKE) --no-print-directory -C driver $(if $(V),V=1)

run: build ## start Saker live on this host with its default rules, alerts on stdout
	$(Q)bin/saker -c config/saker.yaml

test: build ## run every test (unit, conformance when ../shared is present)
	$(Q)SAKER_SHARED=$(SHARED) bash scripts/test.sh

bench: build ## run the benchmarks under bench/
	$(Q)for b in $$(find dist/bench -name '*.bench.js' | sort); do echo "== $$b"; node "$$b" || exit 1; done

clean: ## remove build output
	$(Q)rm -rf dist
	$(Q)$(MAKE) --no-print-directory -C driver clean
