package web

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
)

// partsView is the parts table of a partitioned scoring run: one row per
// part.
type partsView struct {
	Parts []partRow
}

// partRow is one part as the table shows it.
type partRow struct {
	*server.RunPart
	Number   int    // from 1, as the run's log counts parts
	Range    string // "1–500000": the input rows it scores, from 1
	Worker   string // the process that took its latest attempt, and the worker process while it runs
	Duration string // of its latest attempt, whole seconds while it runs
}

func partsViewOf(parts []*server.RunPart, now time.Time) partsView {
	v := partsView{Parts: make([]partRow, 0, len(parts))}
	for _, p := range parts {
		r := partRow{RunPart: p, Number: p.Part + 1, Worker: p.RanBy}
		if p.Rows > 0 {
			r.Range = strconv.FormatInt(p.FirstRow+1, 10) + "–" + strconv.FormatInt(p.FirstRow+p.Rows, 10)
		}
		if p.WorkerPID > 0 && p.State == server.RunRunning {
			r.Worker += ", pid " + strconv.Itoa(p.WorkerPID)
		}
		if d := p.Duration(now); d > 0 {
			if p.State == server.RunRunning {
				d = d.Truncate(time.Second)
			}
			r.Duration = d.Round(time.Millisecond).String()
		}
		v.Parts = append(v.Parts, r)
	}
	return v
}

// partRows renders the rows of run's parts table; "" when it has none.
func (h *Handler) partRows(ctx context.Context, run int64) (string, int, error) {
	parts, err := h.Runs.FindParts(ctx, run)
	if err != nil || len(parts) == 0 {
		return "", 0, err
	}
	var b strings.Builder
	if err := h.pages["run"].ExecuteTemplate(&b, "partrows", partsViewOf(parts, time.Now())); err != nil {
		return "", 0, err
	}
	return b.String(), len(parts), nil
}
