package celltest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/engine/celltest"
	"github.com/galley-dev/galley/kernel/jupytertest"
	"github.com/galley-dev/galley/kernel/wire"
)

// TestGoldenKernel runs the golden sessions through the real kernel: a
// `galley kernel` process per session, started from a connection file the
// way Jupyter starts it, driven over ZeroMQ with execute requests. The
// engine's own TestGolden runs the same files in-process.
func TestGoldenKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a kernel process per session")
	}
	galley := jupytertest.BuildGalley(t)
	cells := celltest.RunDir(t, "../../testdata/cells", func(t *testing.T) celltest.Backend {
		return startKernel(t, galley)
	})
	t.Logf("%d golden cells through the kernel", cells)
}

// kernelBackend is a running kernel and a client connected to it.
type kernelBackend struct {
	t      *testing.T
	client *wire.Client
	shell  chan *wire.Message
	iopub  chan *wire.Message
}

// startKernel starts `galley kernel` on ipc sockets in a fresh directory
// and waits until its IOPub messages arrive, so no output is lost to the
// subscription starting late. The kernel is shut down when t ends.
func startKernel(t *testing.T, galley string) *kernelBackend {
	t.Helper()
	// Unix socket paths are short; t.TempDir's can be too long.
	dir, err := os.MkdirTemp("", "galley-golden-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	info := wire.ConnectionInfo{
		Transport: "ipc", IP: filepath.Join(dir, "k"), Key: wire.NewID(), SignatureScheme: "hmac-sha256",
		ShellPort: 1, ControlPort: 2, StdinPort: 3, IOPubPort: 4, HBPort: 5,
	}
	b, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	connFile := filepath.Join(dir, "connection.json")
	if err := os.WriteFile(connFile, b, 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, galley, "kernel", "--connection-file", connFile)
	cmd.Env = append(os.Environ(), "GALLEY_HISTORY_FILE="+filepath.Join(dir, "history.jsonl"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	client, err := dialWhenBound(ctx, info, dir)
	if err != nil {
		cancel()
		t.Fatalf("connecting to the kernel: %v\nkernel stderr:\n%s", err, stderr.String())
	}
	k := &kernelBackend{t: t, client: client, shell: make(chan *wire.Message, 16), iopub: make(chan *wire.Message, 256)}
	go pump(client.Shell, k.shell)
	go pump(client.IOPub, k.iopub)
	t.Cleanup(func() {
		// Ask politely, as a front end does; kill if the kernel lingers.
		if _, err := client.Request(client.Control, "shutdown_request", map[string]any{"restart": false}); err == nil {
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
			}
		}
		cancel()
		client.Close()
		if t.Failed() {
			t.Logf("kernel stderr:\n%s", stderr.String())
		}
	})
	if err := k.waitReady(30 * time.Second); err != nil {
		t.Fatalf("%v\nkernel stderr:\n%s", err, stderr.String())
	}
	return k
}

// dialWhenBound connects once the kernel has created its ipc sockets.
func dialWhenBound(ctx context.Context, info wire.ConnectionInfo, dir string) (*wire.Client, error) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(info.IP + "-5"); err == nil {
			return wire.Dial(ctx, info)
		}
		if time.Now().After(deadline) {
			return nil, errors.New("the kernel did not bind its sockets in 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pump forwards messages from a socket until it closes. Bad messages are
// dropped, as a front end drops them.
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

// waitReady sends kernel_info requests until one's status messages come
// back on IOPub, as jupyter_client's wait_for_ready does.
func (k *kernelBackend) waitReady(timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		req, err := k.client.Request(k.client.Shell, "kernel_info_request", map[string]any{})
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
			case <-retry:
				break wait
			case <-deadline:
				return fmt.Errorf("the kernel did not answer kernel_info on IOPub in %s", timeout)
			}
		}
	}
}

// drainShell discards replies already received, such as kernel_info
// replies to the probes.
func (k *kernelBackend) drainShell() {
	for {
		select {
		case <-k.shell:
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

// Run executes code and collects what the kernel publishes for it until
// the kernel goes idle and the execute_reply has arrived.
func (k *kernelBackend) Run(ctx context.Context, code string) string {
	req, err := k.client.Request(k.client.Shell, "execute_request", map[string]any{
		"code": code, "silent": false, "store_history": true, "allow_stdin": false, "stop_on_error": false,
	})
	if err != nil {
		return "request failed: " + err.Error()
	}
	id := req.Header.MsgID
	var shown celltest.Shown
	var out strings.Builder
	idle, replied := false, false
	for !idle || !replied {
		select {
		case m, ok := <-k.iopub:
			if !ok {
				return out.String() + "the kernel closed IOPub"
			}
			if m.ParentHeader().MsgID != id {
				continue
			}
			switch m.Type() {
			case "stream":
				var c struct{ Text string }
				k.decode(m, &c)
				out.WriteString(c.Text)
			case "execute_result":
				var c struct{ Data map[string]any }
				k.decode(m, &c)
				text, _ := c.Data["text/plain"].(string)
				shown.Result = &text
			case "error":
				var c struct {
					Ename, Evalue string
					Traceback     []string
				}
				k.decode(m, &c)
				shown.Err = &celltest.Error{Name: c.Ename, Value: c.Evalue, Traceback: c.Traceback}
			case "status":
				var c struct {
					ExecutionState string `json:"execution_state"`
				}
				k.decode(m, &c)
				idle = c.ExecutionState == "idle"
			}
		case m, ok := <-k.shell:
			if !ok {
				return out.String() + "the kernel closed its shell socket"
			}
			replied = replied || m.ParentHeader().MsgID == id && m.Type() == "execute_reply"
		case <-ctx.Done():
			return out.String() + "timed out waiting for the kernel: " + ctx.Err().Error()
		}
	}
	shown.Output = out.String()
	return shown.Transcript()
}

func (k *kernelBackend) decode(m *wire.Message, v any) {
	if err := m.DecodeContent(v); err != nil {
		k.t.Errorf("%s: %v", m.Type(), err)
	}
}
