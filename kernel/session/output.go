package session

import (
	"sync"
	"time"

	"github.com/galley-dev/galley/kernel/wire"
	"github.com/galley-dev/galley/stdlib/display"
)

// flushInterval is how long printed text may wait before it is sent: short
// enough to look live, long enough to batch a loop's thousands of lines
// into a few messages.
const flushInterval = 50 * time.Millisecond

// maxPending bounds the text held between flushes.
const maxPending = 1 << 20

// output turns the worker's streams and display events into IOPub
// messages, parented to the execute request that is (or was last) running.
// Stream text is buffered and flushed on a timer and before any other
// message, so text and displays keep their order.
type output struct {
	k       *Kernel
	mu      sync.Mutex
	parent  *wire.Message
	chunks  []chunk
	pending int
}

type chunk struct{ name, text string }

func newOutput(k *Kernel) *output { return &output{k: k} }

func (o *output) start() (stop func()) {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(flushInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				o.Flush()
			}
		}
	}()
	return func() { close(done); o.Flush() }
}

// SetParent makes m the parent of output from now on.
func (o *output) SetParent(m *wire.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
	o.parent = m
}

func (o *output) Stream(name, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := len(o.chunks); n > 0 && o.chunks[n-1].name == name {
		o.chunks[n-1].text += text
	} else {
		o.chunks = append(o.chunks, chunk{name, text})
	}
	o.pending += len(text)
	if o.pending >= maxPending {
		o.flushLocked()
	}
}

// Flush sends buffered stream text now.
func (o *output) Flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
}

func (o *output) flushLocked() {
	for _, c := range o.chunks {
		o.k.publish(o.parent, "stream", map[string]any{"name": c.name, "text": c.text})
	}
	o.chunks, o.pending = o.chunks[:0], 0
}

func (o *output) Display(d display.Data, id string) {
	o.send("display_data", d, id)
}

func (o *output) Update(d display.Data, id string) {
	if id == "" {
		return // nothing to update: the protocol needs a display id
	}
	o.send("update_display_data", d, id)
}

func (o *output) send(msgType string, d display.Data, id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
	content := map[string]any{"data": bundle(d), "metadata": metadata(d), "transient": map[string]any{}}
	if id != "" {
		content["transient"] = map[string]any{"display_id": id}
	}
	o.k.publish(o.parent, msgType, content)
}

func (o *output) Clear(wait bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
	o.k.publish(o.parent, "clear_output", map[string]any{"wait": wait})
}
