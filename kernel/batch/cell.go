package batch

import (
	"context"
	"encoding/json"

	"github.com/galley-dev/galley/kernel/frontend"
	"github.com/galley-dev/galley/kernel/wire"
)

// execution is what one cell produced.
type execution struct {
	count   int
	outputs *outputs
	failed  *errorOutput
}

type errorOutput struct {
	Ename, Evalue string
	Traceback     []string
}

// executeCell runs code in the kernel and collects what it publishes into outs.
// Cancelling ctx interrupts the cell; an interrupted cell that shows no
// error reports ctx's error.
func executeCell(ctx context.Context, k *frontend.Kernel, code string, outs *outputs) (execution, error) {
	ex := execution{outputs: outs}
	rep, err := k.Execute(ctx, code, true, func(m *wire.Message) {
		if m.Type() == "error" {
			var e errorOutput
			if err := json.Unmarshal(m.Content, &struct {
				Ename     *string   `json:"ename"`
				Evalue    *string   `json:"evalue"`
				Traceback *[]string `json:"traceback"`
			}{&e.Ename, &e.Evalue, &e.Traceback}); err == nil {
				ex.failed = &e
			}
		}
		outs.add(m)
	})
	ex.count = rep.Count
	if err != nil {
		return ex, err
	}
	if rep.Interrupted && ex.failed == nil {
		return ex, ctx.Err()
	}
	return ex, nil
}
