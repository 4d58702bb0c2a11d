// Package executor runs notebook cells in a child process and talks to it
// from the kernel's supervisor.
//
// The supervisor owns the Jupyter sockets; the interpreter lives in a worker
// process so that code which crashes the Go runtime (a stack overflow,
// concurrent map writes, running out of memory) takes down only the worker.
// The supervisor notices, reports the cause to the running cell, and starts
// a fresh worker.
//
// The two halves are Serve, the worker's main loop, and Manager, the
// supervisor's handle on the current worker process. Between them:
//
//   - fd 1 and 2 of the worker are pipes the Manager reads, so everything a
//     cell prints — through fmt, log, or native code writing to the file
//     descriptors — is captured and streamed live;
//   - fd 3 carries requests (execute, complete, interrupt, input replies) and
//     fd 4 carries events (results, display updates, input requests), both
//     as JSON lines;
//   - before each event whose order matters, the worker writes a random
//     barrier token to fd 1 and 2. The Manager strips the token from the
//     stream and delivers the event only after the output that preceded it,
//     so a cell's prints always come before its result.
package executor

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/galley-dev/galley/stdlib/display"
)

// request is a message from the supervisor to the worker.
type request struct {
	ID         uint64 `json:"id"`
	Op         string `json:"op"`             // execute, complete, inspect, is_complete, variables, rich_variable, interrupt, input_reply
	Code       string `json:"code,omitempty"` // the variable's name for rich_variable
	Ref        int    `json:"ref,omitempty"`  // variables
	Cursor     int    `json:"cursor,omitempty"`
	Detail     int    `json:"detail,omitempty"`
	AllowStdin bool   `json:"allow_stdin,omitempty"`
	Value      string `json:"value,omitempty"` // input_reply
	Err        string `json:"error,omitempty"` // input_reply that failed
}

// event is a message from the worker to the supervisor. ID is the request
// it belongs to; display events raised outside any cell carry the id of the
// last cell.
type event struct {
	ID      uint64 `json:"id"`
	Kind    string `json:"kind"` // result, display, update, clear, input
	Barrier string `json:"barrier,omitempty"`

	Data      *display.Data `json:"data,omitempty"`
	DisplayID string        `json:"display_id,omitempty"`
	Wait      bool          `json:"wait,omitempty"`

	Prompt   string `json:"prompt,omitempty"`
	Password bool   `json:"password,omitempty"`

	Error       *ErrorInfo `json:"error,omitempty"`
	Matches     []string   `json:"matches,omitempty"`
	CursorStart int        `json:"cursor_start,omitempty"`
	CursorEnd   int        `json:"cursor_end,omitempty"`
	Found       bool       `json:"found,omitempty"`
	Status      string     `json:"status,omitempty"`
	Indent      string     `json:"indent,omitempty"`
	Variables   []Variable `json:"variables,omitempty"`
}

// Variable is one line of a debugger's variables panel, as the engine
// describes it: a session variable or a field, element or entry of one.
// Ref, when not zero, lists its children.
type Variable struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value string `json:"value"`
	Ref   int    `json:"ref,omitempty"`
}

// ErrorInfo is a failed cell as Jupyter shows it.
type ErrorInfo struct {
	Ename     string   `json:"ename"`
	Evalue    string   `json:"evalue"`
	Traceback []string `json:"traceback"`
}

// barrierPrefix starts every barrier token. The record separator makes an
// accidental match with user output practically impossible.
const barrierPrefix = "\x1egalley-barrier:"

// barrierLen is the length of a whole token: prefix, 32 hex digits, and a
// closing record separator.
const barrierLen = len(barrierPrefix) + 32 + 1

func newBarrier() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return barrierPrefix + hex.EncodeToString(b[:]) + "\x1e"
}
