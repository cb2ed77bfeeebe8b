//go:build !linux

package main

import "syscall"

// childProcAttr has nothing to add where Pdeathsig does not exist.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{}
}
