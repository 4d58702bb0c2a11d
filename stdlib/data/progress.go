package data

import (
	"fmt"
	"time"

	"github.com/galley-dev/galley/stdlib/display"
)

// String gives the progress as one line of text.
func (p Progress) String() string {
	pct := 0.0
	if p.Total > 0 {
		pct = 100 * float64(p.Done) / float64(p.Total)
	}
	state := "reading"
	if p.Finished {
		state = "done"
	}
	done, total := fmt.Sprint(p.Done), fmt.Sprint(p.Total)
	if p.Unit == "bytes" {
		done, total = formatBytes(p.Done), formatBytes(p.Total)
	}
	return fmt.Sprintf("%s %s: %.0f%% (%s of %s %s), %d rows, %s", state, p.Source, pct, done, total, p.Unit,
		p.Rows, p.Elapsed.Round(time.Millisecond))
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d B", n)
}

// DisplayData renders the progress as a bar with the line of text beside it.
func (p Progress) DisplayData() display.Data {
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Done) / float64(p.Total)
	}
	if p.Finished {
		frac = 1
	}
	return display.ProgressBar(frac, p.String())
}

// ShowProgress returns a callback for Stream.Progress that shows the read
// as one live output in the running cell, updated in place
// (update_display_data) at most every interval (0 means 250ms) and always
// at the end.
//
//	err = s.Progress(data.ShowProgress(0)).WriteParquet("big.parquet")
func ShowProgress(interval time.Duration) func(Progress) {
	live := display.NewLive(interval)
	return func(p Progress) { live.Report(p, p.Finished) }
}
