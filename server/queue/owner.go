package queue

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// An owner is written "HOST/PID/MACHINE/NONCE": MACHINE identifies this
// boot of this machine's kernel and its process-id namespace (empty where
// unknown), NONCE this process among others that had the same pid.

var (
	ownerOnce sync.Once
	owner     string
	machine   string
)

// ProcessOwner is the name this process holds runs under.
func ProcessOwner() string {
	ownerOnce.Do(func() {
		host, _ := os.Hostname()
		host = strings.ReplaceAll(host, "/", "_")
		machine = machineKey()
		b := make([]byte, 6)
		rand.Read(b)
		owner = fmt.Sprintf("%s/%d/%s/%s", host, os.Getpid(), machine, hex.EncodeToString(b))
	})
	return owner
}

// machineKey identifies the processes this one can see: the kernel's boot
// and the pid namespace; "" when they cannot be read.
func machineKey() string {
	boot, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(string(boot)) + "\x00" + ns))
	return hex.EncodeToString(sum[:8])
}

// ownerGone reports whether owner is known to be dead: a process that
// could be seen from here (same machine key) and no longer exists, or an
// earlier process that had this one's pid. Owners elsewhere are never
// known dead; their leases decide.
func ownerGone(o string) bool {
	self := ProcessOwner()
	f := strings.Split(o, "/")
	if len(f) != 4 || machine == "" || f[2] != machine {
		return false
	}
	pid, err := strconv.Atoi(f[1])
	if err != nil || pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return o != self
	}
	err = syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}
