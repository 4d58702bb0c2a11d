package session

import (
	"github.com/galley-dev/galley/kernel/history"
	"github.com/galley-dev/galley/kernel/wire"
)

func (k *Kernel) historyRequest(m *wire.Message) {
	var req struct {
		Output         bool   `json:"output"`
		HistAccessType string `json:"hist_access_type"`
		Session        int    `json:"session"`
		Start          int    `json:"start"`
		Stop           int    `json:"stop"`
		N              int    `json:"n"`
		Pattern        string `json:"pattern"`
		Unique         bool   `json:"unique"`
	}
	if err := m.DecodeContent(&req); err != nil {
		k.badRequest(m, err)
		return
	}
	h := k.cfg.History
	var entries []history.Entry
	var err error
	switch {
	case h == nil:
	case req.HistAccessType == "tail":
		entries, err = h.Tail(req.N, req.Unique)
	case req.HistAccessType == "range":
		entries, err = h.Range(req.Session, req.Start, req.Stop)
	case req.HistAccessType == "search":
		pattern := req.Pattern
		if pattern == "" {
			pattern = "*"
		}
		entries, err = h.Search(pattern, req.N, req.Unique)
	}
	if err != nil {
		k.badRequest(m, err)
		return
	}
	items := make([]any, 0, len(entries))
	for _, e := range entries {
		if req.Output {
			var out any
			if e.Output != nil {
				out = *e.Output
			}
			items = append(items, []any{e.Session, e.Line, []any{e.Input, out}})
		} else {
			items = append(items, []any{e.Session, e.Line, e.Input})
		}
	}
	k.reply(k.socks.Shell, m, "history_reply", map[string]any{"status": "ok", "history": items})
}
