#!/usr/bin/env bash
# Builds the stand-in Agents plugin (main.go beside this script) as a Mattermost plugin bundle for
# linux-amd64 and prints the path of the .tar.gz. The plugin id is the first argument: `mattermost-ai`
# (default) stands in for the Agents plugin; any other id (e.g. `stand-in-untrusted`) gives the same
# code as a plugin the MCP endpoint must refuse. Bundles are kept in a cache directory outside the
# clone, like the e2e Mattermost build, and reused while the inputs and the Go version are unchanged.
#   MCP_E2E_CACHE  where builds are kept (default: $HOME/.cache/mattermost-mcp-e2e)
set -euo pipefail

id="${1:-mattermost-ai}"
[[ "$id" =~ ^[a-zA-Z0-9._-]{3,190}$ ]] || { echo "plugin id '$id': letters, digits, '.', '_' and '-' only" >&2; exit 1; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${MCP_E2E_CACHE:-$HOME/.cache/mattermost-mcp-e2e}"
key="$( { echo "$id"; cat "$here/go.mod" "$here/go.sum" "$here"/*.go "$here/build.sh"; go env GOVERSION; } | sha256sum | cut -c1-12)"
out="$cache/agents-stand-in-$id-$key.tar.gz"

if [[ -f "$out" ]]; then
  echo "stand-in $id: reusing $out" >&2
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "Go is not installed: the end-to-end suite builds the stand-in Agents plugin (install Go 1.25 or newer)" >&2; exit 1; }
started=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/agents-stand-in.XXXXXX")"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/$id/server" "$cache"
(cd "$here" && CGO_ENABLED=0 GOOS=linux GOARCH=amd64 GOTOOLCHAIN=local \
  go build -trimpath -ldflags "-s -w -X main.pluginID=$id" -o "$work/$id/server/plugin-linux-amd64" . >&2)
cat >"$work/$id/plugin.json" <<JSON
{
  "id": "$id",
  "name": "Agents stand-in ($id)",
  "description": "End-to-end test plugin: the Agents plugin's MCP bridge routes and client, nothing else.",
  "version": "0.0.1",
  "min_server_version": "9.11.0",
  "server": { "executables": { "linux-amd64": "server/plugin-linux-amd64" } }
}
JSON
tar -czf "$out.part" -C "$work" "$id"
mv "$out.part" "$out"
echo "stand-in $id: built in $((SECONDS - started)) s at $out" >&2
echo "$out"
