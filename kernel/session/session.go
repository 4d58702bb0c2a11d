// Package session decides what Jupyter requests mean. It receives messages
// from the wire sockets, brackets every request with busy and idle status
// messages, runs cells on a Backend (the worker process), turns results into
// IOPub output, and keeps history and comms.
//
// Shell requests are served one at a time, in order. Control requests —
// interrupt, shutdown, kernel_info — are served on their own goroutine, so
// they are answered while a cell runs.
//
//	k := session.New(session.Config{Sockets: socks, History: hist})
//	mgr, _ := executor.Start(executor.Config{Command: argv, Output: k.Output()})
//	err := k.Run(ctx, mgr) // returns after a shutdown_request
package session

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/galley-dev/galley/kernel/executor"
	"github.com/galley-dev/galley/kernel/history"
	"github.com/galley-dev/galley/kernel/wire"
	"github.com/galley-dev/galley/stdlib/display"
)

// Backend runs code. executor.Manager implements it.
type Backend interface {
	Execute(ctx context.Context, code string, allowStdin bool, input executor.InputFunc) executor.Result
	Complete(ctx context.Context, code string, cursor int) (matches []string, start, end int, err error)
	Inspect(ctx context.Context, code string, cursor, detail int) (display.Data, bool, error)
	IsComplete(ctx context.Context, code string) (status, indent string, err error)
	Interrupt()
}

// Config configures a Kernel.
type Config struct {
	Sockets *wire.Sockets
	// History is where executed cells are recorded; nil disables history.
	History *history.Store
	Log     *slog.Logger
	// Version is reported as implementation_version.
	Version string
	// Magics are the line magics the kernel answers itself instead of
	// sending the cell to the interpreter, by name without the "%".
	Magics map[string]Magic
}

// Kernel is one Jupyter kernel session.
type Kernel struct {
	cfg    Config
	socks  *wire.Sockets
	sender wire.Sender
	log    *slog.Logger
	out    *output

	shellQ  chan *wire.Message
	inputs  chan *wire.Message
	stop    chan struct{}
	stopped sync.Once

	// count is the execution counter; only the shell goroutine touches it.
	count   int
	backend Backend

	debug debugger

	commMu  sync.Mutex
	targets map[string]CommTarget
	comms   map[string]string // open comm id -> target name
}

// New returns a kernel serving cfg.Sockets.
func New(cfg Config) *Kernel {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	k := &Kernel{
		cfg: cfg, socks: cfg.Sockets, sender: wire.NewSender(), log: cfg.Log,
		shellQ:  make(chan *wire.Message, 1024),
		inputs:  make(chan *wire.Message, 1),
		stop:    make(chan struct{}),
		targets: map[string]CommTarget{},
		comms:   map[string]string{},
	}
	k.out = newOutput(k)
	return k
}

// Output is where the backend sends streams and display events.
func (k *Kernel) Output() executor.Output { return k.out }

// Interrupt interrupts the running cell, as an interrupt_request does. The
// kernel command calls it on SIGINT.
func (k *Kernel) Interrupt() {
	if k.backend != nil {
		k.backend.Interrupt()
	}
}

// Run serves requests until a shutdown_request arrives or ctx ends. It
// reports whether a restart was requested.
func (k *Kernel) Run(ctx context.Context, backend Backend) (restart bool, err error) {
	k.backend = backend
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopFlusher := k.out.start()
	defer stopFlusher()

	k.publish(nil, "status", map[string]any{"execution_state": "starting"})

	restartc := make(chan bool, 1)
	go k.readLoop(k.socks.Shell, func(m *wire.Message) {
		select {
		case k.shellQ <- m:
		default:
			k.log.Error("shell queue full; dropping request", "type", m.Type())
		}
	})
	go k.readLoop(k.socks.Stdin, func(m *wire.Message) {
		if m.Type() != "input_reply" {
			k.log.Warn("unexpected message on stdin", "type", m.Type())
			return
		}
		select {
		case k.inputs <- m:
		default:
		}
	})
	go k.readLoop(k.socks.Control, func(m *wire.Message) { k.handleControl(ctx, m, restartc) })
	go func() {
		for {
			select {
			case <-k.stop:
				return
			case m := <-k.shellQ:
				k.handleShell(ctx, m, restartc)
			}
		}
	}()
	select {
	case <-ctx.Done():
		k.shutdown()
		return false, ctx.Err()
	case <-k.stop:
		select {
		case restart = <-restartc:
		default:
		}
		return restart, nil
	}
}

func (k *Kernel) shutdown() { k.stopped.Do(func() { close(k.stop) }) }

// readLoop receives from sock until it closes, dropping messages that fail
// to decode: a forged signature or malformed JSON costs that message only.
func (k *Kernel) readLoop(sock *wire.Socket, handle func(*wire.Message)) {
	for {
		m, err := sock.Recv()
		if errors.Is(err, wire.ErrBadMessage) {
			k.log.Warn("dropped a message", "socket", sock.Name, "err", err)
			continue
		}
		if err != nil {
			select {
			case <-k.stop:
			default:
				k.log.Error("socket closed", "socket", sock.Name, "err", err)
			}
			return
		}
		handle(m)
	}
}

// publish sends an IOPub message; parent may be nil.
func (k *Kernel) publish(parent *wire.Message, msgType string, content any) {
	m, err := k.sender.New(msgType, parent, content)
	if err != nil {
		k.log.Error("building a message", "type", msgType, "err", err)
		return
	}
	m.Identities = nil // IOPub has subscribers, not routing identities
	if err := k.socks.IOPub.Send(m); err != nil {
		k.log.Error("publishing", "type", msgType, "err", err)
	}
}

// reply answers req on sock.
func (k *Kernel) reply(sock *wire.Socket, req *wire.Message, msgType string, content any) {
	m, err := k.sender.New(msgType, req, content)
	if err != nil {
		k.log.Error("building a reply", "type", msgType, "err", err)
		return
	}
	if err := sock.Send(m); err != nil {
		k.log.Error("replying", "type", msgType, "err", err)
	}
}

func (k *Kernel) status(parent *wire.Message, state string) {
	k.out.Flush()
	k.publish(parent, "status", map[string]any{"execution_state": state})
}

func (k *Kernel) handleControl(ctx context.Context, m *wire.Message, restartc chan bool) {
	k.status(m, "busy")
	defer k.status(m, "idle")
	switch m.Type() {
	case "kernel_info_request":
		k.reply(k.socks.Control, m, "kernel_info_reply", k.kernelInfo())
	case "interrupt_request":
		k.Interrupt()
		k.reply(k.socks.Control, m, "interrupt_reply", map[string]any{"status": "ok"})
	case "shutdown_request":
		k.handleShutdown(k.socks.Control, m, restartc)
	case "debug_request":
		k.debugRequest(ctx, m)
	default:
		k.unknown(k.socks.Control, m)
	}
}

func (k *Kernel) handleShutdown(sock *wire.Socket, m *wire.Message, restartc chan bool) {
	var req struct {
		Restart bool `json:"restart"`
	}
	_ = m.DecodeContent(&req)
	k.reply(sock, m, "shutdown_reply", map[string]any{"status": "ok", "restart": req.Restart})
	select {
	case restartc <- req.Restart:
	default:
	}
	k.shutdown()
}

// unknown answers a request galley does not implement with an error reply,
// so a client waiting for it does not hang; other messages are only logged.
func (k *Kernel) unknown(sock *wire.Socket, m *wire.Message) {
	k.log.Warn("unsupported message type", "type", m.Type(), "socket", sock.Name)
	if base, ok := strings.CutSuffix(m.Type(), "_request"); ok {
		k.reply(sock, m, base+"_reply", map[string]any{
			"status": "error", "ename": "UnsupportedRequest",
			"evalue": "galley does not support " + m.Type(), "traceback": []string{},
		})
	}
}

func (k *Kernel) handleShell(ctx context.Context, m *wire.Message, restartc chan bool) {
	k.status(m, "busy")
	defer k.status(m, "idle")
	sock := k.socks.Shell
	switch m.Type() {
	case "execute_request":
		k.execute(ctx, m)
	case "kernel_info_request":
		k.reply(sock, m, "kernel_info_reply", k.kernelInfo())
	case "complete_request":
		k.complete(ctx, m)
	case "inspect_request":
		k.inspect(ctx, m)
	case "is_complete_request":
		k.isComplete(ctx, m)
	case "history_request":
		k.historyRequest(m)
	case "comm_info_request":
		k.commInfo(m)
	case "comm_open":
		k.commOpen(m)
	case "comm_msg":
		k.commMsg(m)
	case "comm_close":
		k.commClose(m)
	case "shutdown_request":
		k.handleShutdown(sock, m, restartc)
	case "interrupt_request":
		k.Interrupt()
		k.reply(sock, m, "interrupt_reply", map[string]any{"status": "ok"})
	default:
		k.unknown(sock, m)
	}
}

// badRequest answers a request whose content could not be decoded.
func (k *Kernel) badRequest(m *wire.Message, err error) {
	base, _ := strings.CutSuffix(m.Type(), "_request")
	k.log.Warn("bad request content", "type", m.Type(), "err", err)
	k.reply(k.socks.Shell, m, base+"_reply", map[string]any{
		"status": "error", "ename": "BadRequest", "evalue": err.Error(), "traceback": []string{err.Error()},
	})
}

func (k *Kernel) kernelInfo() map[string]any {
	// The debugger lists the session's variables; breakpoints and
	// stepping answer that they are not supported (see debug.go).
	_, debugger := k.backend.(VariableSource)
	return map[string]any{
		"status":                 "ok",
		"protocol_version":       wire.ProtocolVersion,
		"implementation":         "galley",
		"implementation_version": k.cfg.Version,
		"banner":                 "galley " + k.cfg.Version + " — Go for data science, interpreted by yaegi",
		"help_links": []map[string]string{
			{"text": "Go documentation", "url": "https://pkg.go.dev/"},
			{"text": "galley", "url": "https://github.com/galley-dev/galley"},
		},
		"language_info": map[string]any{
			"name":            "go",
			"version":         "1.26",
			"mimetype":        "text/x-go",
			"file_extension":  ".go",
			"pygments_lexer":  "go",
			"codemirror_mode": "go",
		},
		"debugger": debugger,
	}
}

func (k *Kernel) complete(ctx context.Context, m *wire.Message) {
	var req struct {
		Code      string `json:"code"`
		CursorPos *int   `json:"cursor_pos"`
	}
	if err := m.DecodeContent(&req); err != nil {
		k.badRequest(m, err)
		return
	}
	cursor := utf8.RuneCountInString(req.Code)
	if req.CursorPos != nil && *req.CursorPos >= 0 && *req.CursorPos <= cursor {
		cursor = *req.CursorPos
	}
	matches, start, end, err := k.backend.Complete(ctx, req.Code, cursor)
	if err != nil {
		k.log.Warn("completion failed", "err", err)
		matches, start, end = nil, cursor, cursor
	}
	if matches == nil {
		matches = []string{}
	}
	k.reply(k.socks.Shell, m, "complete_reply", map[string]any{
		"status": "ok", "matches": matches, "cursor_start": start, "cursor_end": end, "metadata": map[string]any{},
	})
}

func (k *Kernel) inspect(ctx context.Context, m *wire.Message) {
	var req struct {
		Code        string `json:"code"`
		CursorPos   *int   `json:"cursor_pos"`
		DetailLevel int    `json:"detail_level"`
	}
	if err := m.DecodeContent(&req); err != nil {
		k.badRequest(m, err)
		return
	}
	cursor := utf8.RuneCountInString(req.Code)
	if req.CursorPos != nil && *req.CursorPos >= 0 && *req.CursorPos <= cursor {
		cursor = *req.CursorPos
	}
	d, found, err := k.backend.Inspect(ctx, req.Code, cursor, req.DetailLevel)
	if err != nil {
		k.log.Warn("inspect failed", "err", err)
	}
	content := map[string]any{"status": "ok", "found": found, "data": map[string]any{}, "metadata": map[string]any{}}
	if found {
		content["data"] = bundle(d)
		content["metadata"] = metadata(d)
	}
	k.reply(k.socks.Shell, m, "inspect_reply", content)
}

func (k *Kernel) isComplete(ctx context.Context, m *wire.Message) {
	var req struct {
		Code string `json:"code"`
	}
	if err := m.DecodeContent(&req); err != nil {
		k.badRequest(m, err)
		return
	}
	status, indent, err := k.backend.IsComplete(ctx, req.Code)
	if err != nil {
		k.log.Warn("is_complete failed", "err", err)
		status = "unknown"
	}
	switch status {
	case "complete", "incomplete", "invalid", "unknown":
	default:
		status = "unknown"
	}
	content := map[string]any{"status": status}
	if status == "incomplete" {
		// Consoles insert the indent as typed text, and a tab there shows
		// as ^I (jupyter console) or a jump to the next tab stop; four
		// spaces per level is what they display well, and gofmt turns
		// them back into tabs.
		content["indent"] = strings.ReplaceAll(indent, "\t", "    ")
	}
	k.reply(k.socks.Shell, m, "is_complete_reply", content)
}

func bundle(d display.Data) map[string]any {
	out := map[string]any{}
	for k, v := range d.Bundle {
		out[k] = v
	}
	return out
}

func metadata(d display.Data) map[string]any {
	if d.Metadata == nil {
		return map[string]any{}
	}
	return d.Metadata
}
