package proctest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func sh(t *testing.T, script string) *exec.Cmd {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh on PATH")
	}
	return exec.Command("sh", "-c", script)
}

func TestWaitReadyReportsExit(t *testing.T) {
	p, err := Start("quitter", sh(t, "echo first; echo last words >&2; exit 3"), filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitReady(10*time.Second, 10*time.Millisecond, func() error { return errors.New("not yet") })
	if err == nil || !strings.Contains(err.Error(), "quitter exited: exit status 3") || !strings.Contains(err.Error(), "first\nlast words") {
		t.Fatalf("WaitReady = %v, want the exit and the log", err)
	}
	if err := p.Stop(syscall.SIGTERM, time.Second); err != nil {
		t.Errorf("Stop after exit = %v", err)
	}
}

func TestWaitReadyTimesOut(t *testing.T) {
	p, err := Start("sleeper", sh(t, "sleep 30"), filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	calls := 0
	err = p.WaitReady(100*time.Millisecond, 10*time.Millisecond, func() error { calls++; return errors.New("refused") })
	if err == nil || !strings.Contains(err.Error(), "sleeper did not answer within 100ms: refused") {
		t.Fatalf("WaitReady = %v, want a timeout naming the last error", err)
	}
	if calls < 2 {
		t.Errorf("ready was called %d times, want it polled", calls)
	}
	ready := 0
	if err := p.WaitReady(time.Second, time.Millisecond, func() error {
		if ready++; ready < 3 {
			return errors.New("starting")
		}
		return nil
	}); err != nil {
		t.Fatalf("WaitReady = %v once ready", err)
	}
}

func TestStopAsksThenKillsTheGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	// The shell ignores SIGTERM and starts a child of its own; only a kill
	// of the whole group ends both.
	cmd := sh(t, "trap '' TERM; sleep 30 & echo $! > "+pidFile+"; wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p, err := Start("stubborn", cmd, filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	var child int
	if err := p.WaitReady(10*time.Second, 10*time.Millisecond, func() error {
		b, err := os.ReadFile(pidFile)
		if err == nil {
			child, err = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	err = p.Stop(syscall.SIGTERM, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "stubborn did not stop within 200ms") {
		t.Fatalf("Stop = %v, want it killed", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for syscall.Kill(child, 0) == nil {
		if time.Now().After(deadline) {
			t.Fatalf("the program's child %d outlived the kill", child)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStopAsksFirst(t *testing.T) {
	p, err := Start("polite", sh(t, "trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.05; done"), filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitReady(10*time.Second, 10*time.Millisecond, func() error {
		if p.Log(0) != "ready" {
			return errors.New("no trap yet")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(syscall.SIGTERM, 10*time.Second); err != nil {
		t.Fatalf("Stop = %v", err)
	}
	if got := p.Log(0); got != "ready\nbye" {
		t.Errorf("log = %q, want the program's answer to SIGTERM", got)
	}
}

func TestLastLines(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb\n", 5, "a\nb"},
		{"\n a\nb \n", 0, "a\nb"},
		{"", 3, ""},
	} {
		if got := LastLines([]byte(tt.in), tt.n); got != tt.want {
			t.Errorf("LastLines(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestFreePort(t *testing.T) {
	port, err := FreePort()
	if err != nil || port <= 0 {
		t.Fatalf("FreePort = %d, %v", port, err)
	}
}

type fakeServer struct{ stops int }

func (f *fakeServer) Stop() error { f.stops++; return nil }

func TestSharedStartsOnce(t *testing.T) {
	starts := 0
	sh := Shared[*fakeServer]{Start: func() (*fakeServer, error) { starts++; return &fakeServer{}, nil }}
	a, err := sh.Get()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := sh.Get(); b != a || starts != 1 {
		t.Errorf("second Get = %p after %d starts, want the first server (%p) and one start", b, starts, a)
	}
	failing := Shared[*fakeServer]{Start: func() (*fakeServer, error) { starts++; return nil, errors.New("no binary") }}
	for range 2 {
		if _, err := failing.Get(); err == nil || err.Error() != "no binary" {
			t.Errorf("Get = %v, want the start's error", err)
		}
	}
	if starts != 2 {
		t.Errorf("%d starts, want a failed start tried once", starts)
	}
}
