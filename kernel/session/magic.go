package session

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/galley-dev/galley/kernel/executor"
)

// A Magic is a line magic: a cell of the form "%name args" that the kernel
// answers itself. It writes what it has to say to out, which reaches the
// front end as the cell's stdout. An error becomes the cell's error output.
type Magic interface {
	Run(ctx context.Context, args string, out func(text string)) error
}

// MagicFunc adapts a function to Magic.
type MagicFunc func(ctx context.Context, args string, out func(text string)) error

// Run calls f.
func (f MagicFunc) Run(ctx context.Context, args string, out func(text string)) error {
	return f(ctx, args, out)
}

// MagicError is the ename of a magic's error output.
const MagicError = "MagicError"

// magic reports whether code is a single line magic this kernel knows.
// A cell holding anything beyond that one line goes to the interpreter, so
// "%" keeps its meaning as Go's remainder operator everywhere else.
func (k *Kernel) magic(code string) (Magic, string, bool) {
	line := strings.TrimSpace(code)
	if !strings.HasPrefix(line, "%") || strings.Contains(line, "\n") {
		return nil, "", false
	}
	name, args, _ := strings.Cut(line[1:], " ")
	m, ok := k.cfg.Magics[name]
	if !ok {
		return nil, "", false
	}
	return m, strings.TrimSpace(args), true
}

func (k *Kernel) runMagic(ctx context.Context, m Magic, args string) (res executor.Result) {
	defer func() {
		if p := recover(); p != nil {
			k.log.Error("magic panicked", "panic", p)
			msg := fmt.Sprintf("the magic failed: %v", p)
			res = executor.Result{Err: &executor.ErrorInfo{Ename: MagicError, Evalue: msg, Traceback: []string{msg}}}
		}
	}()
	err := m.Run(ctx, args, func(text string) { k.out.Stream("stdout", text) })
	if err != nil {
		return executor.Result{Err: &executor.ErrorInfo{Ename: MagicError, Evalue: err.Error(), Traceback: []string{err.Error()}}}
	}
	return executor.Result{}
}

// timeMagic recognises a cell whose first line is %time or %%time, as in
// IPython: the rest of the cell runs and its wall time is printed. The
// magic's line is blanked rather than removed so errors keep the cell's
// own line numbers.
func timeMagic(code string) (string, bool) {
	first, rest, _ := strings.Cut(code, "\n")
	if t := strings.TrimSpace(first); t != "%time" && t != "%%time" {
		return code, false
	}
	return "\n" + rest, true
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
