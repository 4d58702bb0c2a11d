package worker

import "syscall"

// sysProcAttr makes the kernel kill a worker when the server dies, so no
// worker outlives the process that would record its result.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
