// Package proctest runs a real server program for tests: it starts the
// program with its output going to a log file, waits until the program
// answers, and stops it, asking first and killing when asking is not
// enough. The helpers that start PostgreSQL (server/postgres/pgtest) and
// versitygw (server/objectstore/s3test) build on it:
//
//	port, err := proctest.FreePort()
//	…
//	cmd := exec.Command(bin, "--port", strconv.Itoa(port))
//	p, err := proctest.Start("myserver", cmd, filepath.Join(dir, "myserver.log"))
//	if err != nil {
//		return err
//	}
//	if err := p.WaitReady(30*time.Second, 50*time.Millisecond, ping); err != nil {
//		p.Kill()
//		return err // says whether it exited or never answered, with the log's last lines
//	}
//	…
//	err = p.Stop(syscall.SIGTERM, 10*time.Second)
//
// A program given a process group of its own (Setpgid in cmd.SysProcAttr)
// is killed with its whole group, so nothing it started outlives it.
package proctest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// logTail is how many of the log's last lines an error quotes.
const logTail = 20

// Process is a started program.
type Process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when the program has exited
	err     error         // how it exited, once exited is closed
}

// Start starts cmd with its standard output and error written to a new
// file at logPath. name is how errors call the program.
func Start(name string, cmd *exec.Cmd, logPath string) (*Process, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	// The program writes through its own copy of the file.
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// WaitReady calls ready every interval until it returns nil, and fails
// when the program exits first or limit passes; the error quotes the end
// of the program's log.
func (p *Process) WaitReady(limit, interval time.Duration, ready func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited: %v\n%s", p.name, p.err, p.Log(logTail))
		case <-time.After(interval):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %s: %v\n%s", p.name, limit, err, p.Log(logTail))
		}
	}
}

// Stop sends the program sig, its own way of being asked to shut down,
// and kills it when it has not exited after grace; that is an error.
func (p *Process) Stop(sig os.Signal, grace time.Duration) error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	// A signal that fails (the program has just exited) shows in the wait.
	p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
		return nil
	case <-time.After(grace):
		p.Kill()
		return fmt.Errorf("%s did not stop within %s of %v; killed", p.name, grace, sig)
	}
}

// Kill kills the program, with its process group when it has one of its
// own, and waits until it has exited.
func (p *Process) Kill() {
	if a := p.cmd.SysProcAttr; a != nil && a.Setpgid {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	} else {
		p.cmd.Process.Kill()
	}
	<-p.exited
}

// Log returns the last n lines of the program's log, all of it when n is
// 0.
func (p *Process) Log(n int) string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return LastLines(b, n)
}

// LastLines returns the last n lines of b, without surrounding white
// space; all of them when n is 0.
func LastLines(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if n == 0 {
		return s
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// FreePort returns a loopback TCP port that was free a moment ago. A
// program may still lose it to another before it listens; callers that
// care start again on a new one.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Shared is a server that a test package starts once, when a test first
// asks for it, and stops after all its tests:
//
//	var shared = proctest.Shared[*Server]{Start: Start}
//
//	func TestMain(m *testing.M) { os.Exit(shared.Main(m, "mytest")) }
type Shared[S interface{ Stop() error }] struct {
	// Start starts the server.
	Start func() (S, error)

	once    sync.Once
	srv     S
	err     error
	started bool
}

// Get returns the server, starting it on the first call; a start that
// failed fails every call with its error.
func (sh *Shared[S]) Get() (S, error) {
	sh.once.Do(func() {
		sh.srv, sh.err = sh.Start()
		sh.started = sh.err == nil
	})
	return sh.srv, sh.err
}

// Main runs m's tests, then stops the server if a test started it; a stop
// that fails is reported on standard error after name.
func (sh *Shared[S]) Main(m *testing.M, name string) int {
	code := m.Run()
	if sh.started {
		if err := sh.srv.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		}
	}
	return code
}

// Missing reports that a test cannot run because something it needs, as
// msg says, is missing: a failure when CI=true, so that CI never passes
// by skipping, and a skip otherwise.
func Missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg + " (set CI=true to make this a failure)")
}
