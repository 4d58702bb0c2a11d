package scheduler

import (
	"fmt"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/cron"
)

// Grace is how late a slot may start and still count as on time: catch-up
// none fires a slot only within it, and later slots say they started late.
const Grace = time.Minute

// maxSlotsPerStep bounds the slots one step records, so that a schedule
// every second after a week of downtime advances in bounded transactions.
const maxSlotsPerStep = 1000

// Plan decides what becomes of s's due and pending slots at now: which
// start runs (prepare resolves one), which wait, which are skipped and why,
// and what the next slot is. It reads nothing but its arguments, so every
// policy can be tested with a fake clock.
func Plan(s *server.Schedule, spec cron.Spec, act *server.ScheduleActivity, now time.Time, prepare func(snapshot string) (*server.Run, error)) *server.Advance {
	a := &server.Advance{ScheduleID: s.ID, Version: s.Version, NextFire: s.NextFire, NextLocal: s.NextLocal, NextDue: s.NextDue,
		State: s.State, Reason: s.Reason, LastSnapshot: s.LastSnapshot}
	p := &planner{s: s, a: a, act: act, now: now, prepare: prepare, active: append([]int64(nil), act.Active...)}
	p.checkFailures()
	p.releasePending()
	p.dueSlots(spec)
	p.newData()
	return a
}

type planner struct {
	s       *server.Schedule
	a       *server.Advance
	act     *server.ScheduleActivity
	now     time.Time
	prepare func(snapshot string) (*server.Run, error)
	active  []int64 // the schedule's queued or running runs, as the step leaves them
	fired   int
	// buffered counts pending overlap slots, as the step leaves them.
	buffered int
}

func (p *planner) paused() bool { return p.a.State == server.SchedulePaused }

// checkFailures pauses the schedule after PauseAfterFailures failed runs
// in a row.
func (p *planner) checkFailures() {
	n := p.s.PauseAfterFailures
	if n <= 0 || p.a.State != server.ScheduleActive || len(p.act.Recent) < n {
		return
	}
	for _, st := range p.act.Recent[:n] {
		if st != server.RunFailed {
			return
		}
	}
	p.a.State = server.SchedulePaused
	p.a.Reason = fmt.Sprintf("paused after %d failed runs in a row (pause_after_failures %d): fix the cause, then resume", n, n)
}

// releasePending starts runs for pending slots whose turn has come.
func (p *planner) releasePending() {
	backfills := p.act.ActiveBackfill
	limit := p.s.BackfillConcurrency
	if limit < 1 {
		limit = 1
	}
	for _, sl := range p.act.Pending {
		c := *sl
		switch {
		case c.Backfill:
			// A backfill was asked for explicitly: it waits out a pause.
			if p.paused() || backfills >= limit {
				continue
			}
			backfills++
			p.fire(&c, false, firstNonEmpty(c.Reason, "backfill"))
		case p.paused():
			c.Status, c.Reason = server.SlotSkipped, "paused while buffered behind an earlier run"
			p.a.Changes = append(p.a.Changes, server.SlotChange{Slot: &c})
		case len(p.active) == 0:
			p.fire(&c, false, strings.TrimSpace(c.Reason+"; started when the earlier run finished"))
		default:
			p.buffered++
		}
	}
}

// dueSlots records every slot that has come due and finds the next one.
func (p *planner) dueSlots(spec cron.Spec) {
	if p.s.NextFire == nil || p.a.State == server.ScheduleEnded {
		return
	}
	jitter, _ := cron.ParseJitter(p.s.Timing.Jitter)
	var due []cron.Slot
	next := cron.Slot{Time: *p.s.NextFire, Local: p.s.NextLocal}
	ended := ""
	// capped says more slots are due than one step records: none of this
	// step's slots is then the newest.
	capped := false
	for {
		if end := p.s.Timing.EndTime; end != nil && !next.Time.Before(*end) {
			ended = "passed its end time " + end.UTC().Format(time.RFC3339)
			break
		}
		if next.Time.Add(cron.Delay(p.s.ID, next.Time, jitter)).After(p.now) {
			break
		}
		if len(due) == maxSlotsPerStep {
			capped = true
			break
		}
		due = append(due, next)
		var ok bool
		if next, ok = spec.Next(next.Time); !ok {
			ended = "has no more slots"
			break
		}
	}
	for i, sl := range due {
		p.decide(sl, i == len(due)-1 && !capped)
		if max := p.s.Timing.MaxRuns; max > 0 && p.s.Fired+p.fired >= max {
			ended = fmt.Sprintf("started its %d runs (max_runs)", max)
			for _, rest := range due[i+1:] {
				p.record(rest, server.SlotSkipped, "the schedule ended after max_runs runs")
			}
			break
		}
	}
	if ended != "" {
		p.a.NextFire, p.a.NextLocal, p.a.NextDue = nil, "", nil
		p.a.State, p.a.Reason = server.ScheduleEnded, "the schedule "+ended
		return
	}
	t, d := next.Time, next.Time.Add(cron.Delay(p.s.ID, next.Time, jitter))
	p.a.NextFire, p.a.NextLocal, p.a.NextDue = &t, next.Local, &d
}

// decide records one due slot; last says it is the newest due slot.
func (p *planner) decide(sl cron.Slot, last bool) {
	late := p.now.Sub(sl.Time)
	if r := p.act.ResumedAt; p.paused() || r != nil && sl.Time.Before(*r) {
		p.record(sl, server.SlotSkipped, "paused")
		return
	}
	if w, err := time.ParseDuration(p.s.CatchUpWindow); err == nil && w > 0 && late > w {
		p.record(sl, server.SlotSkipped, fmt.Sprintf("missed: %s late, beyond the catch-up window of %s", round(late), w))
		return
	}
	reason := ""
	switch p.s.CatchUp {
	case server.CatchUpNone:
		if !last || late > Grace+jitterOf(p.s) {
			p.record(sl, server.SlotSkipped, fmt.Sprintf("missed: no scheduler ran at the slot time (%s late; catch-up none)", round(late)))
			return
		}
	case server.CatchUpAll:
	default: // latest
		if !last {
			p.record(sl, server.SlotSkipped, "missed: a later slot ran instead (catch-up latest)")
			return
		}
	}
	if late > Grace+jitterOf(p.s) {
		reason = fmt.Sprintf("started %s late (catch-up %s)", round(late), firstNonEmpty(p.s.CatchUp, server.CatchUpLatest))
	}
	if len(p.active) > 0 {
		running := "an earlier run of this step is still queued"
		if p.active[0] != 0 {
			running = fmt.Sprintf("run %d is still queued or running", p.active[0])
		}
		switch p.s.Overlap {
		case server.OverlapAllow:
		case server.OverlapCancelOther:
			for _, id := range p.active {
				if id != 0 {
					p.a.Cancel = append(p.a.Cancel, id)
				}
			}
			reason = strings.TrimPrefix(reason+"; cancelled run "+ids(p.active), "; ")
			p.active = nil
		case server.OverlapBufferOne, server.OverlapBufferAll:
			if p.s.Overlap == server.OverlapBufferOne && p.buffered >= 1 {
				p.record(sl, server.SlotSkipped, "overlap: "+running+" and a slot is already buffered (buffer-one)")
				return
			}
			p.buffered++
			p.record(sl, server.SlotPending, "overlap: buffered because "+running)
			return
		default:
			p.record(sl, server.SlotSkipped, "overlap: "+running+" (overlap skip)")
			return
		}
	}
	p.fire(&server.Slot{Schedule: p.s.Name, Time: sl.Time, Local: sl.Local}, true, reason)
}

// newData records a slot for each new input snapshot of an on-new-data
// schedule: once per snapshot, under the overlap policy.
func (p *planner) newData() {
	if !p.s.Timing.OnNewData || p.a.State == server.ScheduleEnded {
		return
	}
	loc, err := cron.Zone(p.s.Timing.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	for _, v := range p.act.NewSnapshots {
		p.a.LastSnapshot = max(p.a.LastSnapshot, v.Version)
		sl := &server.Slot{Schedule: p.s.Name, Time: v.CreatedAt.UTC(), Local: v.CreatedAt.In(loc).Format("2006-01-02T15:04:05"), Snapshot: v.Snapshot()}
		switch {
		case p.paused():
			sl.Status, sl.Reason = server.SlotSkipped, "paused"
		case len(p.active) > 0 && p.s.Overlap != server.OverlapAllow:
			// Buffering and cancelling are for time slots; a snapshot slot
			// waits for nothing, so any other policy skips it.
			sl.Status, sl.Reason = server.SlotSkipped, "overlap: an earlier run of this schedule is still queued or running"
		default:
			p.fire(sl, true, "new snapshot "+v.Snapshot())
			continue
		}
		p.a.Changes = append(p.a.Changes, server.SlotChange{Slot: sl, New: true})
	}
}

// fire starts a run for c, or records why it could not.
func (p *planner) fire(c *server.Slot, isNew bool, reason string) {
	run, err := p.prepare(c.Snapshot)
	if err != nil {
		c.Status, c.Reason = server.SlotSkipped, "could not start a run: "+server.ErrorMessage(err)
		p.a.Changes = append(p.a.Changes, server.SlotChange{Slot: c, New: isNew})
		return
	}
	c.Status, c.Reason = server.SlotFired, reason
	p.a.Changes = append(p.a.Changes, server.SlotChange{Slot: c, New: isNew, Run: run})
	if !c.Backfill {
		p.active = append(p.active, 0) // the run about to be created
		p.fired++
	}
}

func (p *planner) record(sl cron.Slot, status server.SlotStatus, reason string) {
	c := &server.Slot{Schedule: p.s.Name, Time: sl.Time, Local: sl.Local, Status: status, Reason: reason}
	p.a.Changes = append(p.a.Changes, server.SlotChange{Slot: c, New: true})
}

func jitterOf(s *server.Schedule) time.Duration {
	d, _ := cron.ParseJitter(s.Timing.Jitter)
	return d
}

func round(d time.Duration) time.Duration {
	if d > time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

func ids(list []int64) string {
	var parts []string
	for _, id := range list {
		if id != 0 {
			parts = append(parts, fmt.Sprint(id))
		}
	}
	return strings.Join(parts, ", ")
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
