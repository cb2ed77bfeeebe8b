package main

import (
	"context"
	"time"
)

// watchExternal polls an external sidecar's /healthz and re-pushes the configuration whenever it
// comes back: a restarted sidecar starts without one, and nothing else would tell it.
func (run *activation) watchExternal(p *Plugin) {
	ctx, cancel := context.WithCancel(context.Background())
	run.stop = cancel
	run.done.Add(1)
	go func() {
		defer run.done.Done()
		ticker := time.NewTicker(p.timing.watchInterval)
		defer ticker.Stop()
		healthy := true
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			check, cancelCheck := context.WithTimeout(ctx, p.timing.watchInterval)
			err := run.client.healthy(check)
			cancelCheck()
			switch {
			case err != nil && healthy && ctx.Err() == nil:
				p.API.LogError("The external MCP sidecar stopped answering /healthz", "error", err.Error())
				healthy = false
			case err == nil && !healthy:
				p.API.LogInfo("The external MCP sidecar is back; sending it the configuration")
				healthy = true
				p.pushConfiguration(run)
			}
		}
	}()
}
