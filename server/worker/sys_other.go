//go:build !linux

package worker

import "syscall"

// sysProcAttr: elsewhere workers notice the server is gone when their
// standard input closes.
func sysProcAttr() *syscall.SysProcAttr { return nil }
