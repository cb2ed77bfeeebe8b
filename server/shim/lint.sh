#!/usr/bin/env bash
# Lints the Go shim with a pinned golangci-lint (config: .golangci.yml beside this script).
# The binary is built once from the Go module proxy into a per-version cache dir outside the repo,
# so a fresh clone needs only Go; later runs reuse it. Prints nothing when the code is clean.
set -euo pipefail

version=v2.15.0 # needs Go >= 1.26 to build (its go.mod says so)
tool_dir="${XDG_CACHE_HOME:-$HOME/.cache}/mattermost-mcp-tools/golangci-lint-$version"
bin="$tool_dir/golangci-lint"

cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ ! -x $bin ]]; then
	echo "lint.sh: building golangci-lint $version into $tool_dir (first run only)" >&2
	mkdir -p "$tool_dir"
	# Build into a private dir and rename, so a concurrent or interrupted run never leaves a half-written binary.
	staging="$(mktemp -d "$tool_dir/.build.XXXXXX")"
	trap 'rm -rf "$staging"' EXIT
	start=$SECONDS
	# Quiet unless it fails: go install lists every module it downloads.
	if ! log="$(GOBIN="$staging" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version" 2>&1)"; then
		printf '%s\n' "$log" >&2
		exit 1
	fi
	mv -f "$staging/golangci-lint" "$bin"
	rm -rf "$staging"
	trap - EXIT
	echo "lint.sh: built golangci-lint $version in $((SECONDS - start)) s" >&2
fi

exec "$bin" run ./...
