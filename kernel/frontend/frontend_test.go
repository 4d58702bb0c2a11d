package frontend_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/kernel/frontend"
	"github.com/galley-dev/galley/kernel/jupytertest"
	"github.com/galley-dev/galley/kernel/wire"
)

// TestExecuteAndInterrupt runs a cell, keeps its state for the next one, and
// interrupts a cell that would run for an hour when its context ends.
func TestExecuteAndInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a kernel process")
	}
	k, err := frontend.Start(context.Background(), jupytertest.BuildGalley(t), frontend.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()

	var got []string
	collect := func(m *wire.Message) {
		var c struct {
			Text  string
			Ename string
		}
		_ = m.DecodeContent(&c)
		got = append(got, m.Type()+":"+c.Text+c.Ename)
	}
	if _, err := k.Execute(context.Background(), "x := 41", true, collect); err != nil {
		t.Fatal(err)
	}
	rep, err := k.Execute(context.Background(), "fmt.Println(x + 1)", true, collect)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Count != 2 || rep.Interrupted {
		t.Errorf("reply = %+v, want count 2, not interrupted", rep)
	}
	if len(got) < 2 || got[len(got)-1] != "stream:42\n" {
		t.Errorf("messages = %q, want the stream 42 last", got)
	}

	got = nil
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	rep, err = k.Execute(ctx, "time.Sleep(time.Hour)", true, collect)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || time.Since(start) > time.Minute {
		t.Errorf("reply = %+v after %s, want interrupted at once", rep, time.Since(start))
	}
	if !strings.Contains(strings.Join(got, " "), "error:") {
		t.Errorf("messages = %q, want the interrupted cell's error", got)
	}
}
