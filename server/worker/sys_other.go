//go:build !linux

package worker

import (
	"os"
	"syscall"
)

// sysProcAttr: elsewhere workers notice the server is gone when their
// standard input closes, and share the server's network.
func sysProcAttr(network bool) *syscall.SysProcAttr { return nil }

func isolatesNetwork(a *syscall.SysProcAttr) bool { return false }

func withoutNetworkNamespace(a *syscall.SysProcAttr) *syscall.SysProcAttr { return a }

// processRSS is not measured here; the worker's own watchdog counts the
// Go runtime's memory instead.
func processRSS(pid int) (int64, bool) { return 0, false }

// SandboxStatus describes how recipes are confined on this platform.
func SandboxStatus() (string, bool) {
	return "recipe files and network are NOT restricted on this platform (Landlock and network namespaces are Linux only); recipes run with a minimal environment in their run directory", false
}

func confine(sb *Sandbox) (string, error) {
	if err := os.Chdir(sb.Dir); err != nil {
		return "", err
	}
	return "sandbox: files and network NOT restricted on this platform", nil
}
