package executor

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"

	"github.com/galley-dev/galley/stdlib/display"
)

// Engine is what the worker needs from an interpreter session. The kernel's
// exec package provides it. Completion, inspection and the completeness
// check are optional capabilities, each its own interface.
type Engine interface {
	Execute(ctx context.Context, code string) (*display.Data, error)
}

// Completer completes code at cursor (in code points), returning the
// matches and the range of code they replace.
type Completer interface {
	Complete(code string, cursor int) (matches []string, start, end int)
}

// Inspector describes the identifier at cursor.
type Inspector interface {
	Inspect(code string, cursor, detail int) (display.Data, bool)
}

// CompletenessChecker tells whether code is ready to run: "complete",
// "incomplete" (with an indent for the next line), "invalid" or "unknown".
type CompletenessChecker interface {
	IsComplete(code string) (status, indent string)
}

// VariableInspector lists the session's variables for a debugger's
// variables panel: ref GlobalsRef lists the session's variables, other
// references the children of a variable listed earlier. RichVariable
// renders one session variable as a cell's value would show.
type VariableInspector interface {
	Variables(ref int) []Variable
	RichVariable(name string) (display.Data, bool)
}

// GlobalsRef is the reference of the session's variables.
const GlobalsRef = 1

// CellError is implemented by errors that know how Jupyter should show
// them; other errors are shown with their Go type as the name.
type CellError interface {
	Ename() string
	Evalue() string
	Traceback() []string
}

// Options configure Serve.
type Options struct {
	// NewEngine starts the interpreter with the reader cells use as
	// standard input and the writers they print to.
	NewEngine func(stdin io.Reader, stdout, stderr io.Writer) (Engine, error)
	// Requests and Events are the pipes to the supervisor (fd 3 and fd 4).
	Requests io.Reader
	Events   io.Writer
	// Stdout and Stderr are the captured file descriptors 1 and 2.
	Stdout, Stderr io.Writer
	// Marks receive the barrier marks that order output with events: the
	// same pipes as Stdout and Stderr, reached through descriptors of
	// their own so that a cell closing os.Stdout cannot stall the
	// supervisor. Nil entries mean Stdout and Stderr.
	Marks [2]io.Writer
	// MemoryLimit, when positive, is the most memory in bytes the worker
	// may use; beyond it the worker exits and the supervisor restarts it.
	MemoryLimit int64
	// MaxStack bounds a goroutine's stack so runaway recursion fails fast
	// instead of growing to the runtime's default of 1 GB. Zero keeps 256 MB.
	MaxStack int
}

// Serve runs the worker until the request pipe closes (the supervisor went
// away or asked it to stop).
func Serve(ctx context.Context, opts Options) error {
	if opts.MaxStack == 0 {
		opts.MaxStack = 256 << 20
	}
	debug.SetMaxStack(opts.MaxStack)
	if opts.MemoryLimit > 0 {
		stop := watchMemory(opts.MemoryLimit, opts.Stderr)
		defer stop()
	}
	s := &server{opts: opts, ctx: ctx, enc: json.NewEncoder(opts.Events)}
	engine, err := opts.NewEngine(&stdinReader{s: s}, opts.Stdout, opts.Stderr)
	if err != nil {
		return fmt.Errorf("starting the interpreter: %w", err)
	}
	s.engine = engine
	display.SetPublisher(publisher{s})

	dec := json.NewDecoder(bufio.NewReaderSize(opts.Requests, 64<<10))
	var running sync.WaitGroup
	defer running.Wait()
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
				s.interrupt()
				return nil
			}
			return fmt.Errorf("reading a request from the supervisor: %w", err)
		}
		switch req.Op {
		case "execute":
			running.Add(1)
			go func() {
				defer running.Done()
				s.execute(req)
			}()
		case "interrupt":
			s.interrupt()
		case "input_reply":
			s.inputReply(req)
		case "complete", "inspect", "is_complete", "variables", "rich_variable":
			s.send(s.introspect(req))
		default:
			s.send(event{ID: req.ID, Kind: "result", Error: &ErrorInfo{Ename: "ProtocolError", Evalue: "unknown worker request " + req.Op}})
		}
	}
}

// introspect answers completion, inspection and completeness requests. A
// panic in the engine costs the answer, not the session.
func (s *server) introspect(req request) (ev event) {
	defer func() {
		if r := recover(); r != nil {
			ev = event{ID: req.ID, Kind: "result", Error: &ErrorInfo{Ename: "panic", Evalue: fmt.Sprint(r)}}
		}
	}()
	ev = event{ID: req.ID, Kind: "result"}
	switch req.Op {
	case "complete":
		ev.CursorStart, ev.CursorEnd = req.Cursor, req.Cursor
		if c, ok := s.engine.(Completer); ok {
			ev.Matches, ev.CursorStart, ev.CursorEnd = c.Complete(req.Code, req.Cursor)
		}
	case "inspect":
		if in, ok := s.engine.(Inspector); ok {
			if d, found := in.Inspect(req.Code, req.Cursor, req.Detail); found {
				ev.Found, ev.Data = true, &d
			}
		}
	case "variables":
		if vi, ok := s.engine.(VariableInspector); ok {
			ev.Variables = vi.Variables(req.Ref)
		}
	case "rich_variable":
		if vi, ok := s.engine.(VariableInspector); ok {
			if d, found := vi.RichVariable(req.Code); found {
				ev.Found, ev.Data = true, &d
			}
		}
	case "is_complete":
		ev.Status = "unknown"
		if c, ok := s.engine.(CompletenessChecker); ok {
			ev.Status, ev.Indent = c.IsComplete(req.Code)
		}
	}
	return ev
}

type server struct {
	opts   Options
	ctx    context.Context
	engine Engine

	encMu sync.Mutex
	enc   *json.Encoder

	mu   sync.Mutex
	cell *cell // the running cell, nil between cells
	last uint64
}

type cell struct {
	id          uint64
	ctx         context.Context
	cancel      context.CancelFunc
	interrupted bool
	allowStdin  bool
	input       chan request
}

// send writes one event. Output that cannot be encoded (a bundle holding a
// channel, say) is replaced by a message saying so, not lost silently.
func (s *server) send(ev event) {
	b, err := json.Marshal(ev)
	if err != nil && ev.Data != nil {
		text := display.Text(fmt.Sprintf("galley: this output cannot be shown: %v", err))
		ev.Data = &text
		b, err = json.Marshal(ev)
	}
	if err != nil {
		ev = event{ID: ev.ID, Kind: ev.Kind, Error: &ErrorInfo{Ename: "EncodingError", Evalue: err.Error(), Traceback: []string{err.Error()}}}
		b, _ = json.Marshal(ev)
	}
	s.encMu.Lock()
	defer s.encMu.Unlock()
	b = append(b, '\n')
	_, _ = s.opts.Events.Write(b)
}

// barrier marks the current position in both output streams; the
// supervisor holds back the next event until it has seen the mark on both.
func (s *server) barrier() string {
	b := newBarrier()
	out, errw := s.opts.Marks[0], s.opts.Marks[1]
	if out == nil {
		out = s.opts.Stdout
	}
	if errw == nil {
		errw = s.opts.Stderr
	}
	_, _ = io.WriteString(out, b)
	_, _ = io.WriteString(errw, b)
	return b
}

func (s *server) execute(req request) {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	c := &cell{id: req.ID, ctx: ctx, cancel: cancel, allowStdin: req.AllowStdin, input: make(chan request, 1)}
	s.mu.Lock()
	s.cell, s.last = c, req.ID
	s.mu.Unlock()

	data, err := s.run(ctx, req.Code)

	s.mu.Lock()
	s.cell = nil
	interrupted := c.interrupted
	s.mu.Unlock()

	ev := event{ID: req.ID, Kind: "result", Data: data}
	switch {
	case interrupted:
		ev.Data = nil
		ev.Error = &ErrorInfo{Ename: "Interrupted", Evalue: "the cell was interrupted",
			Traceback: []string{"Interrupted: the cell was interrupted; variables from earlier cells are kept"}}
	case err != nil:
		ev.Error = errorInfo(err)
	}
	ev.Barrier = s.barrier()
	s.send(ev)
}

// run executes code, turning a panic that escapes the engine into an error
// so that the worker survives it.
func (s *server) run(ctx context.Context, code string) (data *display.Data, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError{value: r, stack: debug.Stack()}
		}
	}()
	return s.engine.Execute(ctx, code)
}

type panicError struct {
	value any
	stack []byte
}

func (p panicError) Error() string       { return fmt.Sprint(p.value) }
func (p panicError) Ename() string       { return "panic" }
func (p panicError) Evalue() string      { return fmt.Sprint(p.value) }
func (p panicError) Traceback() []string { return []string{"panic: " + p.Evalue(), string(p.stack)} }

func errorInfo(err error) *ErrorInfo {
	var ce CellError
	if errors.As(err, &ce) {
		return &ErrorInfo{Ename: ce.Ename(), Evalue: ce.Evalue(), Traceback: ce.Traceback()}
	}
	return &ErrorInfo{Ename: fmt.Sprintf("%T", err), Evalue: err.Error(), Traceback: []string{err.Error()}}
}

func (s *server) interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cell != nil {
		s.cell.interrupted = true
		s.cell.cancel()
	}
}

func (s *server) inputReply(req request) {
	s.mu.Lock()
	c := s.cell
	s.mu.Unlock()
	if c == nil {
		return
	}
	select {
	case c.input <- req:
	default:
	}
}

// errNoStdin explains why input failed rather than leaving a cell blocked.
var errNoStdin = errors.New("standard input is not available: the front end did not allow input for this cell (allow_stdin is false)")

// ask requests a line of input from the front end for the running cell.
func (s *server) ask(prompt string, password bool) (string, error) {
	s.mu.Lock()
	c := s.cell
	s.mu.Unlock()
	if c == nil || !c.allowStdin {
		return "", errNoStdin
	}
	s.send(event{ID: c.id, Kind: "input", Prompt: prompt, Password: password, Barrier: s.barrier()})
	select {
	case r := <-c.input:
		if r.Err != "" {
			return "", errors.New("reading standard input: " + r.Err)
		}
		return r.Value, nil
	case <-c.ctx.Done():
		return "", errors.New("reading standard input: the cell was interrupted")
	}
}

// stdinReader is the cells' standard input: each time its buffer runs dry it
// asks the front end for another line.
type stdinReader struct {
	s   *server
	mu  sync.Mutex
	buf []byte
}

func (r *stdinReader) Read(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.buf) == 0 {
		line, err := r.s.ask("", false)
		if err != nil {
			return 0, err
		}
		r.buf = []byte(line + "\n")
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// publisher forwards display events of cells to the supervisor.
type publisher struct{ s *server }

func (p publisher) id() uint64 {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.s.last
}

func (p publisher) Display(d display.Data, id string) {
	p.s.send(event{ID: p.id(), Kind: "display", Data: &d, DisplayID: id, Barrier: p.s.barrier()})
}

func (p publisher) Update(d display.Data, id string) {
	p.s.send(event{ID: p.id(), Kind: "update", Data: &d, DisplayID: id, Barrier: p.s.barrier()})
}

func (p publisher) Clear(wait bool) {
	p.s.send(event{ID: p.id(), Kind: "clear", Wait: wait, Barrier: p.s.barrier()})
}

// ServeInherited runs Serve on the file descriptors a Manager passes to the
// worker: requests on fd 3, events on fd 4, output on fd 1 and 2.
func ServeInherited(ctx context.Context, opts Options) error {
	requests := os.NewFile(3, "requests")
	events := os.NewFile(4, "events")
	if requests == nil || events == nil {
		return errors.New("the worker must be started by a galley kernel (file descriptors 3 and 4 missing)")
	}
	// SIGINT reaches the whole process group from a terminal; interrupts
	// are the supervisor's business, delivered as requests.
	signal.Ignore(os.Interrupt)
	opts.Requests, opts.Events = requests, events
	opts.Stdout, opts.Stderr = os.Stdout, os.Stderr
	opts.Marks = [2]io.Writer{sameFile(os.Stdout), sameFile(os.Stderr)}
	return Serve(ctx, opts)
}

// ParseSize parses a memory size such as 512MiB, 2GiB, 1.5G or 1048576.
func ParseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1}}
	num, mult := strings.TrimSpace(s), 1.0
	for _, u := range units {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("bad memory size %q (examples: 512MiB, 2GiB, 1073741824)", s)
	}
	return int64(f * mult), nil
}
