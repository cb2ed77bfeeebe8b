# mattermost-mcp: `make run` starts the sidecar with a demo MCP server; `make test` runs every test.
SHELL := /bin/bash
PLUGIN_ID := $(shell node -p "require('./plugin.json').id" 2>/dev/null || echo mattermost-mcp)
PLUGIN_VERSION := $(shell node -p "require('./plugin.json').version" 2>/dev/null || echo 0.0.0)
export npm_config_nodedir ?= /usr

.PHONY: help install build run test test-node test-shim test-conformance test-slow typecheck check-style bench dist clean

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

test-node: install ## Jest suites (real MCP servers, stores, authorization server, browser)
	npm test --silent -- --ci

test-shim: ## The Go shim's tests (plugintest + httptest)
	@if [ -f server/shim/go.mod ]; then cd server/shim && go vet ./... && go test ./...; else echo "no Go shim yet"; fi

# Client scenarios of the MCP conformance suite (auth scenarios join when the OAuth layer lands).
CONFORMANCE_SCENARIOS ?= initialize tools_call elicitation-sep1034-client-defaults sse-retry
test-conformance: build ## The MCP conformance suite's client scenarios against tests/conformance/client.sh
	tests/conformance/run.sh $(CONFORMANCE_SCENARIOS)

test: typecheck test-node test-shim test-conformance ## Everything CI runs

test-slow: install ## Long fault and load suites (over a minute)
	npm test --silent -- --ci --testPathIgnorePatterns=/node_modules/ tests/slow

check-style: typecheck ## Static checks

bench: build ## Benchmarks; results in docs/benchmarks.md
	@if [ -f bench/run.ts ]; then node --experimental-strip-types bench/run.ts; else echo "no benchmarks yet"; fi

clean: ## Remove build output
	rm -rf dist webapp/dist server/shim/dist
