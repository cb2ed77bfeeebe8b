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
# Scenarios run four at a time; each gets its own servers on loopback ports.
run_one() {
  local scenario="$1" out="results/${1//\//_}"
  if "${suite[@]}" client --command "$here/client.sh" --scenario "$scenario" -o "$out" >"$out.log" 2>&1; then
    echo "conformance: pass $scenario"
  else
    echo "conformance: FAIL $scenario (see tests/conformance/$out.log)"
  fi
}
export -f run_one
export here
export SUITE="${suite[*]}"
printf '%s\n' "${scenarios[@]}" | xargs -P 4 -I{} bash -c 'suite=($SUITE); run_one "$@"' _ {} | tee results/summary.txt
passed=$(grep -c '^conformance: pass' results/summary.txt || true)
failed=$(grep -c '^conformance: FAIL' results/summary.txt || true)
echo "conformance: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
