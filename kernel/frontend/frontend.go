// Package frontend drives a `galley kernel` process the way a Jupyter front
// end does: it writes a connection file, starts the kernel on ipc sockets,
// waits until IOPub delivers, sends execute requests and hands back every
// message each one caused, interrupts on request and shuts the kernel down
// politely before killing it.
//
// `galley run` executes notebooks through it, and the golden-cell tests run
// their sessions through it, so both see what JupyterLab would.
//
//	k, err := frontend.Start(ctx, galleyBinary, frontend.Options{Dir: dir})
//	defer k.Close()
//	reply, err := k.Execute(ctx, "fmt.Println(1)", true, func(m *wire.Message) { ... })
package frontend

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/galley-dev/galley/kernel/wire"
)

// Timeouts for starting and for settling after an interrupt.
const (
	startTimeout     = 30 * time.Second
	interruptTimeout = 10 * time.Second
)

// Options configure the kernel process.
type Options struct {
	// Dir is the kernel's working directory; "" means this process's.
	Dir string
	// Env is the kernel's environment; nil means this process's.
	Env []string
}

// Kernel is a running `galley kernel` process and a client on its sockets.
type Kernel struct {
	cmd    *exec.Cmd
	client *wire.Client
	dir    string // holds the connection file and the ipc sockets
	shell  chan *wire.Message
	iopub  chan *wire.Message
	exited chan error // holds the exit status once the process has ended
	stderr *tail
}

// Start starts the kernel of the galley binary and returns once it answers
// on IOPub, so no output of the first request is lost to the subscription
// starting late.
func Start(ctx context.Context, galley string, opts Options) (*Kernel, error) {
	// Unix socket paths are limited to about 100 bytes: a short directory.
	sockDir, err := os.MkdirTemp("", "galley-kernel-")
	if err != nil {
		return nil, err
	}
	info := wire.ConnectionInfo{
		Transport: "ipc", IP: filepath.Join(sockDir, "k"), Key: wire.NewID(), SignatureScheme: "hmac-sha256",
		ShellPort: 1, ControlPort: 2, StdinPort: 3, IOPubPort: 4, HBPort: 5, KernelName: "galley",
	}
	b, err := json.Marshal(info)
	if err != nil {
		os.RemoveAll(sockDir)
		return nil, err
	}
	connFile := filepath.Join(sockDir, "connection.json")
	if err := os.WriteFile(connFile, b, 0o600); err != nil {
		os.RemoveAll(sockDir)
		return nil, err
	}
	k := &Kernel{
		dir: sockDir, shell: make(chan *wire.Message, 16), iopub: make(chan *wire.Message, 1024),
		exited: make(chan error, 1), stderr: &tail{},
	}
	k.cmd = exec.Command(galley, "kernel", "--connection-file", connFile)
	k.cmd.Dir = opts.Dir
	k.cmd.Env = opts.Env
	k.cmd.Stderr = k.stderr
	if err := k.cmd.Start(); err != nil {
		os.RemoveAll(sockDir)
		return nil, fmt.Errorf("starting the kernel: %w", err)
	}
	go func() { k.exited <- k.cmd.Wait() }()
	if err := k.connect(ctx, info); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

// Stderr is the last few KiB the kernel wrote on standard error, as a
// sentence for error messages.
func (k *Kernel) Stderr() string { return k.stderr.String() }

func (k *Kernel) connect(ctx context.Context, info wire.ConnectionInfo) error {
	deadline := time.Now().Add(startTimeout)
	for {
		if _, err := os.Stat(info.IP + "-5"); err == nil {
			break
		}
		select {
		case err := <-k.exited:
			k.exited <- err
			return fmt.Errorf("the kernel exited before it was ready (%v): %s", err, k.stderr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the kernel did not open its sockets in %s: %s", startTimeout, k.stderr)
		}
	}
	c, err := wire.Dial(context.Background(), info)
	if err != nil {
		return err
	}
	k.client = c
	go pump(c.Shell, k.shell)
	go pump(c.IOPub, k.iopub)
	// IOPub is a subscription: probe with kernel_info until the kernel's
	// status for a probe arrives on it, as jupyter_client's wait_for_ready
	// does.
	for time.Now().Before(deadline) {
		req, err := c.Request(c.Shell, "kernel_info_request", map[string]any{})
		if err != nil {
			return err
		}
		retry := time.After(time.Second)
	wait:
		for {
			select {
			case m, ok := <-k.iopub:
				if !ok {
					return errors.New("the kernel closed IOPub")
				}
				if m.ParentHeader().MsgID == req.Header.MsgID {
					k.drainShell()
					return nil
				}
			case err := <-k.exited:
				k.exited <- err
				return fmt.Errorf("the kernel exited (%v): %s", err, k.stderr)
			case <-ctx.Done():
				return ctx.Err()
			case <-retry:
				break wait
			}
		}
	}
	return fmt.Errorf("the kernel did not answer in %s: %s", startTimeout, k.stderr)
}

// drainShell discards replies already received, such as those to the
// kernel_info probes.
func (k *Kernel) drainShell() {
	for {
		select {
		case <-k.shell:
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

// pump forwards messages from a socket until it closes, dropping bad ones
// as a front end drops them.
func pump(s *wire.Socket, to chan<- *wire.Message) {
	for {
		m, err := s.Recv()
		if errors.Is(err, wire.ErrBadMessage) {
			continue
		}
		if err != nil {
			close(to)
			return
		}
		to <- m
	}
}

// Reply is how an execute request ended.
type Reply struct {
	// Count is the execution count of the reply.
	Count int
	// Interrupted reports that the request was interrupted because its
	// context ended.
	Interrupted bool
}

// Execute runs code and calls each for every IOPub message the request
// caused, status messages excepted, until the kernel is idle again and has
// replied. When ctx ends, the kernel is interrupted as a front end's stop
// button does; if it does not settle soon after, Execute gives up with an
// error.
func (k *Kernel) Execute(ctx context.Context, code string, stopOnError bool, each func(*wire.Message)) (Reply, error) {
	req, err := k.client.Request(k.client.Shell, "execute_request", map[string]any{
		"code": code, "silent": false, "store_history": true, "user_expressions": map[string]any{},
		"allow_stdin": false, "stop_on_error": stopOnError,
	})
	if err != nil {
		return Reply{}, err
	}
	id := req.Header.MsgID
	var rep Reply
	idle, replied := false, false
	done := ctx.Done()
	var giveUp <-chan time.Time
	for !idle || !replied {
		select {
		case m, ok := <-k.iopub:
			if !ok {
				return rep, fmt.Errorf("the kernel closed IOPub: %s", k.stderr)
			}
			if m.ParentHeader().MsgID != id {
				continue
			}
			if m.Type() == "status" {
				var c struct {
					State string `json:"execution_state"`
				}
				_ = m.DecodeContent(&c)
				idle = c.State == "idle"
				continue
			}
			each(m)
		case m, ok := <-k.shell:
			if !ok {
				return rep, fmt.Errorf("the kernel closed its shell socket: %s", k.stderr)
			}
			if m.ParentHeader().MsgID == id && m.Type() == "execute_reply" {
				replied = true
				var c struct {
					Count int `json:"execution_count"`
				}
				_ = m.DecodeContent(&c)
				rep.Count = c.Count
			}
		case err := <-k.exited:
			k.exited <- err
			return rep, fmt.Errorf("the kernel exited while the cell ran (%v): %s", err, k.stderr)
		case <-done:
			rep.Interrupted = true
			_, _ = k.client.Request(k.client.Control, "interrupt_request", map[string]any{})
			done = nil
			giveUp = time.After(interruptTimeout)
		case <-giveUp:
			return rep, fmt.Errorf("the kernel did not stop within %s of an interrupt (%v): %s", interruptTimeout, ctx.Err(), k.stderr)
		}
	}
	return rep, nil
}

// Close asks the kernel to shut down, as a front end does, kills it when it
// lingers, and removes its sockets.
func (k *Kernel) Close() {
	if k.client != nil {
		if _, err := k.client.Request(k.client.Control, "shutdown_request", map[string]any{"restart": false}); err == nil {
			select {
			case err := <-k.exited:
				k.exited <- err
			case <-time.After(5 * time.Second):
			}
		}
	}
	select {
	case err := <-k.exited:
		k.exited <- err
	default:
		_ = k.cmd.Process.Kill()
		err := <-k.exited
		k.exited <- err
	}
	if k.client != nil {
		k.client.Close()
	}
	os.RemoveAll(k.dir)
}

// tail keeps the last few KiB a process wrote, for error messages.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 8192 {
		t.b = t.b[len(t.b)-8192:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := strings.TrimSpace(string(t.b)); s != "" {
		return "kernel stderr: " + s
	}
	return "the kernel wrote nothing on stderr"
}
