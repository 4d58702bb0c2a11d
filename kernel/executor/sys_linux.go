package executor

import (
	"os"
	"os/exec"
	"syscall"
)

// sysProcAttr puts the worker in a process group of its own, so that killing
// the group also ends processes a cell started, and asks Linux to kill the
// worker if the supervisor dies without cleaning up.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killGroup(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}

// sameFile returns a second descriptor for f's file, or f when none can be
// had.
func sameFile(f *os.File) *os.File {
	fd, err := syscall.Dup(int(f.Fd()))
	if err != nil {
		return f
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), f.Name())
}
