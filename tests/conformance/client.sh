#!/usr/bin/env bash
# The conformance suite's client command: tests/conformance/client.sh <server-url>
# Runs the project's own Client (and OAuth layer) from the compiled sidecar in dist/, on the project's
# pinned Node (node_modules/.bin/node; the suite itself runs on the Node 22 of tests/conformance).
here="$(cd "$(dirname "$0")" && pwd)"
# The client metadata document URL (SEP-991) the suite's authorization servers expect as client_id.
export MCP_CLIENT_METADATA_URL="${MCP_CLIENT_METADATA_URL:-https://conformance-test.local/client-metadata.json}"
exec "$here/../../node_modules/.bin/node" "$here/../../dist/server/cli/conformance-client.js" "$@"
