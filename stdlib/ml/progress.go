package ml

import (
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
	return display.ProgressBar(frac, p.String())
}

// ShowProgress returns a progress callback for Spec.Progress that shows
// training as one live output in the running cell, updated in place at
// most every interval (0 means 250ms) and always at the end.
//
//	m, err := ml.Train(train, valid, ml.Spec{Label: "Churn", GBM: &ml.GBMParams{}, Progress: ml.ShowProgress(0)})
func ShowProgress(interval time.Duration) func(Progress) {
	live := display.NewLive(interval)
	return func(p Progress) { live.Report(p, p.Done) }
}
