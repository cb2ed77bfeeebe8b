package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattermost/mattermost/server/public/plugin"
)

// sidecarProcess runs the embedded sidecar as a child process and restarts it, with a bounded
// backoff, when it dies.
type sidecarProcess struct {
	api     plugin.API
	command processCommand
	client  *sidecarClient
	timing  timing

	mu          sync.Mutex
	current     *child
	stopping    bool
	supervising bool
	ctx         context.Context // cancelled by stop
	cancel      context.CancelFunc
	supervised  chan struct{} // closed when supervise returns
}

// child is one run of the sidecar program.
type child struct {
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{} // closed once the process is reaped; err is then set
	err     error
	stderr  *stderrTail // the end of its stderr, to explain an early exit
}

func newSidecarProcess(api plugin.API, command processCommand, client *sidecarClient, t timing) *sidecarProcess {
	ctx, cancel := context.WithCancel(context.Background())
	return &sidecarProcess{
		api: api, command: command, client: client, timing: t,
		ctx: ctx, cancel: cancel, supervised: make(chan struct{}),
	}
}

// start launches the first child and waits for its /healthz. When the Node runtime cannot run the
// sidecar (missing, not executable, another platform, too old a C library or Node), the error says so.
func (s *sidecarProcess) start(ctx context.Context) error {
	c, err := s.launch()
	if err != nil {
		return startFailure(s.command.runtime, err)
	}
	if err := s.client.waitHealthy(ctx, s.timing.healthInterval, c.exited); err != nil {
		return s.explain(c, err)
	}
	return nil
}

// launch removes a stale socket and starts a child whose output goes to the server log.
func (s *sidecarProcess) launch() (*child, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil, errors.New("the plugin is being deactivated")
	}
	if socket, ok := strings.CutPrefix(envValue(s.command.env, "MCP_SIDECAR_LISTEN"), "unix:"); ok {
		_ = os.Remove(socket) // the sidecar cannot listen over a socket left by a dead predecessor
	}
	//nolint:gosec,noctx // G204: running the chosen Node is the job; stop() sends SIGTERM, a context would SIGKILL
	cmd := exec.Command(s.command.runtime.path, s.command.args...)
	cmd.Env = s.command.env
	stdout, stderr, tail := newLogWriter(s.api, false), newLogWriter(s.api, true), &stderrTail{}
	cmd.Stdout, cmd.Stderr = stdout, io.MultiWriter(stderr, tail)
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, started: time.Now(), exited: make(chan struct{}), stderr: tail}
	go func() {
		c.err = cmd.Wait()
		stdout.flush()
		stderr.flush()
		close(c.exited)
	}()
	s.current = c
	return c, nil
}

// explain turns a failed start into an error that says how the child ended, if it did, and why when
// the runtime itself is the cause.
func (s *sidecarProcess) explain(c *child, err error) error {
	select {
	case <-c.exited:
		ended := fmt.Errorf("%w (%s)", err, exitDescription(c.err))
		if why := exitFailure(s.command.runtime, c.stderr.String(), ended); why != nil {
			return why
		}
		return ended
	default:
		return err
	}
}

// supervise restarts the child whenever it dies, until stop. After a restart it waits for /healthz
// and calls restarted (which re-pushes the configuration). A child that ran for stableAfter resets
// the crash count; after maxRestarts quick crashes in a row the shim gives up.
func (s *sidecarProcess) supervise(restarted func()) {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		close(s.supervised)
		return
	}
	s.supervising = true
	c := s.current
	s.mu.Unlock()
	defer close(s.supervised)

	crashes := 0
	for {
		select {
		case <-c.exited:
		case <-s.ctx.Done():
			return
		}
		if s.isStopping() {
			return
		}
		if time.Since(c.started) >= s.timing.stableAfter {
			crashes = 0
		}
		crashes++
		if crashes > s.timing.maxRestarts {
			s.api.LogError("The MCP sidecar keeps exiting; not restarting it again. Fix the cause, then disable and enable the plugin",
				"exit", exitDescription(c.err), "restarts", crashes-1)
			return
		}
		delay := backoff(s.timing.restartBackoff, s.timing.restartMax, crashes)
		s.api.LogError("The MCP sidecar exited; restarting it", "exit", exitDescription(c.err), "in", delay.String())
		select {
		case <-time.After(delay):
		case <-s.ctx.Done():
			return
		}
		next, err := s.launch()
		if err != nil {
			s.api.LogError("Could not restart the MCP sidecar", "error", err.Error())
			c = &child{started: time.Now(), exited: closedChannel(), err: err}
			continue
		}
		c = next
		ctx, cancel := context.WithTimeout(s.ctx, s.timing.healthTimeout)
		err = s.client.waitHealthy(ctx, s.timing.healthInterval, c.exited)
		cancel()
		if err != nil {
			if !s.isStopping() {
				s.api.LogError("The restarted MCP sidecar did not become healthy", "error", err.Error())
			}
			continue
		}
		s.api.LogInfo("The MCP sidecar is back")
		restarted()
	}
}

// stop ends supervision, then SIGTERMs the child and SIGKILLs it after stopGrace.
func (s *sidecarProcess) stop() {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return
	}
	s.stopping = true
	s.cancel()
	supervising, c := s.supervising, s.current
	s.mu.Unlock()
	if supervising {
		<-s.supervised
	}
	if c == nil || c.cmd == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(s.timing.stopGrace):
		s.api.LogWarn("The MCP sidecar did not stop after SIGTERM; killing it")
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

func (s *sidecarProcess) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// backoff is first·2^(attempt-1), capped.
func backoff(first, limit time.Duration, attempt int) time.Duration {
	delay := first
	for i := 1; i < attempt && delay < limit; i++ {
		delay *= 2
	}
	return min(delay, limit)
}

func exitDescription(err error) string {
	if err == nil {
		return "exited with status 0"
	}
	return err.Error()
}

func envValue(env []string, name string) string {
	for _, entry := range env {
		if value, ok := strings.CutPrefix(entry, name+"="); ok {
			return value
		}
	}
	return ""
}

func closedChannel() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}
