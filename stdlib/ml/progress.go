package ml

import (
	"fmt"
	"html"
	"sync"
	"time"

	"github.com/galley-dev/galley/stdlib/display"
)

// DisplayData renders a progress report as a bar with the current metrics.
func (p Progress) DisplayData() display.Data {
	frac := 0.0
	if p.Rounds > 0 {
		frac = float64(p.Round) / float64(p.Rounds)
	}
	if p.Done {
		frac = 1
	}
	bar := fmt.Sprintf(`<div style="width:240px;height:10px;background:#eee;display:inline-block;vertical-align:middle"><div style="width:%.0f%%;height:10px;background:#4c78a8"></div></div>`, frac*100)
	d := display.HTML(fmt.Sprintf(`<div style="font-family:monospace;font-size:12px">%s %s</div>`, bar, html.EscapeString(p.String())))
	d.Bundle[display.MIMEText] = p.String()
	return d
}

// ShowProgress returns a progress callback for Spec.Progress that shows
// training as one live output in the running cell, updated in place at
// most every interval (0 means 250ms) and always at the end.
//
//	m, err := ml.Train(train, valid, ml.Spec{Label: "Churn", GBM: &ml.GBMParams{}, Progress: ml.ShowProgress(0)})
func ShowProgress(interval time.Duration) func(Progress) {
	if interval == 0 {
		interval = 250 * time.Millisecond
	}
	var (
		mu    sync.Mutex
		h     *display.Handle
		last  time.Time
		final bool
	)
	return func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if final && !p.Done {
			// A new training run reusing the callback starts a new output.
			h, final = nil, false
		}
		switch {
		case h == nil:
			hd := display.Show(p)
			h = &hd
		case p.Done || time.Since(last) >= interval:
			h.Update(p)
		default:
			return
		}
		last = time.Now()
		final = p.Done
	}
}
