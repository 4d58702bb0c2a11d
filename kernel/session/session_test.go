package session

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galley-dev/galley/kernel/executor"
	"github.com/galley-dev/galley/kernel/history"
	"github.com/galley-dev/galley/kernel/wire"
)

type harness struct {
	t    *testing.T
	c    *wire.Client
	info wire.ConnectionInfo
	done chan struct{}
}

func start(t *testing.T) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	socks, err := wire.Listen(ctx, wire.ConnectionInfo{IP: "127.0.0.1", Key: "test-key"}, log)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := history.Open(filepath.Join(t.TempDir(), "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	k := New(Config{Sockets: socks, History: hist, Log: log, Version: "test"})
	mgr, err := executor.Start(executor.Config{
		Command: []string{os.Args[0]},
		Env:     append(os.Environ(), "GALLEY_TEST_WORKER=1"),
		Output:  k.Output(),
		Log:     log,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, info: socks.Info, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		_, _ = k.Run(ctx, mgr)
	}()
	h.c, err = wire.Dial(ctx, socks.Info)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		h.c.Close()
		cancel()
		<-h.done
		mgr.Close()
		socks.Close()
	})
	// IOPub is a broadcast: wait until the subscription is live, as
	// jupyter_client does, by asking for kernel_info until status arrives.
	deadline := time.Now().Add(10 * time.Second)
	for {
		req := h.send(h.c.Shell, "kernel_info_request", map[string]any{})
		h.recvReply(h.c.Shell, req)
		if _, ok := h.tryIOPub(req, 200*time.Millisecond); ok {
			h.drainIOPub()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no IOPub messages within 10s")
		}
	}
	return h
}

func (h *harness) send(sock *wire.Socket, msgType string, content any) *wire.Message {
	h.t.Helper()
	m, err := h.c.Request(sock, msgType, content)
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// channels feeds each client socket into a channel from one goroutine, so
// a receive that times out never leaves a reader behind to steal the next
// message.
var channels sync.Map // *wire.Socket -> chan *wire.Message

func recvTimeout(sock *wire.Socket, d time.Duration) (*wire.Message, bool) {
	chAny, loaded := channels.LoadOrStore(sock, make(chan *wire.Message, 1024))
	ch := chAny.(chan *wire.Message)
	if !loaded {
		go func() {
			for {
				m, err := sock.Recv()
				if err != nil {
					if errors.Is(err, wire.ErrBadMessage) {
						continue
					}
					close(ch)
					return
				}
				ch <- m
			}
		}()
	}
	select {
	case m, ok := <-ch:
		return m, ok
	case <-time.After(d):
		return nil, false
	}
}

// recvReply returns the reply to req, skipping replies to other requests.
func (h *harness) recvReply(sock *wire.Socket, req *wire.Message) *wire.Message {
	h.t.Helper()
	for {
		m, ok := recvTimeout(sock, 15*time.Second)
		if !ok {
			h.t.Fatalf("no reply to %s", req.Type())
		}
		if m.ParentHeader().MsgID == req.Header.MsgID {
			return m
		}
	}
}

// tryIOPub returns the next IOPub message whose parent is req.
func (h *harness) tryIOPub(req *wire.Message, d time.Duration) (*wire.Message, bool) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, false
		}
		m, ok := recvTimeout(h.c.IOPub, left)
		if !ok {
			return nil, false
		}
		if m.ParentHeader().MsgID == req.Header.MsgID {
			return m, true
		}
	}
}

func (h *harness) drainIOPub() {
	for {
		if _, ok := recvTimeout(h.c.IOPub, 100*time.Millisecond); !ok {
			return
		}
	}
}

// iopub collects the IOPub messages of req from busy to idle and checks the
// bracket.
func (h *harness) iopub(req *wire.Message) []*wire.Message {
	h.t.Helper()
	var msgs []*wire.Message
	for {
		m, ok := h.tryIOPub(req, 15*time.Second)
		if !ok {
			h.t.Fatalf("IOPub for %s ended without idle; got %v", req.Type(), types(msgs))
		}
		msgs = append(msgs, m)
		if m.Type() == "status" && state(m) == "idle" {
			break
		}
	}
	if msgs[0].Type() != "status" || state(msgs[0]) != "busy" {
		h.t.Fatalf("first IOPub message for %s is %v, want status busy", req.Type(), types(msgs))
	}
	return msgs
}

type execResult struct {
	reply  map[string]any
	iopub  []*wire.Message
	stdout string
	stderr string
}

func (h *harness) execute(code string, opts ...map[string]any) execResult {
	h.t.Helper()
	content := map[string]any{"code": code, "silent": false, "store_history": true, "allow_stdin": false, "stop_on_error": true}
	for _, o := range opts {
		for k, v := range o {
			content[k] = v
		}
	}
	req := h.send(h.c.Shell, "execute_request", content)
	var r execResult
	decode(h.t, h.recvReply(h.c.Shell, req), &r.reply)
	r.iopub = h.iopub(req)
	for _, m := range r.iopub {
		if m.Type() == "stream" {
			var s struct{ Name, Text string }
			decode(h.t, m, &s)
			if s.Name == "stdout" {
				r.stdout += s.Text
			} else {
				r.stderr += s.Text
			}
		}
	}
	return r
}

func decode(t *testing.T, m *wire.Message, v any) {
	t.Helper()
	if err := json.Unmarshal(m.Content, v); err != nil {
		t.Fatal(err)
	}
}

func state(m *wire.Message) string {
	var s struct {
		ExecutionState string `json:"execution_state"`
	}
	_ = json.Unmarshal(m.Content, &s)
	return s.ExecutionState
}

func types(msgs []*wire.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Type())
	}
	return out
}

func find(msgs []*wire.Message, msgType string) *wire.Message {
	for _, m := range msgs {
		if m.Type() == msgType {
			return m
		}
	}
	return nil
}

func TestKernelInfo(t *testing.T) {
	h := start(t)
	for _, sock := range []*wire.Socket{h.c.Shell, h.c.Control} {
		req := h.send(sock, "kernel_info_request", map[string]any{})
		var info struct {
			ProtocolVersion string `json:"protocol_version"`
			Implementation  string
			LanguageInfo    map[string]any `json:"language_info"`
		}
		reply := h.recvReply(sock, req)
		decode(t, reply, &info)
		if info.ProtocolVersion != "5.4" || info.Implementation != "galley" || info.LanguageInfo["name"] != "go" || info.LanguageInfo["file_extension"] != ".go" {
			t.Errorf("kernel_info on %s = %+v", sock.Name, info)
		}
		if reply.Header.Version != "5.4" || reply.Header.Username == "" {
			t.Errorf("reply header %+v", reply.Header)
		}
		if got := types(h.iopub(req)); strings.Join(got, ",") != "status,status" {
			t.Errorf("IOPub around kernel_info on %s = %v, want busy then idle", sock.Name, got)
		}
	}
}

func TestExecuteOrdering(t *testing.T) {
	h := start(t)
	r := h.execute("print one\neprint two\ndisplay <b>x</b>\nprint three\nresult 42")
	if r.reply["status"] != "ok" || r.reply["execution_count"] != 1.0 {
		t.Fatalf("reply %v", r.reply)
	}
	var seq []string
	for _, m := range r.iopub {
		seq = append(seq, m.Type())
	}
	got := strings.Join(seq, ",")
	// Streams before the display come before it, the rest before the result.
	if !strings.HasPrefix(got, "status,execute_input,") || !strings.HasSuffix(got, "stream,execute_result,status") {
		t.Fatalf("IOPub sequence %s", got)
	}
	if strings.Index(got, "display_data") < strings.Index(got, "stream") {
		t.Fatalf("display came before the text printed before it: %s", got)
	}
	if r.stdout != "one\nthree\n" || r.stderr != "two\n" {
		t.Fatalf("stdout %q stderr %q", r.stdout, r.stderr)
	}
	var res struct {
		Data           map[string]any
		ExecutionCount int `json:"execution_count"`
	}
	decode(t, find(r.iopub, "execute_result"), &res)
	if res.Data["text/plain"] != "42" || res.ExecutionCount != 1 {
		t.Fatalf("execute_result %+v", res)
	}
	var disp struct {
		Data      map[string]any
		Transient map[string]any
	}
	decode(t, find(r.iopub, "display_data"), &disp)
	if disp.Data["text/html"] != "<b>x</b>" || disp.Transient["display_id"] == "" {
		t.Fatalf("display_data %+v", disp)
	}

	// silent: no broadcasts, no new execution count.
	s := h.execute("result 1", map[string]any{"silent": true})
	if s.reply["execution_count"] != 1.0 || find(s.iopub, "execute_result") != nil || find(s.iopub, "execute_input") != nil {
		t.Fatalf("silent execute: reply %v, IOPub %v", s.reply, types(s.iopub))
	}
	if r := h.execute("result 2"); r.reply["execution_count"] != 2.0 {
		t.Fatalf("execution_count after silent = %v, want 2", r.reply["execution_count"])
	}
	if r := h.execute("clear"); find(r.iopub, "clear_output") == nil {
		t.Fatalf("no clear_output in %v", types(r.iopub))
	}
}

func TestErrorsAndStopOnError(t *testing.T) {
	h := start(t)
	r := h.execute("error it broke")
	if r.reply["status"] != "error" || r.reply["ename"] != "CellError" || r.reply["evalue"] != "it broke" {
		t.Fatalf("reply %v", r.reply)
	}
	if e := find(r.iopub, "error"); e == nil {
		t.Fatalf("no error message in %v", types(r.iopub))
	}
	if r := h.execute("plainerror plain"); r.reply["ename"] != "*errors.errorString" || r.reply["evalue"] != "plain" {
		t.Fatalf("plain error reply %v", r.reply)
	}

	// Three requests at once: the first fails (after the others are queued
	// behind it), and the queued ones are aborted.
	first := h.send(h.c.Shell, "execute_request", map[string]any{"code": "pause\nerror first", "stop_on_error": true})
	second := h.send(h.c.Shell, "execute_request", map[string]any{"code": "print second"})
	third := h.send(h.c.Shell, "execute_request", map[string]any{"code": "print third"})
	var r1, r2, r3 map[string]any
	decode(t, h.recvReply(h.c.Shell, first), &r1)
	decode(t, h.recvReply(h.c.Shell, second), &r2)
	decode(t, h.recvReply(h.c.Shell, third), &r3)
	if r1["status"] != "error" || r2["status"] != "aborted" || r3["status"] != "aborted" {
		t.Fatalf("statuses %v %v %v, want error aborted aborted", r1["status"], r2["status"], r3["status"])
	}
	if r := h.execute("print after"); r.reply["status"] != "ok" || r.stdout != "after\n" {
		t.Fatalf("kernel did not recover after aborting: %v %q", r.reply, r.stdout)
	}
}

func TestInterrupt(t *testing.T) {
	h := start(t)
	h.execute("set x=kept")
	req := h.send(h.c.Shell, "execute_request", map[string]any{"code": "sleep"})
	time.Sleep(200 * time.Millisecond)
	begin := time.Now()
	ir := h.send(h.c.Control, "interrupt_request", map[string]any{})
	h.recvReply(h.c.Control, ir)
	var reply map[string]any
	decode(t, h.recvReply(h.c.Shell, req), &reply)
	// The cell would sleep far longer; the bound tells an interrupt that
	// works from one that waits for the cell, not how fast it is.
	if took := time.Since(begin); took > 10*time.Second {
		t.Errorf("interrupt took %v: it waited for the cell", took)
	}
	if reply["status"] != "error" || reply["ename"] != "Interrupted" {
		t.Fatalf("reply %v", reply)
	}
	if r := h.execute("get x"); r.reply["status"] != "ok" || !strings.Contains(string(find(r.iopub, "execute_result").Content), "kept") {
		t.Fatalf("state lost after interrupt: %v", r.reply)
	}

	// A cell that ignores the interrupt is killed with its executor.
	req = h.send(h.c.Shell, "execute_request", map[string]any{"code": "hang"})
	time.Sleep(200 * time.Millisecond)
	begin = time.Now()
	h.recvReply(h.c.Control, h.send(h.c.Control, "interrupt_request", map[string]any{}))
	decode(t, h.recvReply(h.c.Shell, req), &reply)
	if took := time.Since(begin); took > 10*time.Second {
		t.Errorf("killing a hung cell took %v: it waited for the cell", took)
	}
	if reply["status"] != "error" || !strings.Contains(reply["evalue"].(string), "restarted") {
		t.Fatalf("reply %v", reply)
	}
	if r := h.execute("print alive"); r.stdout != "alive\n" {
		t.Fatalf("worker not answering after restart: %v", r.reply)
	}
}

func TestWorkerCrashes(t *testing.T) {
	h := start(t)
	tests := []struct{ code, cause string }{
		{"crash", "panic: boom in a goroutine"},
		{"overflow", "stack overflow"},
		{"osexit", "exit status 7"},
		{"alloc", "memory limit exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			h.execute("set x=1")
			begin := time.Now()
			r := h.execute(tt.code)
			if r.reply["status"] != "error" || r.reply["ename"] != "KernelRestarted" {
				t.Fatalf("reply %v", r.reply)
			}
			evalue := r.reply["evalue"].(string)
			if !strings.Contains(evalue, tt.cause) || !strings.Contains(evalue, "state was lost") {
				t.Errorf("evalue %q does not name the cause %q and the lost state", evalue, tt.cause)
			}
			r = h.execute("get x")
			if time.Since(begin) > 10*time.Second {
				t.Errorf("answering again took %v, want under 10s", time.Since(begin))
			}
			if r.reply["status"] != "ok" || !strings.Contains(string(find(r.iopub, "execute_result").Content), `"text/plain":""`) {
				t.Errorf("after restart: %v (state should be fresh)", r.reply)
			}
		})
	}
}

func TestStdin(t *testing.T) {
	h := start(t)
	req := h.send(h.c.Shell, "execute_request", map[string]any{"code": "input", "allow_stdin": true})
	ir, ok := recvTimeout(h.c.Stdin, 10*time.Second)
	if !ok || ir.Type() != "input_request" || ir.ParentHeader().MsgID != req.Header.MsgID {
		t.Fatalf("no input_request for the cell: %v", ir)
	}
	reply, _ := h.c.Sender.New("input_reply", ir, map[string]any{"value": "gopher"})
	reply.Identities = nil
	if err := h.c.Stdin.Send(reply); err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	decode(t, h.recvReply(h.c.Shell, req), &rep)
	out := ""
	for _, m := range h.iopub(req) {
		if m.Type() == "stream" {
			out += string(m.Content)
		}
	}
	if rep["status"] != "ok" || !strings.Contains(out, "got gopher") {
		t.Fatalf("reply %v output %s", rep, out)
	}

	r := h.execute("input", map[string]any{"allow_stdin": false})
	if r.reply["status"] != "error" || !strings.Contains(r.reply["evalue"].(string), "allow_stdin is false") {
		t.Fatalf("reading stdin without allow_stdin: %v", r.reply)
	}
}

func TestIntrospectionHistoryComms(t *testing.T) {
	h := start(t)
	var c map[string]any
	decode(t, h.recvReply(h.c.Shell, h.send(h.c.Shell, "complete_request", map[string]any{"code": "pr", "cursor_pos": 2})), &c)
	if c["status"] != "ok" || len(c["matches"].([]any)) != 2 || c["cursor_end"] != 2.0 {
		t.Errorf("complete_reply %v", c)
	}
	decode(t, h.recvReply(h.c.Shell, h.send(h.c.Shell, "inspect_request", map[string]any{"code": "print", "cursor_pos": 5})), &c)
	if c["found"] != true || c["data"].(map[string]any)["text/plain"] == nil {
		t.Errorf("inspect_reply %v", c)
	}
	decode(t, h.recvReply(h.c.Shell, h.send(h.c.Shell, "is_complete_request", map[string]any{"code": "if x {"})), &c)
	// Consoles get spaces: a tab would show as ^I in jupyter console.
	if c["status"] != "incomplete" || c["indent"] != "    " {
		t.Errorf("is_complete_reply %v", c)
	}
	r := h.execute("?print")
	if r.reply["status"] != "ok" || len(r.reply["payload"].([]any)) != 1 {
		t.Errorf("?print reply %v", r.reply)
	}
	if r := h.execute("%doc nothing"); r.reply["status"] != "error" {
		t.Errorf("%%doc of something unknown: %v", r.reply)
	}

	h.execute("result a")
	h.execute("result b")
	var hist struct{ History [][]any }
	decode(t, h.recvReply(h.c.Shell, h.send(h.c.Shell, "history_request", map[string]any{"hist_access_type": "tail", "n": 2, "output": true, "raw": true})), &hist)
	if len(hist.History) != 2 || hist.History[1][2].([]any)[0] != "result b" || hist.History[1][2].([]any)[1] != "b" {
		t.Errorf("history tail %v", hist.History)
	}
	decode(t, h.recvReply(h.c.Shell, h.send(h.c.Shell, "history_request", map[string]any{"hist_access_type": "search", "pattern": "result ?", "unique": true})), &hist)
	if len(hist.History) != 2 {
		t.Errorf("history search %v", hist.History)
	}

	open := h.send(h.c.Shell, "comm_open", map[string]any{"comm_id": "c1", "target_name": "nobody", "data": map[string]any{}})
	msgs := h.iopub(open)
	cl := find(msgs, "comm_close")
	if cl == nil || !strings.Contains(string(cl.Content), `"c1"`) {
		t.Errorf("comm_open to an unknown target not closed: %v", types(msgs))
	}
	decode(t, h.recvReply(h.c.Shell, h.send(h.c.Shell, "comm_info_request", map[string]any{})), &c)
	if c["status"] != "ok" || len(c["comms"].(map[string]any)) != 0 {
		t.Errorf("comm_info_reply %v", c)
	}
	// Unknown requests get an error reply instead of silence.
	decode(t, h.recvReply(h.c.Shell, h.send(h.c.Shell, "frobnicate_request", map[string]any{})), &c)
	if c["status"] != "error" {
		t.Errorf("unknown request reply %v", c)
	}
}

// TestExitAsksFrontEnd: exit and quit end a console session as they do in
// IPython, with ipykernel's ask_exit payload, and run nothing.
func TestExitAsksFrontEnd(t *testing.T) {
	h := start(t)
	for _, code := range []string{"exit", "quit", " exit() ", "quit()"} {
		r := h.execute(code)
		payload, _ := r.reply["payload"].([]any)
		if r.reply["status"] != "ok" || len(payload) != 1 {
			t.Fatalf("%q: reply %v", code, r.reply)
		}
		if p := payload[0].(map[string]any); p["source"] != "ask_exit" || p["keepkernel"] != false {
			t.Errorf("%q: payload %v, want ask_exit", code, p)
		}
	}
	if r := h.execute("print exit"); r.reply["status"] != "ok" || len(r.reply["payload"].([]any)) != 0 {
		t.Errorf("a cell mentioning exit asked to exit: %v", r.reply)
	}
}

func TestShutdown(t *testing.T) {
	h := start(t)
	req := h.send(h.c.Control, "shutdown_request", map[string]any{"restart": false})
	var c map[string]any
	decode(t, h.recvReply(h.c.Control, req), &c)
	if c["status"] != "ok" || c["restart"] != false {
		t.Fatalf("shutdown_reply %v", c)
	}
	select {
	case <-h.done:
	case <-time.After(time.Second):
		t.Fatal("Run did not return within 1s of shutdown")
	}
}

func TestTimeMagic(t *testing.T) {
	h := start(t)
	r := h.execute("%%time\nprint timed\npause")
	if r.reply["status"] != "ok" {
		t.Fatalf("reply %v", r.reply)
	}
	text, ok := strings.CutPrefix(r.stdout, "timed\nwall time: ")
	if !ok || !strings.HasSuffix(text, "\n") {
		t.Fatalf("stdout %q", r.stdout)
	}
	if d, err := time.ParseDuration(strings.TrimSpace(text)); err != nil || d < 100*time.Millisecond {
		t.Errorf("wall time %q: %v, want at least the 100ms paused", text, err)
	}
	// The magic's line is blank to the engine, so errors keep the cell's
	// line numbers; a magic the kernel does not know is left to the engine.
	if r := h.execute("%time\nerror boom"); r.reply["status"] != "error" {
		t.Errorf("timed failing cell: %v", r.reply)
	}
	if r := h.execute("%nosuchmagic"); r.reply["status"] != "error" {
		t.Errorf("an unknown magic: %v", r.reply)
	}
}

// A cell that closes os.Stdout loses its own later output, as in Go, but
// the kernel keeps answering: its bookkeeping does not go through fd 1.
func TestClosedStdout(t *testing.T) {
	h := start(t)
	if r := h.execute("set x=4\nclosestdout"); r.reply["status"] != "ok" {
		t.Fatalf("reply %v", r.reply)
	}
	r := h.execute("eprint still here\nget x")
	if r.reply["status"] != "ok" || r.stderr != "still here\n" {
		t.Fatalf("after closing stdout: reply %v, stderr %q", r.reply, r.stderr)
	}
	if res := find(r.iopub, "execute_result"); res == nil || !strings.Contains(string(res.Content), `"text/plain":"4"`) {
		t.Errorf("state after closing stdout: %v", types(r.iopub))
	}
}
