package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galley-dev/galley/kernel/executor"
	"github.com/galley-dev/galley/stdlib/display"
)

// The session tests run a real worker process: this test binary, started
// again with GALLEY_TEST_WORKER=1, serving a tiny line-oriented engine. It
// exercises the supervisor, the pipes and crash handling without depending
// on the interpreter.
func TestMain(m *testing.M) {
	if os.Getenv("GALLEY_TEST_WORKER") == "1" {
		err := executor.ServeInherited(context.Background(), executor.Options{
			MemoryLimit: 512 << 20,
			MaxStack:    64 << 20,
			NewEngine: func(stdin io.Reader, stdout, stderr io.Writer) (executor.Engine, error) {
				return &fakeEngine{stdin: stdin, stdout: stdout, stderr: stderr, vars: map[string]string{}}, nil
			},
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

type fakeEngine struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	mu             sync.Mutex
	vars           map[string]string
}

type cellErr struct{ msg string }

func (e cellErr) Error() string       { return e.msg }
func (e cellErr) Ename() string       { return "CellError" }
func (e cellErr) Evalue() string      { return e.msg }
func (e cellErr) Traceback() []string { return []string{"CellError: " + e.msg} }

// retained keeps what "alloc" allocates reachable.
var retained [][]byte

// recurse overflows the stack, on purpose.
//
//lint:ignore SA5007 the unbounded recursion is what the test needs
func recurse(n int) int { return recurse(n+1) + 1 }

// Execute runs one command per line: print, eprint, result, error, set,
// get, sleep, hang, input, display, update, clear, crash, overflow, osexit.
func (f *fakeEngine) Execute(ctx context.Context, code string) (*display.Data, error) {
	var result *display.Data
	for _, line := range strings.Split(code, "\n") {
		cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch cmd {
		case "":
		case "print":
			fmt.Fprintln(f.stdout, arg)
		case "eprint":
			fmt.Fprintln(f.stderr, arg)
		case "result":
			d := display.Text(arg)
			result = &d
		case "error":
			return nil, cellErr{arg}
		case "plainerror":
			return nil, errors.New(arg)
		case "set":
			k, v, _ := strings.Cut(arg, "=")
			f.mu.Lock()
			f.vars[k] = v
			f.mu.Unlock()
		case "get":
			f.mu.Lock()
			d := display.Text(f.vars[arg])
			f.mu.Unlock()
			result = &d
		case "sleep":
			<-ctx.Done()
			return nil, ctx.Err()
		case "pause":
			time.Sleep(100 * time.Millisecond)
		case "hang":
			select {}
		case "input":
			var s string
			if _, err := fmt.Fscanln(f.stdin, &s); err != nil {
				return nil, err
			}
			fmt.Fprintln(f.stdout, "got "+s)
		case "display":
			display.Show(display.HTML(arg))
		case "clear":
			display.ClearOutput(true)
		case "crash":
			done := make(chan struct{})
			go func() { panic("boom in a goroutine") }()
			<-done
		case "overflow":
			//lint:ignore SA4017 called for its stack overflow
			recurse(0)
		case "alloc":
			for {
				b := make([]byte, 16<<20)
				for i := 0; i < len(b); i += 4096 { // touch every page
					b[i] = 1
				}
				retained = append(retained, b)
			}
		case "osexit":
			os.Exit(7)
		case "closestdout":
			os.Stdout.Close()
		default:
			return nil, fmt.Errorf("unknown command %q", cmd)
		}
	}
	return result, nil
}

func (f *fakeEngine) Complete(code string, cursor int) ([]string, int, int) {
	return []string{"print", "println"}, 0, cursor
}

func (f *fakeEngine) Inspect(code string, cursor, detail int) (display.Data, bool) {
	if code == "print" {
		return display.Text("print writes its argument"), true
	}
	return display.Data{}, false
}

func (f *fakeEngine) IsComplete(code string) (string, string) {
	if strings.HasSuffix(code, "{") {
		return "incomplete", "\t"
	}
	return "complete", ""
}

// Variables lists the variables "set" defined, for the debugger.
func (f *fakeEngine) Variables(ref int) []executor.Variable {
	if ref != executor.GlobalsRef {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var vs []executor.Variable
	for k, v := range f.vars {
		vs = append(vs, executor.Variable{Name: k, Type: "string", Value: v})
	}
	return vs
}

func (f *fakeEngine) RichVariable(name string) (display.Data, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.vars[name]
	return display.Text(v), ok
}
