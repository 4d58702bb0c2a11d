package batch

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

// kernel is a `galley kernel` process driven over its sockets, as Jupyter
// drives it: cells run through the same session, worker and engine, so a
// notebook run headless shows what JupyterLab would.
type kernel struct {
	cmd    *exec.Cmd
	client *wire.Client
	dir    string // holds the connection file and the ipc sockets
	shell  chan *wire.Message
	iopub  chan *wire.Message
	exited chan error
	stderr *tail
}

// startKernel starts galley's kernel with its working directory in dir and
// waits until it answers.
func startKernel(ctx context.Context, galley, dir string, env []string) (*kernel, error) {
	// Unix socket paths are limited to about 100 bytes: a short directory.
	sockDir, err := os.MkdirTemp("", "galley-run-")
	if err != nil {
		return nil, err
	}
	info := wire.ConnectionInfo{
		Transport: "ipc", IP: filepath.Join(sockDir, "k"), Key: wire.NewID(), SignatureScheme: "hmac-sha256",
		ShellPort: 1, ControlPort: 2, StdinPort: 3, IOPubPort: 4, HBPort: 5, KernelName: "galley",
	}
	b, _ := json.Marshal(info)
	connFile := filepath.Join(sockDir, "connection.json")
	if err := os.WriteFile(connFile, b, 0o600); err != nil {
		os.RemoveAll(sockDir)
		return nil, err
	}
	k := &kernel{dir: sockDir, shell: make(chan *wire.Message, 16), iopub: make(chan *wire.Message, 1024), exited: make(chan error, 1), stderr: &tail{}}
	k.cmd = exec.Command(galley, "kernel", "--connection-file", connFile)
	k.cmd.Dir = dir
	k.cmd.Env = env
	k.cmd.Stderr = k.stderr
	if err := k.cmd.Start(); err != nil {
		os.RemoveAll(sockDir)
		return nil, fmt.Errorf("starting the kernel: %w", err)
	}
	go func() { k.exited <- k.cmd.Wait() }()
	if err := k.connect(ctx, info); err != nil {
		k.close()
		return nil, err
	}
	return k, nil
}

func (k *kernel) connect(ctx context.Context, info wire.ConnectionInfo) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(info.IP + "-5"); err == nil {
			break
		}
		select {
		case err := <-k.exited:
			return fmt.Errorf("the kernel exited before it was ready (%v): %s", err, k.stderr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the kernel did not open its sockets in 30s: %s", k.stderr)
		}
	}
	c, err := wire.Dial(context.Background(), info)
	if err != nil {
		return err
	}
	k.client = c
	go pump(c.Shell, k.shell)
	go pump(c.IOPub, k.iopub)
	// IOPub is a subscription: wait until the kernel's messages arrive on
	// it, as jupyter_client's wait_for_ready does, so no output is lost.
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
				return fmt.Errorf("the kernel exited (%v): %s", err, k.stderr)
			case <-ctx.Done():
				return ctx.Err()
			case <-retry:
				break wait
			}
		}
	}
	return fmt.Errorf("the kernel did not answer in 30s: %s", k.stderr)
}

func (k *kernel) drainShell() {
	for {
		select {
		case <-k.shell:
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

// pump forwards messages from a socket until it closes, dropping bad ones.
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

// execution is what one cell produced.
type execution struct {
	count   int
	outputs *outputs
	failed  *errorOutput
}

type errorOutput struct {
	Ename, Evalue string
	Traceback     []string
}

// execute runs code and collects what the kernel publishes for it until
// it is idle again and has replied. Cancelling ctx interrupts the cell.
func (k *kernel) execute(ctx context.Context, code string, outs *outputs) (execution, error) {
	req, err := k.client.Request(k.client.Shell, "execute_request", map[string]any{
		"code": code, "silent": false, "store_history": true, "user_expressions": map[string]any{},
		"allow_stdin": false, "stop_on_error": true,
	})
	if err != nil {
		return execution{}, err
	}
	id := req.Header.MsgID
	ex := execution{outputs: outs}
	idle, replied, interrupted := false, false, false
	done := ctx.Done()
	for !idle || !replied {
		select {
		case m, ok := <-k.iopub:
			if !ok {
				return ex, fmt.Errorf("the kernel closed IOPub: %s", k.stderr)
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
			if m.Type() == "error" {
				var e errorOutput
				if err := json.Unmarshal(m.Content, &struct {
					Ename     *string   `json:"ename"`
					Evalue    *string   `json:"evalue"`
					Traceback *[]string `json:"traceback"`
				}{&e.Ename, &e.Evalue, &e.Traceback}); err == nil {
					ex.failed = &e
				}
			}
			outs.add(m)
		case m, ok := <-k.shell:
			if !ok {
				return ex, fmt.Errorf("the kernel closed its shell socket: %s", k.stderr)
			}
			if m.ParentHeader().MsgID == id && m.Type() == "execute_reply" {
				replied = true
				var c struct {
					Count int `json:"execution_count"`
				}
				_ = m.DecodeContent(&c)
				ex.count = c.Count
			}
		case err := <-k.exited:
			k.exited <- err
			return ex, fmt.Errorf("the kernel exited while the cell ran (%v): %s", err, k.stderr)
		case <-done:
			if !interrupted {
				interrupted = true
				k.client.Request(k.client.Control, "interrupt_request", map[string]any{})
			}
			done = nil
		}
	}
	if interrupted && ex.failed == nil {
		return ex, ctx.Err()
	}
	return ex, nil
}

// close asks the kernel to shut down, as a front end does, and kills it
// when it lingers.
func (k *kernel) close() {
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
		k.cmd.Process.Kill()
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
