package celltest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/engine/celltest"
	"github.com/galley-dev/galley/kernel/frontend"
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

// kernelBackend is a running kernel driven as a front end drives it.
type kernelBackend struct {
	t *testing.T
	k *frontend.Kernel
}

// startKernel starts `galley kernel` and waits until it answers on IOPub,
// so no output is lost to the subscription starting late. The kernel is
// shut down when t ends.
func startKernel(t *testing.T, galley string) *kernelBackend {
	t.Helper()
	dir := t.TempDir()
	env := append(os.Environ(), "GALLEY_HISTORY_FILE="+filepath.Join(dir, "history.jsonl"))
	k, err := frontend.Start(context.Background(), galley, frontend.Options{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(k.Stderr())
		}
		k.Close()
	})
	return &kernelBackend{t: t, k: k}
}

// Run executes code and collects what the kernel publishes for it until
// the kernel goes idle and the execute_reply has arrived.
func (b *kernelBackend) Run(ctx context.Context, code string) string {
	var shown celltest.Shown
	var out strings.Builder
	_, err := b.k.Execute(ctx, code, false, func(m *wire.Message) {
		switch m.Type() {
		case "stream":
			var c struct{ Text string }
			b.decode(m, &c)
			out.WriteString(c.Text)
		case "execute_result":
			var c struct{ Data map[string]any }
			b.decode(m, &c)
			text, _ := c.Data["text/plain"].(string)
			shown.Result = &text
		case "error":
			var c struct {
				Ename, Evalue string
				Traceback     []string
			}
			b.decode(m, &c)
			shown.Err = &celltest.Error{Name: c.Ename, Value: c.Evalue, Traceback: c.Traceback}
		}
	})
	if err != nil {
		return out.String() + err.Error()
	}
	shown.Output = out.String()
	return shown.Transcript()
}

func (b *kernelBackend) decode(m *wire.Message, v any) {
	if err := m.DecodeContent(v); err != nil {
		b.t.Errorf("%s: %v", m.Type(), err)
	}
}
