package session

import (
	"encoding/json"

	"github.com/galley-dev/galley/kernel/wire"
)

// CommTarget handles comms a front end opens with a target name (widgets,
// for example). Galley registers none yet; comms to unknown targets are
// closed right away, as the protocol asks.
type CommTarget interface {
	Open(commID string, data json.RawMessage)
	Message(commID string, data json.RawMessage)
	Close(commID string, data json.RawMessage)
}

// RegisterCommTarget routes comms opened for name to t.
func (k *Kernel) RegisterCommTarget(name string, t CommTarget) {
	k.commMu.Lock()
	defer k.commMu.Unlock()
	k.targets[name] = t
}

type commContent struct {
	CommID     string          `json:"comm_id"`
	TargetName string          `json:"target_name"`
	Data       json.RawMessage `json:"data"`
}

func (k *Kernel) commOpen(m *wire.Message) {
	var c commContent
	if err := m.DecodeContent(&c); err != nil || c.CommID == "" {
		k.log.Warn("bad comm_open", "err", err)
		return
	}
	k.commMu.Lock()
	t, ok := k.targets[c.TargetName]
	if ok {
		k.comms[c.CommID] = c.TargetName
	}
	k.commMu.Unlock()
	if !ok {
		k.log.Info("comm_open for an unknown target; closing it", "target", c.TargetName)
		k.publish(m, "comm_close", map[string]any{"comm_id": c.CommID, "data": map[string]any{}})
		return
	}
	t.Open(c.CommID, c.Data)
}

func (k *Kernel) commTarget(id string, forget bool) CommTarget {
	k.commMu.Lock()
	defer k.commMu.Unlock()
	name, ok := k.comms[id]
	if !ok {
		return nil
	}
	if forget {
		delete(k.comms, id)
	}
	return k.targets[name]
}

func (k *Kernel) commMsg(m *wire.Message) {
	var c commContent
	if err := m.DecodeContent(&c); err != nil {
		k.log.Warn("bad comm_msg", "err", err)
		return
	}
	if t := k.commTarget(c.CommID, false); t != nil {
		t.Message(c.CommID, c.Data)
		return
	}
	k.log.Info("comm_msg for an unknown comm", "comm_id", c.CommID)
}

func (k *Kernel) commClose(m *wire.Message) {
	var c commContent
	if err := m.DecodeContent(&c); err != nil {
		k.log.Warn("bad comm_close", "err", err)
		return
	}
	if t := k.commTarget(c.CommID, true); t != nil {
		t.Close(c.CommID, c.Data)
	}
}

func (k *Kernel) commInfo(m *wire.Message) {
	var req struct {
		TargetName string `json:"target_name"`
	}
	_ = m.DecodeContent(&req)
	comms := map[string]any{}
	k.commMu.Lock()
	for id, name := range k.comms {
		if req.TargetName == "" || req.TargetName == name {
			comms[id] = map[string]any{"target_name": name}
		}
	}
	k.commMu.Unlock()
	k.reply(k.socks.Shell, m, "comm_info_reply", map[string]any{"status": "ok", "comms": comms})
}
