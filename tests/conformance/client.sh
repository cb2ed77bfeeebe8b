#!/usr/bin/env bash
# The conformance suite's client command: tests/conformance/client.sh <server-url>
# Runs the project's own Client (and OAuth layer) from the compiled sidecar in dist/.
here="$(cd "$(dirname "$0")" && pwd)"
exec node "$here/../../dist/server/cli/conformance-client.js" "$@"
