package worker

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// sysProcAttr makes the kernel kill a worker when the server dies, so no
// worker outlives the process that would record its result, and without
// network gives it a network namespace of its own: no interfaces but a
// loopback that is down. An unprivileged server needs a user namespace
// for that, mapping its own user so files in the run directory stay its.
func sysProcAttr(network bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if network {
		return a
	}
	a.Cloneflags = syscall.CLONE_NEWNET
	if uid := os.Geteuid(); uid != 0 {
		a.Cloneflags |= syscall.CLONE_NEWUSER
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: os.Getegid(), HostID: os.Getegid(), Size: 1}}
		a.GidMappingsEnableSetgroups = false
	}
	return a
}

// isolatesNetwork reports whether attr asks for a network namespace.
func isolatesNetwork(a *syscall.SysProcAttr) bool {
	return a != nil && a.Cloneflags&syscall.CLONE_NEWNET != 0
}

// withoutNetworkNamespace is attr for platforms (or containers) that refuse
// new namespaces.
func withoutNetworkNamespace(a *syscall.SysProcAttr) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: a.Pdeathsig}
}

// processRSS is the resident memory process pid uses of its own:
// everything it allocated, goroutine stacks included, not only the Go heap.
// File-backed pages (the galley executable's code and data, some 60 MiB,
// shared by every worker through the page cache) are left out, so the
// limit measures the recipe and not the size of the binary.
func processRSS(pid int) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return 0, false
	}
	resident, err1 := strconv.ParseInt(f[1], 10, 64)
	shared, err2 := strconv.ParseInt(f[2], 10, 64)
	if err1 != nil || err2 != nil || shared > resident {
		return 0, false
	}
	return (resident - shared) * int64(os.Getpagesize()), true
}

// landlockABI is the kernel's Landlock version, or an error saying why
// there is none.
func landlockABI() (int, error) {
	v, err := llsys.LandlockGetABIVersion()
	if err != nil {
		return 0, fmt.Errorf("this kernel has no Landlock (needs Linux 5.13 or later with Landlock enabled): %w", err)
	}
	return v, nil
}

// SandboxStatus describes how recipes are confined on this machine, for
// the server's start message.
func SandboxStatus() (string, bool) {
	v, err := landlockABI()
	if err != nil {
		return "recipe files are NOT restricted: " + err.Error() + "; a recipe can read and write whatever the server's user can", false
	}
	net := "TCP refused by Landlock too"
	if v < 4 {
		net = "Landlock too old to refuse TCP (needs ABI 4)"
	}
	return fmt.Sprintf("recipes confined by Landlock ABI %d: read their inputs, write their run directory only; without network: own network namespace, %s", v, net), true
}

// confine restricts this process as sb says, for good: the recipe runs
// after it. It returns a line for the run's log.
func confine(sb *Sandbox) (string, error) {
	if err := os.Chdir(sb.Dir); err != nil {
		return "", fmt.Errorf("entering the run directory: %w", err)
	}
	v, err := landlockABI()
	if err != nil {
		return "sandbox: files NOT restricted: " + err.Error(), nil
	}
	var rules []landlock.Rule
	rules = append(rules, landlock.RWDirs(sb.Dir), landlock.RWFiles("/dev/null"))
	for _, p := range sb.Read {
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("sandbox: %w", err)
		}
		if fi.IsDir() {
			rules = append(rules, landlock.RODirs(p))
		} else {
			rules = append(rules, landlock.ROFiles(p))
		}
	}
	for _, p := range systemReadPaths(sb.Network) {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err == nil && fi.IsDir() {
			rules = append(rules, landlock.RODirs(p))
		} else {
			rules = append(rules, landlock.ROFiles(p))
		}
	}
	cfg := landlock.V7.BestEffort()
	if sb.Network {
		err = cfg.RestrictPaths(rules...)
		if err == nil {
			err = cfg.RestrictScoped()
		}
	} else {
		// No rule allows a port: every TCP bind and connect is refused.
		err = cfg.Restrict(rules...)
	}
	if err != nil {
		return "", fmt.Errorf("sandbox: applying Landlock: %w", err)
	}
	net := "network on"
	if !sb.Network {
		net = "network off"
	}
	return fmt.Sprintf("sandbox: Landlock ABI %d: reads %d input file(s), writes %s only; %s", v, len(sb.Read), sb.Dir, net), nil
}
