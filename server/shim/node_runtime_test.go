package main

import (
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// activationError runs OnActivate in embedded mode with these settings and returns its error.
func activationError(t *testing.T, settings map[string]any) error {
	t.Helper()
	return activate(newHarness(t, settings))
}

func activate(h *harness) error {
	_ = h.plugin.OnConfigurationChange()
	return h.plugin.OnActivate()
}

// requireRuntimeAdvice checks that err says what went wrong and what the sidecar needs and what to do.
func requireRuntimeAdvice(t *testing.T, err error, problem ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("OnActivate succeeded")
	}
	platform := "linux-" + runtime.GOARCH
	for _, want := range append(problem,
		"start the MCP sidecar", "Node.js 24 or later built for "+platform, "glibc 2.28",
		"plugin bundle built for "+platform+" (mattermost-mcp-<version>-"+platform+".tar.gz)", "set NodePath", "set SidecarURL") {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
}

func writeExecutable(t *testing.T, name, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(shortTempDir(t), name)
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// elfHeaderFor is the 64-byte header of an ELF64 executable for machine, which is all the kernel reads
// before refusing another machine's program.
func elfHeaderFor(machine elf.Machine) string {
	header := make([]byte, 64)
	copy(header, elf.ELFMAG)
	header[elf.EI_CLASS], header[elf.EI_DATA], header[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)
	binary.LittleEndian.PutUint16(header[16:], uint16(elf.ET_EXEC))
	binary.LittleEndian.PutUint16(header[18:], uint16(machine))
	binary.LittleEndian.PutUint32(header[20:], uint32(elf.EV_CURRENT))
	return string(header)
}

func TestTheSidecarRunsOnTheBundledNodeUnlessNodePathNamesAnother(t *testing.T) {
	t.Run("the default is the bundle's server/dist/node/bin/node", func(t *testing.T) {
		h := newHarness(t, map[string]any{})
		requireRuntimeAdvice(t, activate(h), "the bundled Node.js runtime ("+filepath.Join(h.bundle, "server", "dist", "node", "bin", "node")+") does not exist")
	})
	t.Run("make dist puts the runtime where the shim looks", func(t *testing.T) {
		script, err := os.ReadFile("../platform-bundle.mjs")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(script), "export const RUNTIME_DIR = '"+filepath.Dir(filepath.Dir(bundledRuntime))+"';") {
			t.Fatalf("server/platform-bundle.mjs does not put bin/node under %s", filepath.Dir(filepath.Dir(bundledRuntime)))
		}
	})
	t.Run("NodePath names another, and the sidecar starts on it", func(t *testing.T) {
		h, _ := embeddedHarness(t, map[string]any{})
		exe := h.plugin.nodePath
		h.plugin.nodePath = filepath.Join(shortTempDir(t), "not-this-one")
		h.setSettings(map[string]any{"nodepath": exe})
		h.activate()
		if got := h.plugin.activeRun().process.current.cmd.Path; got != exe {
			t.Fatalf("started %s, want NodePath's %s", got, exe)
		}
	})
	t.Run("NodePath with a missing file says so", func(t *testing.T) {
		missing := filepath.Join(shortTempDir(t), "node-24", "bin", "node")
		requireRuntimeAdvice(t, activationError(t, map[string]any{"nodepath": missing}), "the Node.js runtime NodePath names ("+missing+") does not exist")
	})
}

func TestAnActivationWhoseNodeCannotRunTheSidecarSaysWhatIsNeeded(t *testing.T) {
	t.Run("not executable", func(t *testing.T) {
		node := writeExecutable(t, "node", "#!/bin/sh\nexit 0\n", 0o644)
		requireRuntimeAdvice(t, activationError(t, map[string]any{"nodepath": node}), "("+node+") is not executable (mode -rw-r--r--)")
	})
	t.Run("built for another platform", func(t *testing.T) {
		other, otherName := elf.EM_AARCH64, "linux-arm64"
		if runtime.GOARCH == "arm64" {
			other, otherName = elf.EM_X86_64, "linux-amd64"
		}
		node := writeExecutable(t, "node", elfHeaderFor(other), 0o755)
		requireRuntimeAdvice(t, activationError(t, map[string]any{"nodepath": node}),
			"exec format error", "it is built for "+otherName+", this server is linux-"+runtime.GOARCH)
	})
	t.Run("its program loader is missing", func(t *testing.T) {
		node := writeExecutable(t, "node", "#!/lib/ld-musl-none.so.1\n", 0o755)
		requireRuntimeAdvice(t, activationError(t, map[string]any{"nodepath": node}), "("+node+") cannot be started: the program loader it names is missing here")
	})
	t.Run("the C library is too old (the loader's message)", func(t *testing.T) {
		loader := "/opt/node/bin/node: /lib64/libc.so.6: version `GLIBC_2.28' not found (required by /opt/node/bin/node)"
		node := writeExecutable(t, "node", "#!/bin/sh\ncat >&2 <<'EOF'\n"+loader+"\nEOF\nexit 1\n", 0o755)
		requireRuntimeAdvice(t, activationError(t, map[string]any{"nodepath": node}), "cannot run on this system's C library", "GLIBC_2.28' not found")
	})
	t.Run("too old a Node", func(t *testing.T) {
		node := writeExecutable(t, "node", `#!/bin/sh
if [ "$1" = --version ]; then echo v20.19.0; exit 0; fi
echo "Error [ERR_UNKNOWN_BUILTIN_MODULE]: No such built-in module: node:sqlite" >&2
exit 1
`, 0o755)
		requireRuntimeAdvice(t, activationError(t, map[string]any{"nodepath": node}), "is Node.js v20.19.0, too old")
	})
	t.Run("this machine's own older node, if it has one", func(t *testing.T) {
		node, err := exec.LookPath("node")
		if err != nil {
			t.Skip("no node on PATH")
		}
		version, ok := nodeVersion(node)
		if !ok || version.major >= minNodeMajor {
			t.Skipf("%s is not older than Node %d", node, minNodeMajor)
		}
		// It cannot find the sidecar in the test's empty bundle and exits; the shim then asks its version.
		requireRuntimeAdvice(t, activationError(t, map[string]any{"nodepath": node}), "is Node.js "+version.text+", too old")
	})
	t.Run("a sidecar that fails for another reason keeps its own exit", func(t *testing.T) {
		node := writeExecutable(t, "node", "#!/bin/sh\n[ \"$1\" = --version ] && { echo v24.22.3; exit 0; }\necho 'Cannot find module' >&2\nexit 7\n", 0o755)
		err := activationError(t, map[string]any{"nodepath": node})
		if err == nil || !strings.Contains(err.Error(), "exit status 7") || strings.Contains(err.Error(), "Node.js 24 or later") {
			t.Fatalf("got %v", err)
		}
	})
}
