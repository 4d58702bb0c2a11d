package executor

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/galley-dev/galley/stdlib/display"
)

// Output receives what workers produce outside of request replies: stream
// text and display events. The session implements it and sends the
// corresponding IOPub messages. Calls come from several goroutines.
type Output interface {
	Stream(name, text string)
	Display(d display.Data, id string)
	Update(d display.Data, id string)
	Clear(wait bool)
}

// InputFunc asks the front end for a line of input. It must return when
// ctx is cancelled.
type InputFunc func(ctx context.Context, prompt string, password bool) (string, error)

// Config configures a Manager.
type Config struct {
	// Command starts a worker: the path of the galley binary and the
	// arguments of its hidden worker subcommand.
	Command []string
	Env     []string
	Output  Output
	Log     *slog.Logger
	// InterruptGrace is how long an interrupted cell may take to stop
	// before the worker is killed and restarted. Zero means 700 ms, which
	// keeps the kernel answering within a second of an interrupt.
	InterruptGrace time.Duration
}

// Result is the outcome of executing a cell.
type Result struct {
	Data *display.Data
	Err  *ErrorInfo
	// Restarted reports that the worker died or was killed and a fresh
	// one replaced it: every variable of the session is gone.
	Restarted bool
}

// Manager runs requests on a worker process, restarting it when it dies.
// Requests are served one at a time; Interrupt may be called concurrently.
type Manager struct {
	cfg       Config
	callMu    sync.Mutex
	mu        sync.Mutex
	proc      *process
	nextID    uint64
	interrupt chan struct{}
	closed    bool
}

// Start starts the first worker.
func Start(cfg Config) (*Manager, error) {
	if cfg.InterruptGrace == 0 {
		cfg.InterruptGrace = 700 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	m := &Manager{cfg: cfg, interrupt: make(chan struct{}, 1)}
	p, err := m.spawn()
	if err != nil {
		return nil, err
	}
	m.proc = p
	return m, nil
}

// Interrupt stops the running cell, if any.
func (m *Manager) Interrupt() {
	select {
	case m.interrupt <- struct{}{}:
	default:
	}
}

// Restart replaces the worker with a fresh one.
func (m *Manager) Restart() error {
	m.callMu.Lock()
	defer m.callMu.Unlock()
	_, err := m.replace()
	return err
}

// Close kills the worker and everything it started.
func (m *Manager) Close() error {
	m.mu.Lock()
	p := m.proc
	m.proc, m.closed = nil, true
	m.mu.Unlock()
	if p != nil {
		p.kill()
	}
	return nil
}

// Execute runs code in the worker. Output arrives through the Output of the
// Config while it runs; input requests through input.
func (m *Manager) Execute(ctx context.Context, code string, allowStdin bool, input InputFunc) Result {
	ev, restarted, err := m.call(ctx, request{Op: "execute", Code: code, AllowStdin: allowStdin}, input)
	if err != nil {
		return Result{Err: &ErrorInfo{Ename: "KernelError", Evalue: err.Error(), Traceback: []string{err.Error()}}, Restarted: restarted}
	}
	return Result{Data: ev.Data, Err: ev.Error, Restarted: restarted}
}

// Complete returns completions for code at cursor (in code points).
func (m *Manager) Complete(ctx context.Context, code string, cursor int) (matches []string, start, end int, err error) {
	ev, _, err := m.call(ctx, request{Op: "complete", Code: code, Cursor: cursor}, nil)
	if err == nil && ev.Error != nil {
		err = errors.New(ev.Error.Evalue)
	}
	return ev.Matches, ev.CursorStart, ev.CursorEnd, err
}

// Inspect describes the identifier at cursor.
func (m *Manager) Inspect(ctx context.Context, code string, cursor, detail int) (display.Data, bool, error) {
	ev, _, err := m.call(ctx, request{Op: "inspect", Code: code, Cursor: cursor, Detail: detail}, nil)
	if err == nil && ev.Error != nil {
		err = errors.New(ev.Error.Evalue)
	}
	if err != nil || !ev.Found || ev.Data == nil {
		return display.Data{}, false, err
	}
	return *ev.Data, true, nil
}

// IsComplete reports whether code is ready to run.
func (m *Manager) IsComplete(ctx context.Context, code string) (status, indent string, err error) {
	ev, _, err := m.call(ctx, request{Op: "is_complete", Code: code}, nil)
	if err == nil && ev.Error != nil {
		err = errors.New(ev.Error.Evalue)
	}
	return ev.Status, ev.Indent, err
}

// ErrBusy is why variables cannot be listed while a cell runs: the cell
// may be changing them.
var ErrBusy = errors.New("a cell is running; variables are listed when it ends")

// Variables lists the session's variables (ref GlobalsRef) or the children
// of one listed earlier. It does not wait for a running cell: it fails
// with ErrBusy, so that a debugger's request on the control channel never
// holds up an interrupt.
func (m *Manager) Variables(ctx context.Context, ref int) ([]Variable, error) {
	ev, err := m.tryCall(ctx, request{Op: "variables", Ref: ref})
	if err == nil && ev.Error != nil {
		err = errors.New(ev.Error.Evalue)
	}
	return ev.Variables, err
}

// RichVariable renders the session variable name as a cell's value would
// show; it fails with ErrBusy while a cell runs.
func (m *Manager) RichVariable(ctx context.Context, name string) (display.Data, bool, error) {
	ev, err := m.tryCall(ctx, request{Op: "rich_variable", Code: name})
	if err == nil && ev.Error != nil {
		err = errors.New(ev.Error.Evalue)
	}
	if err != nil || !ev.Found || ev.Data == nil {
		return display.Data{}, false, err
	}
	return *ev.Data, true, nil
}

// tryCall is call when no other request is being served, else ErrBusy.
func (m *Manager) tryCall(ctx context.Context, req request) (event, error) {
	if !m.callMu.TryLock() {
		return event{}, ErrBusy
	}
	defer m.callMu.Unlock()
	ev, _, err := m.callLocked(ctx, req, nil)
	return ev, err
}

func (m *Manager) current() (*process, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("the kernel is shutting down")
	}
	if m.proc == nil {
		p, err := m.spawn()
		if err != nil {
			return nil, err
		}
		m.proc = p
	}
	return m.proc, nil
}

// replace kills the current worker and starts another.
func (m *Manager) replace() (*process, error) {
	m.mu.Lock()
	old := m.proc
	m.proc = nil
	m.mu.Unlock()
	if old != nil {
		old.kill()
	}
	return m.current()
}

// call sends req and waits for its result. It reports restarted when the
// worker had to be replaced, which loses the session's state.
func (m *Manager) call(ctx context.Context, req request, input InputFunc) (event, bool, error) {
	m.callMu.Lock()
	defer m.callMu.Unlock()
	return m.callLocked(ctx, req, input)
}

func (m *Manager) callLocked(ctx context.Context, req request, input InputFunc) (event, bool, error) {
	p, err := m.current()
	if err != nil {
		return event{}, false, err
	}
	m.nextID++
	req.ID = m.nextID
	select { // an interrupt that arrived between cells is stale
	case <-m.interrupt:
	default:
	}
	if err := p.send(req); err != nil {
		return m.died(p, req)
	}
	inputCtx, cancelInput := context.WithCancel(ctx)
	defer cancelInput()
	var grace <-chan time.Time
	for {
		select {
		case ev := <-p.results:
			switch {
			case ev.ID != req.ID:
				// The answer to a request given up on earlier.
			case ev.Kind == "input":
				go m.answerInput(inputCtx, p, ev, input)
			default:
				return ev, false, nil
			}
		case <-p.dead:
			return m.died(p, req)
		case <-m.interrupt:
			if req.Op != "execute" {
				continue
			}
			_ = p.send(request{Op: "interrupt"})
			cancelInput()
			grace = time.After(m.cfg.InterruptGrace)
		case <-grace:
			m.cfg.Log.Warn("interrupted cell did not stop; restarting the worker")
			if _, err := m.replace(); err != nil {
				m.cfg.Log.Error("restarting the worker", "err", err)
			}
			msg := "the cell did not stop when interrupted, so the worker process was restarted: variables and imports of earlier cells are lost"
			return event{Error: &ErrorInfo{Ename: "Interrupted", Evalue: msg, Traceback: []string{"Interrupted: " + msg}}}, true, nil
		case <-ctx.Done():
			_ = p.send(request{Op: "interrupt"})
			return event{}, false, ctx.Err()
		}
	}
}

func (m *Manager) answerInput(ctx context.Context, p *process, ev event, input InputFunc) {
	reply := request{Op: "input_reply"}
	if input == nil {
		reply.Err = "the front end does not accept input"
	} else if v, err := input(ctx, ev.Prompt, ev.Password); err != nil {
		reply.Err = err.Error()
	} else {
		reply.Value = v
	}
	_ = p.send(reply)
}

// died handles a worker that exited while serving req: it explains the
// cause and starts a replacement.
func (m *Manager) died(p *process, req request) (event, bool, error) {
	p.waitExit(2 * time.Second)
	cause := p.cause()
	m.cfg.Log.Error("worker died", "cause", cause)
	if _, err := m.replace(); err != nil {
		m.cfg.Log.Error("restarting the worker", "err", err)
	}
	msg := fmt.Sprintf("the Go worker process died (%s). The session state was lost: a new worker was started, so run the cells that define your variables again.", cause)
	return event{Error: &ErrorInfo{Ename: "KernelRestarted", Evalue: msg, Traceback: []string{"KernelRestarted: " + msg}}}, true, nil
}

// process is one running worker.
type process struct {
	cmd     *exec.Cmd
	log     *slog.Logger
	wmu     sync.Mutex
	reqs    *os.File
	results chan event
	dead    chan struct{} // closed when the event pipe ends
	exited  chan struct{} // closed when the process has been reaped
	waitErr error
	streams sync.WaitGroup
	tail    tailBuffer
	bars    [2]chan string   // barrier tokens seen on stdout and stderr
	acks    [2]chan struct{} // lets a stream reader go past a token
}

func (m *Manager) spawn() (*process, error) {
	if len(m.cfg.Command) == 0 {
		return nil, errors.New("worker: no command configured")
	}
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	cmd := exec.Command(m.cfg.Command[0], m.cfg.Command[1:]...)
	cmd.Env = m.cfg.Env
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = outW, errW
	cmd.ExtraFiles = []*os.File{reqR, evW}
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	// The child has its own copies; closing ours lets EOF reach the readers
	// when the child exits.
	for _, f := range []*os.File{reqR, evW, outW, errW} {
		f.Close()
	}
	if err != nil {
		for _, f := range []*os.File{reqW, evR, outR, errR} {
			f.Close()
		}
		return nil, fmt.Errorf("worker: starting %s: %w", m.cfg.Command[0], err)
	}
	p := &process{
		cmd: cmd, log: m.cfg.Log, reqs: reqW,
		results: make(chan event, 16),
		dead:    make(chan struct{}),
		exited:  make(chan struct{}),
		bars:    [2]chan string{make(chan string), make(chan string)},
		acks:    [2]chan struct{}{make(chan struct{}, 1), make(chan struct{}, 1)},
	}
	p.streams.Add(2)
	go p.readStream(outR, "stdout", 0, m.cfg.Output, nil)
	go p.readStream(errR, "stderr", 1, m.cfg.Output, &p.tail)
	go p.readEvents(evR, m.cfg.Output)
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *process) send(r request) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_, err = p.reqs.Write(append(b, '\n'))
	return err
}

// readEvents delivers display events itself, in order with the output
// around them, and hands everything else to the waiting call.
func (p *process) readEvents(r io.ReadCloser, out Output) {
	defer close(p.dead)
	defer r.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	for {
		var ev event
		if err := dec.Decode(&ev); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
				p.log.Error("reading worker events", "err", err)
			}
			return
		}
		release := func() {}
		if ev.Barrier != "" {
			release = p.awaitBarrier(ev.Barrier)
		}
		switch ev.Kind {
		case "display":
			if ev.Data != nil {
				out.Display(*ev.Data, ev.DisplayID)
			}
		case "update":
			if ev.Data != nil {
				out.Update(*ev.Data, ev.DisplayID)
			}
		case "clear":
			out.Clear(ev.Wait)
		default:
			p.results <- ev
		}
		release()
	}
}

// awaitBarrier waits until both output streams reach token, so everything
// printed before an event is sent before it. The readers stay parked at
// the token until release is called, so nothing printed after the event
// overtakes it. A cell that closed its standard output never delivers the
// token; a timeout covers that.
func (p *process) awaitBarrier(token string) (release func()) {
	deadline := time.After(time.Second)
	var parked []int
	for i, ch := range p.bars {
	wait:
		for {
			select {
			case t := <-ch:
				if t == token {
					parked = append(parked, i)
					break wait
				}
				p.ack(i) // a token whose event was lost
			case <-deadline:
				p.log.Warn("output barrier timed out")
				break wait
			}
		}
	}
	return func() {
		for _, i := range parked {
			p.ack(i)
		}
	}
}

func (p *process) ack(i int) {
	select {
	case p.acks[i] <- struct{}{}:
	default:
	}
}

// passBarrier hands a token of stream i to the event reader and waits until
// the event it marks has been delivered.
func (p *process) passBarrier(i int, token string) {
	select { // a stale acknowledgement must not release this token
	case <-p.acks[i]:
	default:
	}
	select {
	case p.bars[i] <- token:
	case <-time.After(time.Second):
		return // no event claimed it
	}
	select {
	case <-p.acks[i]:
	case <-time.After(time.Second):
	}
}

// readStream forwards the text of one output pipe, cutting out barrier
// tokens and never splitting a UTF-8 character between two messages.
func (p *process) readStream(r io.ReadCloser, name string, si int, out Output, tail *tailBuffer) {
	defer p.streams.Done()
	defer r.Close()
	buf := make([]byte, 64<<10)
	var pending []byte
	emit := func(b []byte) {
		if len(b) == 0 {
			return
		}
		if tail != nil {
			tail.Write(b)
		}
		out.Stream(name, strings.ToValidUTF8(string(b), "\uFFFD"))
	}
	for {
		n, err := r.Read(buf)
		pending = append(pending, buf[:n]...)
		for {
			i := bytes.Index(pending, []byte(barrierPrefix))
			if i < 0 || len(pending)-i < barrierLen {
				break
			}
			emit(pending[:i])
			p.passBarrier(si, string(pending[i:i+barrierLen]))
			pending = pending[i+barrierLen:]
		}
		if err != nil {
			emit(pending)
			return
		}
		keep := holdBack(pending)
		emit(pending[:len(pending)-keep])
		pending = append(pending[:0], pending[len(pending)-keep:]...)
	}
}

// holdBack returns how many trailing bytes of b must wait for more input:
// the start of a barrier token or of a multi-byte character.
func holdBack(b []byte) int {
	if i := bytes.Index(b, []byte(barrierPrefix)); i >= 0 {
		return len(b) - i
	}
	for k := min(len(barrierPrefix)-1, len(b)); k > 0; k-- {
		if bytes.HasPrefix([]byte(barrierPrefix), b[len(b)-k:]) {
			return k
		}
	}
	for k := 1; k <= min(utf8.UTFMax-1, len(b)); k++ {
		c := b[len(b)-k]
		if utf8.RuneStart(c) {
			if !utf8.FullRune(b[len(b)-k:]) {
				return k
			}
			break
		}
	}
	return 0
}

func (p *process) waitExit(d time.Duration) {
	select {
	case <-p.exited:
	case <-time.After(d):
		p.kill()
	}
	// Let the readers forward the last output, such as a crash report.
	done := make(chan struct{})
	go func() { p.streams.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Second):
	}
}

// cause names why the worker died, from the runtime's report on stderr.
func (p *process) cause() string {
	text := p.tail.String()
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, "runtime: goroutine stack exceeds"):
			return "stack overflow: " + strings.TrimPrefix(line, "runtime: ")
		case strings.HasPrefix(line, "fatal error: "):
			return line
		case strings.HasPrefix(line, "panic: "):
			return line + " (in a goroutine, where nothing recovered it)"
		}
	}
	select {
	case <-p.exited:
		if p.waitErr != nil {
			return "worker " + p.waitErr.Error()
		}
		return "the worker exited"
	default:
		return "the worker closed its connection"
	}
}

// kill ends the worker and any process it started, then reaps it.
func (p *process) kill() {
	p.reqs.Close()
	killGroup(p.cmd)
	select {
	case <-p.exited:
	case <-time.After(2 * time.Second):
		p.log.Error("worker did not exit after SIGKILL")
	}
}

// tailBuffer keeps the last bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailSize = 64 << 10

func (t *tailBuffer) Write(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, b...)
	if len(t.buf) > tailSize {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-tailSize:]...)
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
