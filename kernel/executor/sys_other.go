//go:build !linux

package executor

import (
	"os"
	"os/exec"
	"syscall"
)

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}

// sameFile returns f: a second descriptor is taken only on Linux.
func sameFile(f *os.File) *os.File { return f }
