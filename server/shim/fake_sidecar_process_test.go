package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

// TestMain lets the test binary stand in for `node main.js`: started by the shim with
// MCP_SIDECAR_LISTEN set, it becomes a fake sidecar process instead of running tests.
func TestMain(m *testing.M) {
	if os.Getenv("MCP_SIDECAR_LISTEN") != "" {
		os.Exit(runFakeSidecarProcess())
	}
	os.Exit(m.Run())
}

// Switches the embedded-mode tests give the fake process through the environment.
const (
	envRecordFile     = "SHIM_TEST_RECORD"         // append one JSON line per hook received
	envIgnoreSIGTERM  = "SHIM_TEST_IGNORE_SIGTERM" // make the shim use SIGKILL
	envCrashAfterFile = "SHIM_TEST_CRASH_AFTER"    // once this file exists, exit at start
)

// processRecord is one hook the fake process received.
type processRecord struct {
	PID  int            `json:"pid"`
	Path string         `json:"path"`
	Body map[string]any `json:"body"`
}

func runFakeSidecarProcess() int {
	if os.Getenv(envIgnoreSIGTERM) != "" {
		signal.Ignore(syscall.SIGTERM)
	}
	if marker := os.Getenv(envCrashAfterFile); marker != "" {
		if _, err := os.Stat(marker); err == nil {
			return 3
		}
		_ = os.WriteFile(marker, nil, 0o600)
	}
	secret := os.Getenv("MCP_SIDECAR_SECRET")
	socket := strings.TrimPrefix(os.Getenv("MCP_SIDECAR_LISTEN"), "unix:")
	listener, err := net.Listen("unix", socket)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		return 2
	}
	_ = os.Chmod(socket, 0o600)
	fmt.Println(`{"level":30,"msg":"fake sidecar listening"}`)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"status":"ok"}`) })
	mux.HandleFunc("POST /hooks/{name}", func(w http.ResponseWriter, r *http.Request) {
		record := processRecord{PID: os.Getpid(), Path: r.URL.Path}
		_ = json.NewDecoder(r.Body).Decode(&record.Body)
		appendRecord(record)
		_, _ = io.WriteString(w, "{}")
	})
	// The environment, so the test can check the contract's variables and the absence of MM_*.
	mux.HandleFunc("GET /test/env", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(os.Environ())
	})
	// Calls the reverse channel the way the real sidecar would.
	mux.HandleFunc("GET /test/bot", func(w http.ResponseWriter, _ *http.Request) {
		client := unixClient(strings.TrimPrefix(os.Getenv("MCP_SHIM_URL"), "unix:"))
		req, _ := http.NewRequest(http.MethodGet, "http://shim/api/v1/bot", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := client.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer func() { _ = res.Body.Close() }()
		w.WriteHeader(res.StatusCode)
		_, _ = io.Copy(w, res.Body)
	})
	mux.HandleFunc("POST /test/exit", func(http.ResponseWriter, *http.Request) { os.Exit(4) })
	_ = http.Serve(listener, checkCredentials(secret, mux))
	return 0
}

func appendRecord(record processRecord) {
	path := os.Getenv(envRecordFile)
	if path == "" {
		return
	}
	line, _ := json.Marshal(record)
	file, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	defer func() { _ = file.Close() }()
	_, _ = file.Write(append(line, '\n'))
}

// readRecords parses the record file written by every fake process of a test.
func readRecords(t *testing.T, path string) []processRecord {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []processRecord
	for line := range strings.SplitSeq(strings.TrimSpace(string(data)), "\n") {
		var record processRecord
		if json.Unmarshal([]byte(line), &record) == nil {
			out = append(out, record)
		}
	}
	return out
}
