package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/galley-dev/galley/kernel/executor"
	"github.com/galley-dev/galley/kernel/wire"
	"github.com/galley-dev/galley/stdlib/display"
)

// VariableSource is a Backend that lists the session's variables, which
// JupyterLab's debugger shows in its variables panel. executor.Manager
// implements it; the kernel advertises a debugger only for backends that
// do.
type VariableSource interface {
	Variables(ctx context.Context, ref int) ([]executor.Variable, error)
	RichVariable(ctx context.Context, name string) (display.Data, bool, error)
}

// errNoStepping answers the requests of a debugger that stops code:
// breakpoints, stepping, stack frames of a paused cell.
var errNoStepping = errors.New("galley's debugger lists variables; breakpoints and stepping are not supported yet")

// debugger is the state of the Debug Adapter Protocol session that
// debug_request messages on the control channel carry.
type debugger struct {
	mu      sync.Mutex
	started bool
	seq     int
	// globals is the last listing of the session's variables, shown
	// again while a cell runs and cannot be asked.
	globals []map[string]any
}

// dapRequest is a Debug Adapter Protocol request.
type dapRequest struct {
	Seq       int            `json:"seq"`
	Type      string         `json:"type"`
	Command   string         `json:"command"`
	Arguments map[string]any `json:"arguments"`
}

// debugRequest answers one debug_request with a debug_reply holding the
// DAP response.
func (k *Kernel) debugRequest(ctx context.Context, m *wire.Message) {
	var req dapRequest
	if err := m.DecodeContent(&req); err != nil {
		k.reply(k.socks.Control, m, "debug_reply", map[string]any{
			"type": "response", "request_seq": 0, "success": false, "command": "", "message": "bad debug request: " + err.Error(),
		})
		return
	}
	body, err := k.debugCommand(ctx, req)
	d := &k.debug
	d.mu.Lock()
	d.seq++
	resp := map[string]any{
		"type": "response", "seq": d.seq, "request_seq": req.Seq, "command": req.Command, "success": err == nil,
	}
	d.mu.Unlock()
	if body == nil {
		body = map[string]any{}
	}
	resp["body"] = body
	if err != nil {
		resp["message"] = err.Error()
	}
	k.reply(k.socks.Control, m, "debug_reply", resp)
}

func (k *Kernel) debugCommand(ctx context.Context, req dapRequest) (map[string]any, error) {
	src, ok := k.backend.(VariableSource)
	if !ok {
		return nil, errors.New("this kernel has no debugger")
	}
	d := &k.debug
	switch req.Command {
	case "initialize":
		return map[string]any{
			"supportsConfigurationDoneRequest": true,
			"exceptionBreakpointFilters":       []any{},
		}, nil
	case "attach":
		d.mu.Lock()
		d.started = true
		d.mu.Unlock()
		return nil, nil
	case "configurationDone":
		return nil, nil
	case "disconnect":
		d.mu.Lock()
		d.started, d.globals = false, nil
		d.mu.Unlock()
		return nil, nil
	case "debugInfo":
		d.mu.Lock()
		started := d.started
		d.mu.Unlock()
		return map[string]any{
			"isStarted": started,
			// JupyterLab names cells by these for breakpoints, which
			// galley does not set; they are given so it can.
			"hashMethod":     "Murmur2",
			"hashSeed":       0,
			"tmpFilePrefix":  fmt.Sprintf("%s/galley_%d/", os.TempDir(), os.Getpid()),
			"tmpFileSuffix":  ".go",
			"breakpoints":    []any{},
			"stoppedThreads": []any{},
			"richRendering":  true,
			"exceptionPaths": []any{},
			"copyToGlobals":  false,
		}, nil
	case "inspectVariables":
		vars, err := src.Variables(ctx, executor.GlobalsRef)
		d.mu.Lock()
		defer d.mu.Unlock()
		if errors.Is(err, executor.ErrBusy) && d.globals != nil {
			// A cell is running: its variables as the last cell left them.
			return map[string]any{"variables": d.globals}, nil
		}
		if err != nil {
			return map[string]any{"variables": []any{}}, err
		}
		d.globals = dapVariables(vars, true)
		return map[string]any{"variables": d.globals}, nil
	case "scopes":
		return map[string]any{"scopes": []any{map[string]any{
			"name": "Globals", "variablesReference": executor.GlobalsRef, "expensive": false,
		}}}, nil
	case "variables":
		ref, _ := req.Arguments["variablesReference"].(float64)
		vars, err := src.Variables(ctx, int(ref))
		if err != nil {
			return map[string]any{"variables": []any{}}, err
		}
		return map[string]any{"variables": dapVariables(vars, int(ref) == executor.GlobalsRef)}, nil
	case "richInspectVariables":
		name, _ := req.Arguments["variableName"].(string)
		data, found, err := src.RichVariable(ctx, name)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, fmt.Errorf("no session variable named %q", name)
		}
		meta := data.Metadata
		if meta == nil {
			meta = map[string]any{}
		}
		return map[string]any{"data": data.Bundle, "metadata": meta}, nil
	case "threads":
		return map[string]any{"threads": []any{}}, nil
	case "stackTrace":
		return map[string]any{"stackFrames": []any{}, "totalFrames": 0}, nil
	default:
		// dumpCell, setBreakpoints, continue, next, stepIn, pause,
		// evaluate, source, ...
		return nil, fmt.Errorf("%s: %w", req.Command, errNoStepping)
	}
}

// dapVariables converts the engine's listing into DAP variables. Session
// variables can be named in an expression; their children are shown only.
func dapVariables(vs []executor.Variable, global bool) []map[string]any {
	out := make([]map[string]any, 0, len(vs))
	for _, v := range vs {
		dv := map[string]any{"name": v.Name, "value": v.Value, "type": v.Type, "variablesReference": v.Ref}
		if global {
			dv["evaluateName"] = v.Name
		}
		out = append(out, dv)
	}
	return out
}
