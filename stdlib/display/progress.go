package display

import (
	"fmt"
	"html"
	"sync"
	"time"
)

// ProgressBar renders a bar filled to frac (0 to 1) with text beside it;
// front ends without HTML show the text.
func ProgressBar(frac float64, text string) Data {
	frac = max(0, min(1, frac))
	bar := fmt.Sprintf(`<div style="width:240px;height:10px;background:#eee;display:inline-block;vertical-align:middle"><div style="width:%.0f%%;height:10px;background:#4c78a8"></div></div>`, frac*100)
	d := HTML(fmt.Sprintf(`<div style="font-family:monospace;font-size:12px">%s %s</div>`, bar, html.EscapeString(text)))
	d.Bundle[MIMEText] = text
	return d
}

// Live shows a value that changes, such as progress, as one output of the
// running cell, updated in place (update_display_data) at most every
// interval and always at its final report. A report after the final one
// starts a new output. It is safe for concurrent use.
type Live struct {
	interval time.Duration
	mu       sync.Mutex
	h        *Handle
	last     time.Time
}

// NewLive returns a Live updated at most every interval (0 means 250ms; a
// negative interval updates at every report).
func NewLive(interval time.Duration) *Live {
	if interval == 0 {
		interval = 250 * time.Millisecond
	}
	return &Live{interval: interval}
}

// Report shows v: the first report displays it, later ones update that
// output when the interval has passed or final is true.
func (l *Live) Report(v any, final bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.h == nil:
		h := Show(v)
		l.h = &h
	case final || time.Since(l.last) >= l.interval:
		l.h.Update(v)
	default:
		return
	}
	l.last = time.Now()
	if final {
		l.h = nil
	}
}
