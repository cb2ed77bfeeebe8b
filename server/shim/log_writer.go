package main

import (
	"bytes"
	"encoding/json"
	"sync"

	"github.com/mattermost/mattermost/server/public/plugin"
)

// maxLogLine bounds one forwarded line; the rest of a longer line is dropped.
const maxLogLine = 16 << 10

// logWriter forwards the sidecar's output to the server log line by line. Pino JSON lines keep
// their level; other stderr lines are warnings, other stdout lines information.
type logWriter struct {
	api     plugin.API
	stderr  bool
	mu      sync.Mutex
	pending []byte
	cut     bool // the current line overflowed and is being skipped
}

func newLogWriter(api plugin.API, stderr bool) *logWriter {
	return &logWriter{api: api, stderr: stderr}
}

func (w *logWriter) Write(data []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	written := len(data)
	for len(data) > 0 {
		line, rest, complete := bytes.Cut(data, []byte{'\n'})
		data = rest
		if !w.cut {
			w.pending = append(w.pending, line...)
			if len(w.pending) > maxLogLine {
				w.pending, w.cut = w.pending[:maxLogLine], true
				w.emit()
			}
		}
		if complete {
			if !w.cut {
				w.emit()
			}
			w.pending, w.cut = w.pending[:0], false
		}
	}
	return written, nil
}

func (w *logWriter) emit() {
	line := string(bytes.TrimRight(w.pending, "\r"))
	if line == "" {
		return
	}
	var record struct {
		Level int    `json:"level"`
		Msg   string `json:"msg"`
	}
	if json.Unmarshal([]byte(line), &record) == nil && record.Level > 0 {
		message := "MCP sidecar: " + record.Msg
		switch {
		case record.Level >= 50:
			w.api.LogError(message, "record", line)
		case record.Level >= 40:
			w.api.LogWarn(message, "record", line)
		case record.Level >= 30:
			w.api.LogInfo(message, "record", line)
		default:
			w.api.LogDebug(message, "record", line)
		}
		return
	}
	if w.stderr {
		w.api.LogWarn("MCP sidecar: " + line)
	} else {
		w.api.LogInfo("MCP sidecar: " + line)
	}
}

// flush forwards a last line that had no newline (the process ended).
func (w *logWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.cut {
		w.emit()
	}
	w.pending, w.cut = w.pending[:0], false
}
