package main

import "syscall"

// childProcAttr asks the kernel to SIGTERM the sidecar if the shim dies without stopping it (the
// server killed the plugin), so no orphan keeps the socket.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
