package batch

import (
	"encoding/json"

	"github.com/galley-dev/galley/kernel/wire"
)

// outputs turns the IOPub messages of a run into nbformat outputs, as
// nbclient does: consecutive stream text merges, clear_output empties the
// cell (at the next output when it asks to wait), and update_display_data
// rewrites every output shown under its display id, in any cell.
type outputs struct {
	cell      []map[string]any
	clearNext bool
	displays  map[string][]map[string]any // display id -> outputs showing it
}

func newOutputs() *outputs { return &outputs{displays: map[string][]map[string]any{}} }

// next starts a new cell's list.
func (o *outputs) next() { o.cell, o.clearNext = []map[string]any{}, false }

func (o *outputs) append(out map[string]any) {
	if o.clearNext {
		o.cell, o.clearNext = []map[string]any{}, false
	}
	o.cell = append(o.cell, out)
}

func (o *outputs) add(m *wire.Message) {
	var c map[string]json.RawMessage
	if err := json.Unmarshal(m.Content, &c); err != nil {
		return
	}
	get := func(key string, v any) { _ = json.Unmarshal(c[key], v) }
	bundle := func(out map[string]any) map[string]any {
		var data, meta map[string]any
		get("data", &data)
		get("metadata", &meta)
		if data == nil {
			data = map[string]any{}
		}
		if meta == nil {
			meta = map[string]any{}
		}
		out["data"], out["metadata"] = data, meta
		return out
	}
	displayID := func() string {
		var t struct {
			DisplayID string `json:"display_id"`
		}
		get("transient", &t)
		return t.DisplayID
	}
	switch m.Type() {
	case "stream":
		var name, text string
		get("name", &name)
		get("text", &text)
		if n := len(o.cell); n > 0 && !o.clearNext {
			if last := o.cell[n-1]; last["output_type"] == "stream" && last["name"] == name {
				last["text"] = last["text"].(string) + text
				return
			}
		}
		o.append(map[string]any{"output_type": "stream", "name": name, "text": text})
	case "display_data":
		out := bundle(map[string]any{"output_type": "display_data"})
		if id := displayID(); id != "" {
			o.displays[id] = append(o.displays[id], out)
		}
		o.append(out)
	case "update_display_data":
		fresh := bundle(map[string]any{})
		for _, out := range o.displays[displayID()] {
			out["data"], out["metadata"] = fresh["data"], fresh["metadata"]
		}
	case "execute_result":
		out := bundle(map[string]any{"output_type": "execute_result"})
		var n int
		get("execution_count", &n)
		out["execution_count"] = n
		o.append(out)
	case "error":
		var ename, evalue string
		var tb []string
		get("ename", &ename)
		get("evalue", &evalue)
		get("traceback", &tb)
		if tb == nil {
			tb = []string{}
		}
		o.append(map[string]any{"output_type": "error", "ename": ename, "evalue": evalue, "traceback": tb})
	case "clear_output":
		var wait bool
		get("wait", &wait)
		if wait {
			o.clearNext = true
		} else {
			o.cell = []map[string]any{}
		}
	}
}
