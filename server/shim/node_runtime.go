package main

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The runtime the sidecar needs: the bundle's own (make dist puts the official Node for its platform
// there), or the one the NodePath setting names.
const (
	bundledRuntime = "server/dist/node/bin/node" // relative to the bundle
	minNodeMajor   = 24
	// minGlibc is what the official Node 24 Linux builds need (the newest GLIBC_ symbol version they
	// reference; they are built on RHEL 8).
	minGlibc = "2.28"
)

// nodeRuntime is the program that runs the sidecar and where its path came from, for messages.
type nodeRuntime struct {
	path    string
	setting bool // named by the NodePath setting, not the bundle's default
}

func (r nodeRuntime) String() string {
	if r.setting {
		return "the Node.js runtime NodePath names (" + r.path + ")"
	}
	return "the bundled Node.js runtime (" + r.path + ")"
}

// runtimeError says why the runtime cannot run the sidecar, what the sidecar needs and what to do.
type runtimeError struct {
	problem string
	cause   error
}

func (e *runtimeError) Error() string {
	platform := "linux-" + runtime.GOARCH
	return fmt.Sprintf("%s. The MCP sidecar needs Node.js %d or later built for %s (the official build needs glibc %s or later). "+
		"Install the plugin bundle built for %s (%s-<version>-%s.tar.gz), which carries one; or set NodePath in the plugin settings "+
		"to such a node executable; or run the sidecar on another host and set SidecarURL",
		e.problem, minNodeMajor, platform, minGlibc, platform, pluginID, platform)
}

func (e *runtimeError) Unwrap() error { return e.cause }

// startFailure explains an exec that failed before the runtime ran any code.
func startFailure(r nodeRuntime, err error) error {
	info, statErr := os.Stat(r.path)
	switch {
	case errors.Is(err, exec.ErrNotFound) || (errors.Is(err, fs.ErrNotExist) && statErr != nil):
		return &runtimeError{fmt.Sprintf("%s does not exist", r), err}
	case errors.Is(err, fs.ErrNotExist):
		// The file is there, so the kernel could not find the program loader it names.
		return &runtimeError{fmt.Sprintf("%s cannot be started: the program loader it names is missing here (as glibc's is on a musl system such as Alpine)", r), err}
	case errors.Is(err, syscall.EACCES) && statErr == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o111 == 0:
		return &runtimeError{fmt.Sprintf("%s is not executable (mode %v): give it execute permission", r, info.Mode().Perm()), err}
	case errors.Is(err, syscall.EACCES):
		return &runtimeError{fmt.Sprintf("%s may not be executed (permission denied; is its file system mounted noexec?)", r), err}
	case errors.Is(err, syscall.ENOEXEC):
		return &runtimeError{fmt.Sprintf("%s cannot run here (exec format error): %s", r, platformOf(r.path)), err}
	default:
		return &runtimeError{fmt.Sprintf("%s could not be started", r), err}
	}
}

// exitFailure explains a runtime that started and exited before the sidecar answered, when the cause
// is the runtime itself: a C library too old for it (the loader's message), or too old a Node.
func exitFailure(r nodeRuntime, stderr string, err error) error {
	if line := loaderComplaint(stderr); line != "" {
		return &runtimeError{fmt.Sprintf("%s cannot run on this system's C library: %q", r, line), err}
	}
	if version, ok := nodeVersion(r.path); ok && version.major < minNodeMajor {
		return &runtimeError{fmt.Sprintf("%s is Node.js %s, too old", r, version.text), err}
	}
	return nil
}

// loaderComplaint is the dynamic loader's line about a missing symbol version (GLIBC_x, GLIBCXX_x).
func loaderComplaint(stderr string) string {
	for line := range strings.SplitSeq(stderr, "\n") {
		if strings.Contains(line, "version `GLIBC") && strings.Contains(line, "not found") {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

type version struct {
	text  string
	major int
}

var nodeVersionLine = regexp.MustCompile(`^v(\d+)\.\d+\.\d+`)

// nodeVersion asks the runtime for its version (`node --version`), with a short deadline.
func nodeVersion(path string) (version, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--version")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	out, err := cmd.Output()
	if err != nil {
		return version{}, false
	}
	text := strings.TrimSpace(string(out))
	match := nodeVersionLine.FindStringSubmatch(text)
	if match == nil {
		return version{}, false
	}
	major, _ := strconv.Atoi(match[1])
	return version{text: text, major: major}, true
}

// elfPlatforms names the machines Mattermost runs on.
var elfPlatforms = map[elf.Machine]string{elf.EM_X86_64: "linux-amd64", elf.EM_AARCH64: "linux-arm64", elf.EM_386: "linux-386", elf.EM_ARM: "linux-arm"}

// platformOf says what the file is built for, next to this server's platform.
func platformOf(path string) string {
	here := "this server is linux-" + runtime.GOARCH
	file, err := elf.Open(path)
	if err != nil {
		return "it is not a Linux program (" + here + ")"
	}
	defer func() { _ = file.Close() }() // read only: nothing to lose
	built, ok := elfPlatforms[file.Machine]
	if !ok {
		built = file.Machine.String()
	}
	return "it is built for " + built + ", " + here
}

// stderrTail keeps the last bytes a child wrote to stderr, to explain an early exit.
type stderrTail struct {
	mu   sync.Mutex
	data []byte
}

const stderrTailBytes = 4 << 10

func (t *stderrTail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.data = append(t.data, p...)
	if over := len(t.data) - stderrTailBytes; over > 0 {
		t.data = bytes.Clone(t.data[over:])
	}
	return len(p), nil
}

func (t *stderrTail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.data)
}
