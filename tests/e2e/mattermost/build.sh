#!/usr/bin/env bash
# Builds the pinned Mattermost team edition (go.mod and main.go beside this script) into a cache
# directory outside the clone and prints the directory holding `mattermost`, `i18n`, `templates`
# and `fonts`. A build whose inputs (go.mod, go.sum, main.go, the Go version) are unchanged is reused.
#   MCP_E2E_CACHE  where builds are kept (default: $HOME/.cache/mattermost-mcp-e2e)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${MCP_E2E_CACHE:-$HOME/.cache/mattermost-mcp-e2e}"
version="$(sed -nE 's|^(require )?\s*github.com/mattermost/mattermost/server/v8 (\S+)$|\2|p' "$here/go.mod")"
key="$( { cat "$here/go.mod" "$here/go.sum" "$here/main.go"; go env GOVERSION GOOS GOARCH; } | sha256sum | cut -c1-12)"
out="$cache/mattermost-$version-$key"

if [[ -x "$out/mattermost" && -f "$out/.complete" ]]; then
  echo "Mattermost $version: reusing $out" >&2
  touch "$out" # last used: see the clean-up below
  echo "$out"
  exit 0
fi

command -v go >/dev/null || { echo "Go is not installed: the end-to-end suite builds Mattermost from the Go module proxy (install Go 1.24 or newer)" >&2; exit 1; }
started=$SECONDS
echo "Mattermost $version: building into $out (cold: 5-7 minutes on 2 cores; warm Go caches: under one)" >&2
work="$out.build"
rm -rf "$work" "$out" && mkdir -p "$work"
cp "$here/go.mod" "$here/main.go" "$work/"
cp "$here/go.sum" "$work/"
(cd "$work" && GOTOOLCHAIN=local go mod download >&2)
echo "  modules ready after $((SECONDS - started)) s" >&2
(cd "$work" && CGO_ENABLED=0 GOTOOLCHAIN=local go build -ldflags '-s -w' -o "$work/mattermost" . >&2)
echo "  built after $((SECONDS - started)) s" >&2

# Mattermost reads its translations, e-mail templates and fonts from its working directory: copy
# them from the module so the build survives a `go clean -modcache`.
moddir="$(cd "$work" && go list -m -f '{{.Dir}}' github.com/mattermost/mattermost/server/v8)"
for d in i18n templates fonts; do cp -R "$moddir/$d" "$work/$d"; chmod -R u+w "$work/$d"; done
touch "$work/.complete"
mv "$work" "$out"
# Builds of other pins (about 90 MiB each) go once no run has used them for a week.
find "$cache" -mindepth 1 -maxdepth 1 -name 'mattermost-*' ! -path "$out" -mtime +7 -exec rm -rf {} + 2>/dev/null || true
echo "Mattermost $version: ready in $((SECONDS - started)) s at $out" >&2
echo "$out"
