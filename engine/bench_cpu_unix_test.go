//go:build unix

package engine

import "syscall"

// processCPU returns the CPU time all of this process's threads have used,
// in nanoseconds, and whether the platform reports it.
func processCPU() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
