//go:build linux

package supervisor

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/kernel/jupytertest"
	"github.com/galley-dev/galley/kernel/wire"
)

// processAlive reports whether pid runs; a zombie waiting for a reaper
// that never comes counts as gone.
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func childPIDs(t *testing.T, pid int) []int {
	t.Helper()
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	var kids []int
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(s)
			kids = append(kids, n)
		}
	}
	return kids
}

// A kernel whose starter dies (a Jupyter server killed with SIGKILL) shuts
// itself and its worker down rather than lingering.
func TestOrphanedKernelExits(t *testing.T) {
	galley := jupytertest.BuildGalley(t)
	dir := t.TempDir()
	info := wire.ConnectionInfo{Transport: "ipc", IP: filepath.Join(dir, "kernel"), ShellPort: 1, ControlPort: 2,
		StdinPort: 3, IOPubPort: 4, HBPort: 5, Key: "k", SignatureScheme: "hmac-sha256"}
	b, _ := json.Marshal(info)
	conn := filepath.Join(dir, "kernel.json")
	if err := os.WriteFile(conn, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// The starter prints the kernel's pid, then waits until told to go.
	starter := exec.Command("sh", "-c", `"$0" kernel --connection-file "$1" & echo $!; read _`, galley, conn)
	starter.Env = append(os.Environ(), "GALLEY_HISTORY_FILE="+filepath.Join(dir, "history.jsonl"))
	stdin, _ := starter.StdinPipe()
	stdout, _ := starter.StdoutPipe()
	if err := starter.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	kernel, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("kernel pid %q: %v", line, err)
	}
	t.Cleanup(func() { _ = syscall.Kill(kernel, syscall.SIGKILL) })

	var workers []int
	for deadline := time.Now().Add(20 * time.Second); len(workers) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the kernel started no worker within 20s")
		}
		workers = childPIDs(t, kernel)
	}

	stdin.Close() // the starter exits; the kernel is orphaned
	_ = starter.Wait()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		alive := processAlive(kernel)
		for _, w := range workers {
			alive = alive || processAlive(w)
		}
		if !alive {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("kernel %d or its workers %v still running 10s after the process that started it exited", kernel, workers)
		}
	}
}
