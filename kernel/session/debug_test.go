package session

import (
	"testing"
	"time"
)

// debugCall sends a DAP request as a debug_request on the control channel
// and returns the response.
func (h *harness) debugCall(seq int, command string, args map[string]any) map[string]any {
	h.t.Helper()
	req := h.send(h.c.Control, "debug_request", map[string]any{"type": "request", "seq": seq, "command": command, "arguments": args})
	reply := h.recvReply(h.c.Control, req)
	if reply.Type() != "debug_reply" {
		h.t.Fatalf("%s answered with %s", command, reply.Type())
	}
	var resp map[string]any
	decode(h.t, reply, &resp)
	if resp["command"] != command || resp["request_seq"] != float64(seq) || resp["type"] != "response" {
		h.t.Fatalf("%s: response %v", command, resp)
	}
	return resp
}

func TestDebuggerVariables(t *testing.T) {
	h := start(t)
	info := h.recvReply(h.c.Shell, h.send(h.c.Shell, "kernel_info_request", map[string]any{}))
	var ki struct{ Debugger bool }
	decode(t, info, &ki)
	if !ki.Debugger {
		t.Error("kernel_info does not advertise the debugger")
	}
	h.recvReply(h.c.Shell, h.send(h.c.Shell, "execute_request", map[string]any{"code": "set rate=0.25"}))
	if r := h.debugCall(1, "initialize", nil); r["success"] != true {
		t.Fatalf("initialize: %v", r)
	}
	h.debugCall(2, "attach", nil)
	vars := func(r map[string]any) map[string]any {
		body, _ := r["body"].(map[string]any)
		list, _ := body["variables"].([]any)
		m := map[string]any{}
		for _, v := range list {
			v := v.(map[string]any)
			m[v["name"].(string)] = v["value"]
		}
		return m
	}
	if got := vars(h.debugCall(3, "inspectVariables", nil)); got["rate"] != "0.25" {
		t.Errorf("inspectVariables = %v, want rate 0.25", got)
	}

	// While a cell runs, the listing answers at once with the variables
	// as the last cell left them, and an interrupt is not held up.
	run := h.send(h.c.Shell, "execute_request", map[string]any{"code": "set rate=0.5\nsleep"})
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if got := vars(h.debugCall(4, "inspectVariables", nil)); got["rate"] != "0.25" {
		t.Errorf("inspectVariables while a cell runs = %v, want the earlier rate 0.25", got)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("inspectVariables waited %v for the running cell", d)
	}
	h.recvReply(h.c.Control, h.send(h.c.Control, "interrupt_request", map[string]any{}))
	h.recvReply(h.c.Shell, run)
	if got := vars(h.debugCall(5, "inspectVariables", nil)); got["rate"] != "0.5" {
		t.Errorf("inspectVariables after the cell = %v, want rate 0.5", got)
	}

	if r := h.debugCall(6, "richInspectVariables", map[string]any{"variableName": "rate"}); r["success"] != true {
		t.Errorf("richInspectVariables: %v", r)
	}
	if r := h.debugCall(7, "setBreakpoints", map[string]any{"breakpoints": []any{map[string]any{"line": 1}}}); r["success"] != false || r["message"] == "" {
		t.Errorf("setBreakpoints = %v, want a failure that says why", r)
	}
	h.debugCall(8, "disconnect", nil)
	if r := h.debugCall(9, "debugInfo", nil); r["body"].(map[string]any)["isStarted"] != false {
		t.Errorf("debugInfo after disconnect = %v", r)
	}
}
