package session

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/galley-dev/galley/kernel/executor"
	"github.com/galley-dev/galley/kernel/wire"
	"github.com/galley-dev/galley/stdlib/display"
)

type executeRequest struct {
	Code         string `json:"code"`
	Silent       bool   `json:"silent"`
	StoreHistory *bool  `json:"store_history"`
	AllowStdin   *bool  `json:"allow_stdin"`
	StopOnError  *bool  `json:"stop_on_error"`
}

func orTrue(b *bool) bool { return b == nil || *b }

func (k *Kernel) execute(ctx context.Context, m *wire.Message) {
	var req executeRequest
	if err := m.DecodeContent(&req); err != nil {
		k.badRequest(m, err)
		return
	}
	storeHistory := orTrue(req.StoreHistory) && !req.Silent
	if storeHistory {
		k.count++
	}
	count := k.count
	if !req.Silent {
		k.publish(m, "execute_input", map[string]any{"code": req.Code, "execution_count": count})
	}
	k.out.SetParent(m)

	var res executor.Result
	var payload []any
	if exitRequest(req.Code) {
		// As IPython's exit and quit in ipykernel: the front end is asked
		// to end the session. jupyter console exits and shuts the kernel
		// down; notebook front ends ignore the payload.
		payload = []any{map[string]any{"source": "ask_exit", "keepkernel": false}}
	} else if target, ok := docTarget(req.Code); ok {
		res, payload = k.doc(ctx, target)
	} else if magic, args, ok := k.magic(req.Code); ok {
		res = k.runMagic(ctx, magic, args)
	} else {
		input := func(ctx context.Context, prompt string, password bool) (string, error) {
			return k.askInput(ctx, m, prompt, password)
		}
		code, timed := timeMagic(req.Code)
		start := time.Now()
		res = k.backend.Execute(ctx, code, orTrue(req.AllowStdin), input)
		if timed {
			k.out.Stream("stdout", fmt.Sprintf("wall time: %s\n", roundDuration(time.Since(start))))
		}
	}
	k.out.Flush()

	var output *string
	if res.Err == nil && res.Data != nil {
		if text, ok := res.Data.Bundle[display.MIMEText].(string); ok {
			output = &text
		}
		if !req.Silent {
			k.publish(m, "execute_result", map[string]any{
				"execution_count": count, "data": bundle(*res.Data), "metadata": metadata(*res.Data),
			})
		}
	}
	if res.Err != nil && !req.Silent {
		k.publish(m, "error", errorContent(res.Err))
	}
	if storeHistory && k.cfg.History != nil {
		if err := k.cfg.History.Append(count, req.Code, output); err != nil {
			k.log.Warn("recording history", "err", err)
		}
	}
	if res.Err != nil {
		// Only requests queued before the failure was reported are
		// aborted; a client may react to the error reply right away.
		queued := len(k.shellQ)
		content := errorContent(res.Err)
		content["status"] = "error"
		content["execution_count"] = count
		k.reply(k.socks.Shell, m, "execute_reply", content)
		if orTrue(req.StopOnError) {
			k.abortQueued(queued)
		}
		return
	}
	if payload == nil {
		payload = []any{}
	}
	k.reply(k.socks.Shell, m, "execute_reply", map[string]any{
		"status": "ok", "execution_count": count, "payload": payload, "user_expressions": map[string]any{},
	})
}

func errorContent(e *executor.ErrorInfo) map[string]any {
	tb := e.Traceback
	if tb == nil {
		tb = []string{}
	}
	return map[string]any{"ename": e.Ename, "evalue": e.Evalue, "traceback": tb}
}

// abortQueued answers the execute requests already waiting behind a failed
// cell with status "aborted", as stop_on_error asks: they were written
// assuming the failed cell succeeded. Other queued requests are served.
func (k *Kernel) abortQueued(n int) {
	for ; n > 0; n-- {
		select {
		case q := <-k.shellQ:
			if q.Type() != "execute_request" {
				k.handleShell(context.Background(), q, nil)
				continue
			}
			k.status(q, "busy")
			k.reply(k.socks.Shell, q, "execute_reply", map[string]any{"status": "aborted", "execution_count": k.count})
			k.status(q, "idle")
		default:
			return
		}
	}
}

// exitRequest reports whether code asks to end the session, as exit and
// quit do in IPython. Go has no such identifiers, so they mean nothing else.
func exitRequest(code string) bool {
	switch strings.TrimSpace(code) {
	case "exit", "quit", "exit()", "quit()":
		return true
	}
	return false
}

// docPattern recognises the help magics: "%doc fmt.Println", "?fmt.Println"
// and "fmt.Println?".
var docPattern = regexp.MustCompile(`^(?:%doc\s+(\S+)|\?(\S+)|([^\s?]+)\?)$`)

func docTarget(code string) (string, bool) {
	sm := docPattern.FindStringSubmatch(strings.TrimSpace(code))
	if sm == nil {
		return "", false
	}
	return sm[1] + sm[2] + sm[3], true
}

// doc shows the documentation of target in the front end's pager.
func (k *Kernel) doc(ctx context.Context, target string) (executor.Result, []any) {
	d, found, err := k.backend.Inspect(ctx, target, utf8.RuneCountInString(target), 1)
	if err != nil || !found {
		msg := fmt.Sprintf("no documentation found for %s", target)
		if err != nil {
			msg += ": " + err.Error()
		}
		return executor.Result{Err: &executor.ErrorInfo{Ename: "NotFound", Evalue: msg, Traceback: []string{msg}}}, nil
	}
	return executor.Result{}, []any{map[string]any{"source": "page", "data": bundle(d), "start": 0}}
}

// askInput sends an input_request to the front end that sent the execute
// request and waits for its reply.
func (k *Kernel) askInput(ctx context.Context, exec *wire.Message, prompt string, password bool) (string, error) {
	select { // a reply to an earlier, abandoned request
	case <-k.inputs:
	default:
	}
	req, err := k.sender.New("input_request", exec, map[string]any{"prompt": prompt, "password": password})
	if err != nil {
		return "", err
	}
	if err := k.socks.Stdin.Send(req); err != nil {
		return "", err
	}
	select {
	case r := <-k.inputs:
		var content struct {
			Value string `json:"value"`
		}
		if err := r.DecodeContent(&content); err != nil {
			return "", err
		}
		return content.Value, nil
	case <-ctx.Done():
		return "", fmt.Errorf("waiting for input: %w", ctx.Err())
	case <-k.stop:
		return "", fmt.Errorf("the kernel is shutting down")
	}
}
