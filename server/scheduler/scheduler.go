// Package scheduler fires schedules: at each slot it starts a training or
// scoring run through the store's run queue, or records why the slot did
// not run.
//
// Any number of schedulers may run against one store — several "galley
// serve" processes on one home, or one restarted after a crash. None keeps
// state that matters in memory: each step on a schedule is planned from
// what the store holds (Plan) and applied by the store in one transaction
// only if the schedule has not changed since (server.Advance), and slots
// are unique per (schedule, time). A slot therefore starts at most one run,
// and a step lost to a crash is redone by the next scheduler to look.
package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/cron"
)

// Scheduler polls the store for due schedules and advances them.
type Scheduler struct {
	Store server.ScheduleQueue
	// Interval is how often the store is polled (default 250ms): the most
	// a slot's run starts late while a scheduler runs.
	Interval time.Duration
	// Now returns the current time; tests replace it.
	Now func() time.Time
	Log *slog.Logger
}

// Run advances due schedules until ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	every := s.Interval
	if every <= 0 {
		every = 250 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if _, err := s.Step(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("advancing schedules", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

func (s *Scheduler) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

func (s *Scheduler) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Step advances every due schedule once and returns how many steps it
// applied. A step another scheduler applied first is not an error.
func (s *Scheduler) Step(ctx context.Context) (int, error) {
	now := s.now()
	list, err := s.Store.DueSchedules(ctx, now)
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, sc := range list {
		ok, err := s.advance(ctx, sc, now)
		if err != nil {
			s.log().Error("advancing a schedule", "schedule", sc.Name, "err", err)
			continue
		}
		if ok {
			applied++
		}
	}
	return applied, nil
}

func (s *Scheduler) advance(ctx context.Context, sc *server.Schedule, now time.Time) (bool, error) {
	spec, err := cron.For(sc.Timing, sc.CreatedAt)
	if err != nil {
		return false, err
	}
	act, err := s.Store.ScheduleActivity(ctx, sc)
	if err != nil {
		return false, err
	}
	if sc.Promote != nil && len(act.Unpromoted) > 0 {
		if err := s.promote(ctx, sc, act.Unpromoted); err != nil {
			return false, err
		}
	}
	a := Plan(sc, spec, act, now, func(snapshot string) (*server.Run, error) { return s.Store.PrepareRun(ctx, sc, snapshot) })
	if len(a.Changes) == 0 && a.State == sc.State && a.Reason == sc.Reason && sameTime(a.NextFire, sc.NextFire) && len(a.Cancel) == 0 &&
		a.LastSnapshot == sc.LastSnapshot {
		return false, nil
	}
	if err := s.Store.AdvanceSchedule(ctx, a); err != nil {
		if server.ErrorCode(err) == server.ECONFLICT {
			return false, nil
		}
		return false, err
	}
	for _, c := range a.Changes {
		s.log().Info("schedule slot", "schedule", sc.Name, "slot", c.Slot.Local, "status", c.Slot.Status, "reason", c.Slot.Reason)
	}
	return true, nil
}

func sameTime(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}
