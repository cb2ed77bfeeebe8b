#!/usr/bin/env bash
# Runs the MCP conformance suite's client scenarios against tests/conformance/client.sh.
# usage: tests/conformance/run.sh [scenario ...]   (default: every non-extension client scenario)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
# The suite needs Node >= 22: the pinned `node` package brings one from the npm registry.
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.installed ]; then
  npm ci --no-audit --no-fund >/dev/null
  touch node_modules/.installed
fi
suite=(node_modules/.bin/node -r "$here/../support/loopback-preload.cjs" node_modules/@modelcontextprotocol/conformance/dist/index.js)
if [ "$#" -gt 0 ]; then
  scenarios=("$@")
else
  mapfile -t scenarios < <(node_modules/.bin/node node_modules/@modelcontextprotocol/conformance/dist/index.js list \
    | sed -n '/^Client scenarios/,$p' | grep -v '\[extension\]' | sed -n 's/^  - \([^ ]*\).*/\1/p')
fi
rm -rf results && mkdir -p results
passed=0
failed=0
failures=()
for scenario in "${scenarios[@]}"; do
  out="results/${scenario//\//_}"
  if "${suite[@]}" client --command "$here/client.sh" --scenario "$scenario" -o "$out" >"$out.log" 2>&1; then
    passed=$((passed + 1))
    echo "conformance: pass $scenario"
  else
    failed=$((failed + 1))
    failures+=("$scenario")
    echo "conformance: FAIL $scenario (see tests/conformance/$out.log)"
  fi
done
echo "conformance: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
