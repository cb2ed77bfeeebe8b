# mattermost-mcp: `make run` starts the sidecar with a demo MCP server; `make test` runs every test.
SHELL := /bin/bash
PLUGIN_ID := $(shell node -p "require('./plugin.json').id" 2>/dev/null || echo mattermost-mcp)
PLUGIN_VERSION := $(shell node -p "require('./plugin.json').version" 2>/dev/null || echo 0.0.0)
export npm_config_nodedir ?= /usr

.PHONY: help install build run test test-node test-shim test-conformance test-slow typecheck check-style bench webapp dist test-dist clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.installed ## Install the pinned npm dependencies

build: install ## Compile the sidecar to dist/
	npm run --silent build

run: build ## Start the sidecar on 127.0.0.1:8787 with a demo MCP server (secret: dev-secret-change-me)
	MCP_SIDECAR_SECRET=$${MCP_SIDECAR_SECRET:-dev-secret-change-me} MCP_SIDECAR_LISTEN=$${MCP_SIDECAR_LISTEN:-127.0.0.1:8787} node dist/server/main.js --demo

typecheck: install ## Type-check everything (strict)
	npx tsc -p tsconfig.json --noEmit

test-node: build ## Jest suites (real MCP servers, stores, authorization server, browser; tests/replicas runs dist/)
	npm test --silent -- --ci

test-shim: ## The Go shim's tests (plugintest + httptest)
	@if [ -f server/shim/go.mod ]; then cd server/shim && go vet ./... && go test ./...; else echo "no Go shim yet"; fi

# Every non-extension client scenario of the MCP conformance suite (set CONFORMANCE_SCENARIOS to run some).
CONFORMANCE_SCENARIOS ?=
test-conformance: build ## The MCP conformance suite's client scenarios against tests/conformance/client.sh
	tests/conformance/run.sh $(CONFORMANCE_SCENARIOS)

test: typecheck test-node test-shim test-conformance test-dist ## Everything CI runs

test-slow: install ## Long fault and load suites (over a minute)
	npm test --silent -- --ci tests/slow --testPathIgnorePatterns /node_modules/

check-style: typecheck ## Static checks

bench: build ## Benchmarks (own MCP servers on 127.0.0.1, real stores; 15–25 minutes); results in docs/benchmarks.md
	npx tsc -p tsconfig.bench.json
	node dist/bench/run.js

webapp: install ## Build the webapp bundle webapp/dist/main.js (esbuild; React and Redux come from Mattermost)
	node webapp/build.mjs

# The plugin bundle: one top-level folder <id>/ with plugin.json, the Go shim for linux-amd64 and
# linux-arm64, the sidecar (one esbuild file + the storage packages it cannot bundle), the webapp, assets.
DIST_DIR ?= dist
BUNDLE_ROOT := $(DIST_DIR)/bundle
BUNDLE_DIR := $(BUNDLE_ROOT)/$(PLUGIN_ID)
BUNDLE := $(DIST_DIR)/$(PLUGIN_ID)-$(PLUGIN_VERSION).tar.gz
SHIM_ARCHS := amd64 arm64

dist: install webapp ## Build the plugin bundle dist/<id>-<version>.tar.gz
	@test -f plugin.json || { echo "plugin.json is missing: the bundle needs the plugin manifest"; exit 1; }
	rm -rf $(BUNDLE_ROOT) && mkdir -p $(BUNDLE_DIR)/server/dist $(BUNDLE_DIR)/webapp/dist
	@if [ -f server/shim/go.mod ]; then \
	  for arch in $(SHIM_ARCHS); do \
	    echo "go build server/shim for linux-$$arch"; \
	    (cd server/shim && CGO_ENABLED=0 GOOS=linux GOARCH=$$arch go build -ldflags '-s -w' -o $(abspath $(BUNDLE_DIR))/server/dist/plugin-linux-$$arch .) || exit 1; \
	  done; \
	else echo "no Go shim (server/shim/go.mod): the bundle has no server executables"; fi
	node server/build.mjs $(BUNDLE_DIR)/server/dist/sidecar
	cp webapp/dist/main.js $(BUNDLE_DIR)/webapp/dist/main.js
	cp plugin.json $(BUNDLE_DIR)/plugin.json
	cp -R assets $(BUNDLE_DIR)/assets
	tar -C $(BUNDLE_ROOT) --sort=name --owner=0 --group=0 --numeric-owner -czf $(BUNDLE) $(PLUGIN_ID)
	@echo "$(BUNDLE): $$(du -h $(BUNDLE) | cut -f1) ($$(du -sh $(BUNDLE_DIR) | cut -f1) unpacked)"

test-dist: ## Build the bundle and check it from the tarball (layout, shim binaries, the sidecar running from it)
	@if [ ! -f plugin.json ]; then echo "no plugin.json yet: skipping the bundle check"; \
	elif ! command -v go >/dev/null; then echo "Go is not installed: skipping the bundle check (the bundle needs the shim)"; \
	else $(MAKE) --no-print-directory dist && MCP_BUNDLE=$(abspath $(BUNDLE)) npm test --silent -- --ci tests/dist; fi

clean: ## Remove build output
	rm -rf dist webapp/dist server/shim/dist
