package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattermost/mattermost/server/public/model"
)

// maxSocketPath keeps socket paths under the smallest sun_path limit (104 bytes on BSD/macOS,
// 108 on Linux).
const maxSocketPath = 100

// pluginDirs are the places the shim and the sidecar use on disk.
type pluginDirs struct {
	bundle        string // the unpacked bundle: replaced on every upgrade and server restart
	sidecarSocket string
	shimSocket    string
	data          string // survives restarts when Mattermost stores files locally
	tempDir       string // set when the sockets live in a private temporary directory
}

// pluginDirs puts the sockets in the bundle directory (or a private temporary directory when that
// path is too long for a socket), and the default SQLite store where it survives restarts.
func (p *Plugin) pluginDirs() (pluginDirs, error) {
	bundle, err := p.API.GetBundlePath()
	if err != nil {
		return pluginDirs{}, fmt.Errorf("find the plugin bundle: %w", err)
	}
	socketDir, tempDir := bundle, ""
	if len(filepath.Join(socketDir, "sidecar.sock")) > maxSocketPath {
		if tempDir, err = os.MkdirTemp("", "mattermost-mcp-"); err != nil {
			return pluginDirs{}, fmt.Errorf("make a directory for the sidecar sockets: %w", err)
		}
		socketDir = tempDir
	}
	dirs := pluginDirs{
		bundle:        bundle,
		tempDir:       tempDir,
		sidecarSocket: filepath.Join(socketDir, "sidecar.sock"),
		shimSocket:    filepath.Join(socketDir, "shim.sock"),
		data:          p.dataDir(bundle),
	}
	return dirs, nil
}

// dataDir is `<FileSettings.Directory>/mattermost-mcp` when files are stored locally. Mattermost
// deletes and re-extracts the bundle directory at every start (SyncPlugins), so a store kept there
// would lose every token; the bundle is only the fallback (S3 file storage), with a warning.
func (p *Plugin) dataDir(bundle string) string {
	cfg := p.API.GetConfig()
	if cfg != nil && cfg.FileSettings.DriverName != nil && *cfg.FileSettings.DriverName == model.ImageDriverLocal &&
		cfg.FileSettings.Directory != nil && *cfg.FileSettings.Directory != "" {
		dir, err := filepath.Abs(filepath.Join(*cfg.FileSettings.Directory, pluginID))
		if err == nil && os.MkdirAll(dir, 0o700) == nil {
			return dir
		}
	}
	return bundle
}

// processCommand is what exec runs.
type processCommand struct {
	runtime nodeRuntime
	args    []string
	env     []string
}

// sidecarRuntime is the Node that runs the sidecar: the NodePath setting when set (a bare name is
// looked up on the server's PATH), else the plugin's default, the bundled runtime. A relative path
// is relative to the bundle.
func (p *Plugin) sidecarRuntime(dirs pluginDirs, settings pluginSettings) nodeRuntime {
	r := nodeRuntime{path: p.nodePath}
	if named := settings.text(settingNodePath); named != "" {
		r = nodeRuntime{path: named, setting: true}
	}
	if strings.ContainsRune(r.path, filepath.Separator) && !filepath.IsAbs(r.path) {
		r.path = filepath.Join(dirs.bundle, r.path)
	}
	return r
}

// sidecarCommand is `<bundled node> <entry>` with the environment of docs/sidecar-protocol.md. Without
// a bot token, MCP_MATTERMOST_TOKEN is left out.
func (p *Plugin) sidecarCommand(dirs pluginDirs, secret string, token *model.UserAccessToken) processCommand {
	entry := p.sidecarEntry
	if !filepath.IsAbs(entry) {
		entry = filepath.Join(dirs.bundle, entry)
	}
	settings := p.currentSettings()
	storeURL := settings.text(settingStoreURL)
	if storeURL == "" {
		if dirs.data == dirs.bundle {
			p.API.LogWarn("MCP tokens are kept in the plugin directory, which Mattermost replaces at every restart: set StoreURL to keep them")
		}
		storeURL = "sqlite://" + filepath.Join(dirs.data, "mcp.sqlite")
	}
	siteURL := ""
	if cfg := p.API.GetConfig(); cfg != nil && cfg.ServiceSettings.SiteURL != nil {
		siteURL = *cfg.ServiceSettings.SiteURL
	}
	env := append(inheritedEnv(os.Environ()),
		"MCP_SIDECAR_SECRET="+secret,
		"MCP_SIDECAR_LISTEN=unix:"+dirs.sidecarSocket,
		"MCP_SHIM_URL=unix:"+dirs.shimSocket,
		"MCP_PLUGIN_ID="+pluginID,
		"MCP_SITE_URL="+siteURL,
		"MCP_STORE_URL="+storeURL,
		"MCP_LOG_LEVEL=info",
		"MCP_MATTERMOST_URL="+siteURL,
	)
	if token != nil {
		env = append(env, "MCP_MATTERMOST_TOKEN="+token.Token)
	}
	if _, set := os.LookupEnv("MALLOC_ARENA_MAX"); !set {
		// glibc gives every thread that allocates (libuv's pool, V8's) an arena of its own that it rarely hands
		// back; two arenas cut the sidecar's RSS under many users by about a tenth (docs/benchmarks.md).
		env = append(env, "MALLOC_ARENA_MAX="+sidecarMallocArenas)
	}
	return processCommand{runtime: p.sidecarRuntime(dirs, settings), args: []string{sidecarYoungGeneration, entry}, env: env}
}

// sidecarYoungGeneration caps V8's semi-spaces at Node 20's 16 MiB: Node 24 grows them to 64 MiB each without
// pointer compression, about 100 MiB more RSS under many users for no measurable CPU saved (bench/notes.md).
const sidecarYoungGeneration = "--max-semi-space-size=16"

// sidecarMallocArenas is the sidecar's MALLOC_ARENA_MAX unless the server's environment sets one.
const sidecarMallocArenas = "2"

// inheritedEnv drops what the server's environment must not hand the sidecar: Mattermost's own
// settings (MM_*, which may hold database passwords), go-plugin's handshake variables, and any
// MCP_* the contract sets itself.
func inheritedEnv(environ []string) []string {
	kept := make([]string, 0, len(environ))
	for _, entry := range environ {
		name, _, _ := strings.Cut(entry, "=")
		upper := strings.ToUpper(name)
		if strings.HasPrefix(upper, "MM_") || strings.HasPrefix(upper, "MATTERMOST_") ||
			strings.HasPrefix(upper, "PLUGIN_") || strings.HasPrefix(upper, "MCP_") {
			continue
		}
		kept = append(kept, entry)
	}
	return kept
}
