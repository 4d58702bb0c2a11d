package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/cron"
	"github.com/galley-dev/galley/server/scheduler"
)

// ScheduleStore is a store with schedules.
type ScheduleStore interface {
	Store
	server.ScheduleService
	server.ScheduleQueue
}

// Clock is a fake clock the store and the scheduler share.
type Clock struct{ T time.Time }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { return c.T }

// Add moves the clock forward.
func (c *Clock) Add(d time.Duration) { c.T = c.T.Add(d) }

// NewScheduleStore returns an empty store that reads the time from clock.
type NewScheduleStore func(t *testing.T, clock *Clock) ScheduleStore

// ExerciseSchedules runs the schedule conformance tests: every overlap and
// catch-up policy, pausing, backfills and daylight saving, on a fake clock.
func ExerciseSchedules(t *testing.T, newStore NewScheduleStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
	}{
		{"BadInput", testScheduleBadInput},
		{"OncePerSlot", testOncePerSlot},
		{"ConcurrentSteps", testConcurrentSteps},
		{"Jitter", testJitter},
		{"OverlapSkip", testOverlapSkip},
		{"OverlapBuffer", testOverlapBuffer},
		{"OverlapCancelOtherAndAllow", testOverlapCancelAllow},
		{"CatchUp", testCatchUp},
		{"PauseResume", testPauseResume},
		{"PauseAfterFailures", testPauseAfterFailures},
		{"Backfill", testBackfill},
		{"Rerun", testRerun},
		{"EndAndMaxRuns", testEnd},
		{"DaylightSaving", testScheduleDST},
		{"ScoreResolvesAtFireTime", testScoreSchedule},
		{"ScoreIntoProfile", testScheduleProfile},
		{"Promotion", testPromotion},
		{"OnNewData", testOnNewData},
		{"DeleteScheduled", testDeleteScheduled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &Clock{T: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
			s := newStore(t, clock)
			setup(t, s)
			tt.fn(t, &fixture{t: t, s: s, clock: clock, sched: &scheduler.Scheduler{Store: s, Now: clock.Now}})
		})
	}
}

type fixture struct {
	t     *testing.T
	s     ScheduleStore
	clock *Clock
	sched *scheduler.Scheduler
}

// create makes a train schedule of model m every minute with the given
// changes applied.
func (f *fixture) create(name string, change func(*server.Schedule)) *server.Schedule {
	f.t.Helper()
	s := &server.Schedule{Name: name, Kind: server.RunTrain, Model: "m", Timing: server.Timing{Every: "1m"}}
	if change != nil {
		change(s)
	}
	must(f.t, f.s.CreateSchedule(ctx, s))
	return s
}

// step moves the clock by d and runs one scheduler step.
func (f *fixture) step(d time.Duration) {
	f.t.Helper()
	f.clock.Add(d)
	_, err := f.sched.Step(ctx)
	must(f.t, err)
}

// history renders a schedule's slots oldest first as "status[:reason]".
func (f *fixture) history(name string) []string {
	f.t.Helper()
	slots, _, err := f.s.ScheduleSlots(ctx, name, server.Page{Order: "time", Limit: server.MaxLimit})
	must(f.t, err)
	var out []string
	for _, sl := range slots {
		s := string(sl.Status)
		if sl.Status == server.SlotSkipped || sl.Status == server.SlotPending {
			s += ":" + strings.FieldsFunc(sl.Reason, func(r rune) bool { return r == ':' || r == ';' })[0]
		}
		out = append(out, s)
	}
	return out
}

func (f *fixture) wantHistory(name string, want ...string) {
	f.t.Helper()
	if got := f.history(name); strings.Join(got, " ") != strings.Join(want, " ") {
		f.t.Errorf("slots of %s = %v, want %v", name, got, want)
	}
}

// finish claims and finishes every queued run of the store with state.
func (f *fixture) finish(state server.RunState) {
	f.t.Helper()
	for {
		r, err := f.s.ClaimRun(ctx)
		must(f.t, err)
		if r == nil {
			return
		}
		res := server.RunResult{State: state, Artifact: "x", Error: "boom"}
		if state == server.RunSucceeded {
			res.Error = ""
		}
		_, err = f.s.FinishRun(ctx, r.Claim(), res)
		must(f.t, err)
	}
}

func (f *fixture) runs() []*server.Run {
	f.t.Helper()
	list, _, err := f.s.FindRuns(ctx, server.RunFilter{Page: server.Page{Order: "id", Limit: server.MaxLimit}})
	must(f.t, err)
	return list
}

func testScheduleBadInput(t *testing.T, f *fixture) {
	s := f.s
	start := f.clock.T
	end := start.Add(-time.Hour)
	bad := []struct {
		code string
		want string
		s    server.Schedule
	}{
		{server.EINVALID, "five", server.Schedule{Name: "a", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Cron: "0 2 * *"}}},
		{server.EINVALID, "minute", server.Schedule{Name: "a", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Cron: "99 2 * * *"}}},
		{server.EINVALID, "Mars/Olympus", server.Schedule{Name: "a", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Cron: "@daily", TimeZone: "Mars/Olympus"}}},
		{server.EINVALID, "not after start", server.Schedule{Name: "a", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Cron: "@daily", StartTime: &start, EndTime: &end}}},
		{server.EINVALID, "no timing", server.Schedule{Name: "a", Kind: server.RunTrain, Model: "m"}},
		{server.EINVALID, "interval", server.Schedule{Name: "a", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Every: "soon"}}},
		{server.EINVALID, "overlap", server.Schedule{Name: "a", Kind: server.RunTrain, Model: "m", Overlap: "queue", Timing: server.Timing{Every: "1h"}}},
		{server.EINVALID, "catch-up", server.Schedule{Name: "a", Kind: server.RunTrain, Model: "m", CatchUp: "some", Timing: server.Timing{Every: "1h"}}},
		{server.EINVALID, "rate", server.Schedule{Name: "a", Kind: server.RunTrain, Model: "m", Params: map[string]string{"rate": "fast"}, Timing: server.Timing{Every: "1h"}}},
		{server.ENOTFOUND, "nope", server.Schedule{Name: "a", Kind: server.RunTrain, Model: "nope", Timing: server.Timing{Every: "1h"}}},
		// A model with no trained version cannot be scored.
		{server.EINVALID, "cannot schedule scoring", server.Schedule{Name: "a", Kind: server.RunScore, Model: "m@production", Input: "d", Output: "o", Timing: server.Timing{Cron: "@daily"}}},
		{server.EINVALID, "kind", server.Schedule{Name: "a", Kind: "sing", Model: "m", Timing: server.Timing{Every: "1h"}}},
		{server.EINVALID, "schedule", server.Schedule{Name: "a b", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Every: "1h"}}},
	}
	for _, b := range bad {
		err := s.CreateSchedule(ctx, &b.s)
		if server.ErrorCode(err) != b.code || !strings.Contains(server.ErrorMessage(err), b.want) {
			t.Errorf("CreateSchedule(%+v) = %v; want code %s and a message naming %q", b.s, err, b.code, b.want)
		}
	}
	f.create("nightly", nil)
	err := s.CreateSchedule(ctx, &server.Schedule{Name: "nightly", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Cron: "@daily"}})
	wantCode(t, err, server.ECONFLICT)
	list, total, err := s.FindSchedules(ctx, server.ScheduleFilter{})
	must(t, err)
	if total != 1 || list[0].Name != "nightly" {
		t.Errorf("schedules after bad input = %d %+v; want only nightly", total, list)
	}
}

func testOncePerSlot(t *testing.T, f *fixture) {
	sc := f.create("every-minute", func(s *server.Schedule) { s.Overlap = server.OverlapAllow })
	if sc.NextFire == nil || !sc.NextFire.Equal(f.clock.T) || sc.Timing.StartTime == nil {
		t.Fatalf("created = %+v; want the first slot now, at the default start", sc)
	}
	f.step(0)
	// Two more schedulers look at the same instant: nothing doubles.
	other := &scheduler.Scheduler{Store: f.s, Now: f.clock.Now}
	for range 2 {
		_, err := other.Step(ctx)
		must(t, err)
		_, err = f.sched.Step(ctx)
		must(t, err)
	}
	f.step(time.Minute)
	f.step(30 * time.Second)
	f.step(30 * time.Second)
	f.wantHistory("every-minute", "fired", "fired", "fired")
	runs := f.runs()
	if len(runs) != 3 {
		t.Fatalf("runs = %d, want 3", len(runs))
	}
	for i, r := range runs {
		want := time.Date(2026, 3, 1, 0, i, 0, 0, time.UTC)
		if r.Schedule != "every-minute" || r.NominalTime == nil || !r.NominalTime.Equal(want) || r.Kind != server.RunTrain || r.InputSnapshot != "d@1" {
			t.Errorf("run %d = %+v; want slot %s of every-minute", i, r, want)
		}
	}
	got, err := f.s.FindSchedule(ctx, "every-minute")
	must(t, err)
	if got.Fired != 3 || !got.NextFire.Equal(f.clock.T.Add(time.Minute)) {
		t.Errorf("schedule = %+v; want 3 fired and the next slot a minute on", got)
	}
	next, err := f.s.NextSlots(ctx, "every-minute", 3)
	must(t, err)
	if len(next) != 3 || !next[2].Time.Equal(f.clock.T.Add(3*time.Minute)) {
		t.Errorf("next slots = %+v", next)
	}
}

func testOverlapSkip(t *testing.T, f *fixture) {
	f.create("s", nil)
	f.step(0)
	f.step(time.Minute) // the first run is still queued
	f.wantHistory("s", "fired", "skipped:overlap")
	f.finish(server.RunSucceeded)
	f.step(time.Minute)
	f.wantHistory("s", "fired", "skipped:overlap", "fired")
}

func testOverlapBuffer(t *testing.T, f *fixture) {
	f.create("one", func(s *server.Schedule) { s.Overlap = server.OverlapBufferOne })
	f.create("all", func(s *server.Schedule) { s.Overlap = server.OverlapBufferAll })
	f.step(0)
	f.step(time.Minute)
	f.step(time.Minute)
	f.wantHistory("one", "fired", "pending:overlap", "skipped:overlap")
	f.wantHistory("all", "fired", "pending:overlap", "pending:overlap")
	f.finish(server.RunSucceeded)
	f.step(time.Second)
	f.wantHistory("one", "fired", "fired", "skipped:overlap")
	f.wantHistory("all", "fired", "fired", "pending:overlap")
	f.finish(server.RunSucceeded)
	f.step(time.Second)
	f.wantHistory("all", "fired", "fired", "fired")
	if n := len(f.runs()); n != 5 {
		t.Errorf("runs = %d, want 5", n)
	}
}

func testOverlapCancelAllow(t *testing.T, f *fixture) {
	f.create("cancel", func(s *server.Schedule) { s.Overlap = server.OverlapCancelOther })
	f.step(0)
	first := f.runs()[0]
	f.step(time.Minute)
	f.wantHistory("cancel", "fired", "fired")
	r, err := f.s.FindRun(ctx, first.ID)
	must(t, err)
	if r.State != server.RunCancelled || !strings.Contains(r.Error, "cancel-other") {
		t.Errorf("first run = %s %q; want cancelled by cancel-other", r.State, r.Error)
	}
	f.create("allow", func(s *server.Schedule) { s.Overlap = server.OverlapAllow })
	f.step(0)
	f.step(time.Minute)
	f.wantHistory("allow", "fired", "fired")
}

func testCatchUp(t *testing.T, f *fixture) {
	allow := func(policy, window string) func(*server.Schedule) {
		return func(s *server.Schedule) { s.Overlap, s.CatchUp, s.CatchUpWindow = server.OverlapAllow, policy, window }
	}
	f.create("latest", allow("", ""))
	f.create("all", allow(server.CatchUpAll, ""))
	f.create("none", allow(server.CatchUpNone, ""))
	f.create("window", allow(server.CatchUpAll, "150s"))
	// No scheduler ran for four slots; the fifth is 10s late.
	f.step(4*time.Minute + 10*time.Second)
	f.wantHistory("latest", "skipped:missed", "skipped:missed", "skipped:missed", "skipped:missed", "fired")
	f.wantHistory("all", "fired", "fired", "fired", "fired", "fired")
	f.wantHistory("none", "skipped:missed", "skipped:missed", "skipped:missed", "skipped:missed", "fired")
	f.wantHistory("window", "skipped:missed", "skipped:missed", "fired", "fired", "fired")
	slots, _, err := f.s.ScheduleSlots(ctx, "latest", server.Page{Limit: 1})
	must(t, err)
	if slots[0].RunID == 0 || slots[0].RunState != server.RunQueued {
		t.Errorf("newest slot = %+v; want its run", slots[0])
	}
	// Down for 90 minutes with an hourly schedule: the newest slot is half
	// an hour late. None does not run it; latest runs it and says so.
	hourly := func(policy string) func(*server.Schedule) {
		return func(s *server.Schedule) { s.CatchUp, s.Timing = policy, server.Timing{Cron: "@hourly"} }
	}
	f.clock.T = time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
	f.create("hourly-none", hourly(server.CatchUpNone))
	f.create("hourly-latest", hourly(server.CatchUpLatest))
	f.step(90 * time.Minute)
	f.wantHistory("hourly-none", "skipped:missed", "skipped:missed")
	f.wantHistory("hourly-latest", "skipped:missed", "fired")
	slots, _, err = f.s.ScheduleSlots(ctx, "hourly-latest", server.Page{Limit: 1})
	must(t, err)
	if !strings.Contains(slots[0].Reason, "30m0s late") {
		t.Errorf("late slot reason = %q; want it to say how late", slots[0].Reason)
	}
}

func testPauseResume(t *testing.T, f *fixture) {
	f.create("p", func(s *server.Schedule) { s.Overlap = server.OverlapAllow })
	f.step(0)
	sc, err := f.s.PauseSchedule(ctx, "p", "")
	must(t, err)
	if sc.State != server.SchedulePaused || sc.Reason == "" {
		t.Errorf("paused = %+v", sc)
	}
	f.step(time.Minute)
	f.step(time.Minute)
	f.wantHistory("p", "fired", "skipped:paused", "skipped:paused")
	// Down while paused, then resumed: the slots in between do not run.
	f.clock.Add(3*time.Minute + 30*time.Second)
	_, err = f.s.ResumeSchedule(ctx, "p")
	must(t, err)
	f.step(0)
	f.wantHistory("p", "fired", "skipped:paused", "skipped:paused", "skipped:paused", "skipped:paused", "skipped:paused")
	f.step(30 * time.Second)
	h := f.history("p")
	if h[len(h)-1] != "fired" || len(f.runs()) != 2 {
		t.Errorf("after resume: %v, %d runs; want the next slot to fire and nothing else", h, len(f.runs()))
	}
	// An edit does not backfill either.
	_, err = f.s.UpdateSchedule(ctx, "p", server.ScheduleUpdate{Timing: &server.Timing{Cron: "*/5 * * * *"}})
	must(t, err)
	f.step(time.Minute)
	if len(f.runs()) != 2 {
		t.Errorf("an edit started runs")
	}
	_, err = f.s.PauseSchedule(ctx, "nope", "")
	wantCode(t, err, server.ENOTFOUND)
}

func testPauseAfterFailures(t *testing.T, f *fixture) {
	f.create("fragile", func(s *server.Schedule) { s.PauseAfterFailures = 2 })
	f.step(0)
	f.finish(server.RunFailed)
	f.step(time.Minute)
	f.finish(server.RunFailed)
	f.step(time.Minute)
	sc, err := f.s.FindSchedule(ctx, "fragile")
	must(t, err)
	if sc.State != server.SchedulePaused || !strings.Contains(sc.Reason, "2 failed runs") {
		t.Fatalf("after two failures: %s %q", sc.State, sc.Reason)
	}
	f.wantHistory("fragile", "fired", "fired", "skipped:paused")
	_, err = f.s.ResumeSchedule(ctx, "fragile")
	must(t, err)
	f.step(time.Minute)
	f.wantHistory("fragile", "fired", "fired", "skipped:paused", "fired")
}

func testBackfill(t *testing.T, f *fixture) {
	start := f.clock.T
	f.create("b", func(s *server.Schedule) { s.CatchUp, s.BackfillConcurrency = server.CatchUpNone, 2 })
	f.step(5 * time.Minute)
	f.finish(server.RunSucceeded)
	f.wantHistory("b", "skipped:missed", "skipped:missed", "skipped:missed", "skipped:missed", "skipped:missed", "fired")
	_, err := f.s.BackfillSchedule(ctx, "b", server.Backfill{From: start, To: start.Add(time.Hour)})
	wantCode(t, err, server.EINVALID)
	_, err = f.s.BackfillSchedule(ctx, "b", server.Backfill{From: start.Add(time.Minute), To: start})
	wantCode(t, err, server.EINVALID)
	res, err := f.s.BackfillSchedule(ctx, "b", server.Backfill{From: start.Add(2 * time.Minute), To: start.Add(5 * time.Minute)})
	must(t, err)
	if len(res.Queued) != 3 || len(res.Existing) != 1 {
		t.Fatalf("backfill = %d queued, %d existing; want 3 and 1", len(res.Queued), len(res.Existing))
	}
	f.step(time.Second)
	f.wantHistory("b", "skipped:missed", "skipped:missed", "fired", "fired", "pending:backfill", "fired")
	f.finish(server.RunSucceeded)
	f.step(time.Second)
	f.wantHistory("b", "skipped:missed", "skipped:missed", "fired", "fired", "fired", "fired")
}

func testRerun(t *testing.T, f *fixture) {
	start := f.clock.T
	f.create("r", func(s *server.Schedule) { s.CatchUp = server.CatchUpNone })
	f.step(time.Minute) // slot 00:01 fires
	slot := start.Add(time.Minute)
	first := f.runs()[0]
	_, err := f.s.RerunSlot(ctx, "r", server.Rerun{Slot: slot})
	wantCode(t, err, server.ECONFLICT) // its run is still queued
	_, err = f.s.RerunSlot(ctx, "r", server.Rerun{Slot: start.Add(30 * time.Second)})
	wantCode(t, err, server.ENOTFOUND)
	_, err = f.s.RerunSlot(ctx, "r", server.Rerun{})
	wantCode(t, err, server.EINVALID)
	_, err = f.s.RerunSlot(ctx, "nope", server.Rerun{Slot: slot})
	wantCode(t, err, server.ENOTFOUND)
	f.finish(server.RunFailed)

	sl, err := f.s.RerunSlot(ctx, "r", server.Rerun{Slot: slot})
	must(t, err)
	if sl.Status != server.SlotPending || sl.RunID != 0 || len(sl.EarlierRuns) != 1 || sl.EarlierRuns[0] != first.ID || !strings.Contains(sl.Reason, "rerun") {
		t.Fatalf("re-run slot = %+v; want it pending with run %d among its earlier runs", sl, first.ID)
	}
	_, err = f.s.RerunSlot(ctx, "r", server.Rerun{Slot: slot})
	wantCode(t, err, server.ECONFLICT) // already waiting
	f.step(time.Second)
	f.wantHistory("r", "skipped:missed", "fired")
	runs := f.runs()
	again := runs[len(runs)-1]
	if len(runs) != 2 || again.ID == first.ID || again.NominalTime == nil || !again.NominalTime.Equal(slot) {
		t.Fatalf("runs after the re-run = %+v; want a second run with the slot's nominal time %s", runs, slot)
	}
	f.finish(server.RunSucceeded)
	// Re-run again: the history keeps both earlier runs, oldest first.
	_, err = f.s.RerunSlot(ctx, "r", server.Rerun{Slot: slot})
	must(t, err)
	f.step(time.Second)
	slots, _, err := f.s.ScheduleSlots(ctx, "r", server.Page{Limit: 1})
	must(t, err)
	if len(slots) != 1 || len(slots[0].EarlierRuns) != 2 || slots[0].EarlierRuns[0] != first.ID || slots[0].EarlierRuns[1] != again.ID ||
		slots[0].RunID == again.ID || slots[0].RunID == 0 || !strings.Contains(slots[0].Reason, fmt.Sprintf("run %d succeeded", again.ID)) {
		t.Errorf("slot history after two re-runs = %+v", slots[0])
	}
	// The runs a schedule started, by its name.
	f.create("other", nil)
	f.step(time.Minute)
	mine, total, err := f.s.FindRuns(ctx, server.RunFilter{Schedule: "r"})
	must(t, err)
	others, _, err := f.s.FindRuns(ctx, server.RunFilter{Schedule: "other"})
	must(t, err)
	none, _, err := f.s.FindRuns(ctx, server.RunFilter{Schedule: "nope"})
	must(t, err)
	if total != 4 || len(mine) != 4 || len(others) != 1 || len(none) != 0 || mine[0].Schedule != "r" || others[0].Schedule != "other" {
		t.Errorf("runs of schedule r: %d (total %d), of other: %d, of nope: %d; want 4, 1 and 0", len(mine), total, len(others), len(none))
	}
}

func testEnd(t *testing.T, f *fixture) {
	end := f.clock.T.Add(150 * time.Second)
	f.create("until", func(s *server.Schedule) { s.Overlap, s.Timing.EndTime = server.OverlapAllow, &end })
	f.create("twice", func(s *server.Schedule) { s.Overlap, s.Timing.MaxRuns = server.OverlapAllow, 2 })
	f.step(0)
	for range 4 {
		f.step(time.Minute)
	}
	for _, name := range []string{"until", "twice"} {
		sc, err := f.s.FindSchedule(ctx, name)
		must(t, err)
		if sc.State != server.ScheduleEnded || sc.NextFire != nil {
			t.Errorf("%s = %s (%s), next %v; want ended", name, sc.State, sc.Reason, sc.NextFire)
		}
	}
	f.wantHistory("until", "fired", "fired", "fired")
	f.wantHistory("twice", "fired", "fired")
	_, err := f.s.ResumeSchedule(ctx, "twice")
	wantCode(t, err, server.ECONFLICT)
}

func testScheduleDST(t *testing.T, f *fixture) {
	// 02:30 New York time does not exist on 8 March 2026: it fires once, at
	// 03:00 EDT (07:00Z); 01:30 on 1 November exists twice: it fires once.
	f.clock.T = time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	f.create("spring", func(s *server.Schedule) { s.Timing = server.Timing{Cron: "30 2 * * *", TimeZone: "America/New_York"} })
	for range 48 {
		f.step(time.Hour)
		f.finish(server.RunSucceeded)
	}
	slots, _, err := f.s.ScheduleSlots(ctx, "spring", server.Page{Order: "time"})
	must(t, err)
	got := ""
	for _, sl := range slots {
		got += fmt.Sprintf("%s=%s ", sl.Local, sl.Time.Format(time.RFC3339))
	}
	if want := "2026-03-08T02:30=2026-03-08T07:00:00Z 2026-03-09T02:30=2026-03-09T06:30:00Z "; got != want {
		t.Errorf("spring slots = %s, want %s", got, want)
	}
	f.clock.T = time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC)
	f.create("fall", func(s *server.Schedule) {
		s.Timing = server.Timing{Cron: "*/30 1 * * *", TimeZone: "America/New_York"}
		s.Overlap = server.OverlapAllow
	})
	for range 24 * 6 {
		f.step(10 * time.Minute)
	}
	slots, _, err = f.s.ScheduleSlots(ctx, "fall", server.Page{Order: "time"})
	must(t, err)
	got = ""
	for _, sl := range slots {
		got += sl.Local + " "
	}
	if want := "2026-11-01T01:00 2026-11-01T01:30 "; got != want {
		t.Errorf("fall slots = %s, want each repeated time once: %s", got, want)
	}
}

func testScoreSchedule(t *testing.T, f *fixture) {
	run, err := f.s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	f.finish(server.RunSucceeded)
	_, err = f.s.SetAlias(ctx, "m", "production", 1)
	must(t, err)
	f.create("score", func(s *server.Schedule) {
		s.Kind, s.Model, s.Input, s.Output = server.RunScore, "m@production", "d", "scores"
		s.Timing = server.Timing{Cron: "@hourly"}
	})
	// A second trained version becomes production before the slot fires.
	_, err = f.s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	f.finish(server.RunSucceeded)
	_, err = f.s.SetAlias(ctx, "m", "production", 2)
	must(t, err)
	f.step(time.Hour)
	runs := f.runs()
	last := runs[len(runs)-1]
	if last.ID == run.ID || last.Kind != server.RunScore || last.TrainedModel != "m@2" || last.OutputName != "scores" || last.Schedule != "score" {
		t.Errorf("scheduled scoring run = %+v; want m@2 resolved at fire time", last)
	}
}

// testScheduleProfile fires a score schedule that writes into a profile
// set: its runs carry the target, and the scores land keyed by identity
// with the slot's nominal time. Output into the model's training dataset
// is refused unless forced.
func testScheduleProfile(t *testing.T, f *fixture) {
	_, err := f.s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	f.finish(server.RunSucceeded)
	err = f.s.CreateSchedule(ctx, &server.Schedule{Name: "into-d", Kind: server.RunScore, Model: "m", Input: "d", Output: "d", Timing: server.Timing{Cron: "@hourly"}})
	wantCode(t, err, server.ECONFLICT)
	err = f.s.CreateSchedule(ctx, &server.Schedule{Name: "train-profile", Kind: server.RunTrain, Model: "m", Profile: &server.ProfileTarget{Name: "customers", ID: "id"},
		Timing: server.Timing{Cron: "@hourly"}})
	wantCode(t, err, server.EINVALID)
	forced := f.create("forced", func(s *server.Schedule) {
		s.Kind, s.Model, s.Input, s.Output, s.Force = server.RunScore, "m", "d", "d", true
		s.Timing = server.Timing{Cron: "@daily"}
	})
	if !forced.Force {
		t.Errorf("forced schedule = %+v", forced)
	}
	sc := f.create("profiles", func(s *server.Schedule) {
		s.Kind, s.Model, s.Input = server.RunScore, "m@1", "d"
		s.Profile = &server.ProfileTarget{Name: "customers", ID: "id"}
		s.Timing = server.Timing{Cron: "@hourly"}
	})
	if sc.Profile == nil || sc.Profile.Name != "customers" || sc.Profile.ID != "id" || sc.Output != "" {
		t.Fatalf("created schedule = %+v", sc)
	}
	f.step(time.Hour)
	runs := f.runs()
	last := runs[len(runs)-1]
	if last.Schedule != "profiles" || last.Profile == nil || last.Profile.Name != "customers" || last.NominalTime == nil {
		t.Fatalf("scheduled run = %+v; want it to target profile set customers", last)
	}
	claimed, err := f.s.ClaimRun(ctx)
	for err == nil && claimed != nil && claimed.ID != last.ID {
		// The forced schedule's run, if its first slot came due too.
		if _, err = f.s.FinishRun(ctx, claimed.Claim(), server.RunResult{State: server.RunFailed, Error: "not this one"}); err == nil {
			claimed, err = f.s.ClaimRun(ctx)
		}
	}
	must(t, err)
	if claimed == nil {
		t.Fatalf("run %d was never claimed", last.ID)
	}
	_, err = f.s.FinishRun(ctx, claimed.Claim(), server.RunResult{State: server.RunSucceeded,
		Profile: &server.ProfileWrite{ScoreNames: []string{"score"}, Rows: []server.ProfileRow{{ID: "1", Scores: []float64{0.25}}}}})
	must(t, err)
	p, err := f.s.FindProfile(ctx, "customers", "1")
	must(t, err)
	if a := p.Attributes[0]; a.Schedule != "profiles" || a.NominalTime == nil || !a.NominalTime.Equal(*last.NominalTime) || a.RunID != claimed.ID {
		t.Errorf("profile written by the schedule = %+v; want its schedule, slot and run", a)
	}
	// Re-running the slot scores the same values again: the profile keeps
	// the first run's attributes and its history gains nothing.
	_, err = f.s.RerunSlot(ctx, "profiles", server.Rerun{Slot: *last.NominalTime})
	must(t, err)
	f.step(time.Second)
	runs = f.runs()
	again := runs[len(runs)-1]
	if again.ID == claimed.ID || again.Schedule != "profiles" || again.NominalTime == nil || !again.NominalTime.Equal(*last.NominalTime) {
		t.Fatalf("re-run of the slot = %+v", again)
	}
	for claimed, err = f.s.ClaimRun(ctx); err == nil && claimed != nil && claimed.ID != again.ID; claimed, err = f.s.ClaimRun(ctx) {
		_, err = f.s.FinishRun(ctx, claimed.Claim(), server.RunResult{State: server.RunFailed, Error: "not this one"})
		must(t, err)
	}
	must(t, err)
	if claimed == nil {
		t.Fatalf("run %d was never claimed", again.ID)
	}
	_, err = f.s.FinishRun(ctx, claimed.Claim(), server.RunResult{State: server.RunSucceeded,
		Profile: &server.ProfileWrite{ScoreNames: []string{"score"}, Rows: []server.ProfileRow{{ID: "1", Scores: []float64{0.25}}}}})
	must(t, err)
	p, err = f.s.FindProfile(ctx, "customers", "1")
	must(t, err)
	if a := p.Attributes[0]; a.RunID == again.ID {
		t.Errorf("the slot's re-run, which scored the same values, took over the profile: %+v", a)
	}
	if _, total, err := f.s.ProfileHistory(ctx, "customers", "1", server.Page{}); err != nil || total != 1 {
		t.Errorf("history after the slot's re-run = %d entries (%v), want 1", total, err)
	}
}

// testConcurrentSteps plans the same step twice from the same reading, as
// two servers polling at once do: the store applies one and refuses the
// other, so the slot has one row and one run.
func testConcurrentSteps(t *testing.T, f *fixture) {
	f.create("race", func(s *server.Schedule) { s.Overlap = server.OverlapAllow })
	sc, err := f.s.FindSchedule(ctx, "race")
	must(t, err)
	spec, err := cron.For(sc.Timing, sc.CreatedAt)
	must(t, err)
	var steps []*server.Advance
	for range 2 {
		act, err := f.s.ScheduleActivity(ctx, sc)
		must(t, err)
		steps = append(steps, scheduler.Plan(sc, spec, act, f.clock.T, func(snap string) (*server.Run, error) { return f.s.PrepareRun(ctx, sc, snap) }))
	}
	must(t, f.s.AdvanceSchedule(ctx, steps[0]))
	wantCode(t, f.s.AdvanceSchedule(ctx, steps[1]), server.ECONFLICT)
	f.wantHistory("race", "fired")
	if n := len(f.runs()); n != 1 {
		t.Errorf("runs = %d, want 1", n)
	}
	// A user's change in between also makes a planned step stale.
	f.clock.Add(time.Minute)
	sc, err = f.s.FindSchedule(ctx, "race")
	must(t, err)
	act, err := f.s.ScheduleActivity(ctx, sc)
	must(t, err)
	stale := scheduler.Plan(sc, spec, act, f.clock.T, func(snap string) (*server.Run, error) { return f.s.PrepareRun(ctx, sc, snap) })
	_, err = f.s.PauseSchedule(ctx, "race", "")
	must(t, err)
	wantCode(t, f.s.AdvanceSchedule(ctx, stale), server.ECONFLICT)
	if n := len(f.runs()); n != 1 {
		t.Errorf("a stale step started a run of a paused schedule")
	}
}

func testJitter(t *testing.T, f *fixture) {
	f.create("jittery", func(s *server.Schedule) { s.Timing.Jitter = "30s" })
	sc, err := f.s.FindSchedule(ctx, "jittery")
	must(t, err)
	delay := sc.NextDue.Sub(*sc.NextFire)
	if delay < 0 || delay >= 30*time.Second {
		t.Fatalf("jitter delay %s, want [0, 30s)", delay)
	}
	if delay > time.Millisecond {
		f.step(delay - time.Millisecond)
		f.wantHistory("jittery")
		f.step(time.Millisecond)
	} else {
		f.step(0)
	}
	f.wantHistory("jittery", "fired")
	r := f.runs()[0]
	if !r.NominalTime.Equal(*sc.NextFire) {
		t.Errorf("jittered run's nominal time = %s, want the slot %s", r.NominalTime, sc.NextFire)
	}
}

func testPromotion(t *testing.T, f *fixture) {
	rule := &server.Promotion{Alias: "production", Metric: "auc", Tolerance: 0.002}
	err := f.s.CreateSchedule(ctx, &server.Schedule{Name: "bad", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Every: "1m"},
		Promote: &server.Promotion{Alias: "7up", Metric: "auc"}})
	wantCode(t, err, server.EINVALID)
	f.create("retrain", func(s *server.Schedule) { s.Promote = rule })
	// Each slot's run reports its AUC and, from the second on, the AUC of
	// the version production pointed at when the slot fired, re-evaluated
	// on the run's own split: the rule compares those two, promoting the
	// first (no production yet), one within the tolerance, and not one
	// below it.
	var decisions []*server.PromotionDecision
	for i, c := range []struct {
		auc, baseline float64
		on            string
	}{{0.8, 0, ""}, {0.7985, 0.799, "m@1"}, {0.79, 0.793, "m@2"}} {
		f.step(0)
		r, err := f.s.ClaimRun(ctx)
		must(t, err)
		if r.Baseline != c.on {
			t.Errorf("run %d baseline = %q, want %q (what production pointed at when the slot fired)", i, r.Baseline, c.on)
		}
		res := server.RunResult{State: server.RunSucceeded, Artifact: "x", Metrics: map[string]float64{"auc": c.auc}}
		if c.on != "" {
			res.BaselineMetrics = map[string]float64{"auc": c.baseline}
		}
		_, err = f.s.FinishRun(ctx, r.Claim(), res)
		must(t, err)
		f.step(time.Minute)
		r, err = f.s.FindRun(ctx, r.ID)
		must(t, err)
		if r.Promotion == nil {
			t.Fatalf("run %d (auc %g) has no promotion decision", r.ID, c.auc)
		}
		if c.on != "" && r.BaselineMetrics["auc"] != c.baseline {
			t.Errorf("run %d baseline metrics = %v, want auc %g", r.ID, r.BaselineMetrics, c.baseline)
		}
		decisions = append(decisions, r.Promotion)
	}
	want := []string{"promoted m@1 cur= ", "promoted m@2 cur=m@1 0.799", "kept m@3 cur=m@2 0.793"}
	for i, d := range decisions {
		verdict := map[bool]string{true: "promoted", false: "kept"}[d.Promoted]
		cur := ""
		if d.CurrentValue != nil {
			cur = fmt.Sprint(*d.CurrentValue)
		}
		got := fmt.Sprintf("%s %s cur=%s %s", verdict, d.Candidate, d.Current, cur)
		if got != want[i] || d.CandidateValue == nil || d.Reason == "" {
			t.Errorf("decision %d = %q (%+v), want %q", i, got, d, want[i])
		}
	}
	// A run whose baseline could not be evaluated is not promoted, and
	// says why.
	f.step(0)
	r, err := f.s.ClaimRun(ctx)
	must(t, err)
	_, err = f.s.FinishRun(ctx, r.Claim(), server.RunResult{State: server.RunSucceeded, Artifact: "x", Metrics: map[string]float64{"auc": 0.99},
		BaselineError: "loading the model: no such type"})
	must(t, err)
	f.step(time.Minute)
	r, err = f.s.FindRun(ctx, r.ID)
	must(t, err)
	if r.Promotion == nil || r.Promotion.Promoted || !strings.Contains(r.Promotion.Reason, "no such type") || r.BaselineError == "" {
		t.Errorf("run with a failed baseline evaluation: %+v, decision %+v", r, r.Promotion)
	}
	prod, err := f.s.FindTrainedModel(ctx, "m@production")
	must(t, err)
	if prod.Version != 2 {
		t.Errorf("production = m@%d, want m@2", prod.Version)
	}
}

func testOnNewData(t *testing.T, f *fixture) {
	err := f.s.CreateSchedule(ctx, &server.Schedule{Name: "pinned", Kind: server.RunTrain, Model: "m", Timing: server.Timing{OnNewData: true}})
	must(t, err) // the model's dataset is "d", not pinned
	must(t, f.s.DeleteSchedule(ctx, "pinned"))
	_, err = f.s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	f.finish(server.RunSucceeded)
	err = f.s.CreateSchedule(ctx, &server.Schedule{Name: "x", Kind: server.RunScore, Model: "m", Input: "d@1", Output: "o", Timing: server.Timing{OnNewData: true}})
	if server.ErrorCode(err) != server.EINVALID || !strings.Contains(server.ErrorMessage(err), "pinned") {
		t.Errorf("on new data of a pinned input: %v", err)
	}
	f.create("fresh", func(s *server.Schedule) {
		s.Kind, s.Model, s.Input, s.Output = server.RunScore, "m", "d", "fresh-scores"
		s.Timing = server.Timing{OnNewData: true}
	})
	sc, err := f.s.FindSchedule(ctx, "fresh")
	must(t, err)
	if sc.NextFire != nil || sc.State != server.ScheduleActive || sc.LastSnapshot != 1 {
		t.Fatalf("data-only schedule = %+v; want active, no next time, d@1 seen", sc)
	}
	f.step(time.Minute) // no new data: nothing
	f.wantHistory("fresh")
	for range 2 {
		_, err := f.s.ImportDataset(ctx, "d", strings.NewReader(csvData))
		must(t, err)
	}
	f.step(time.Second)
	f.step(time.Second) // the same snapshots never fire twice
	f.wantHistory("fresh", "fired", "skipped:overlap")
	slots, _, err := f.s.ScheduleSlots(ctx, "fresh", server.Page{Order: "time"})
	must(t, err)
	if slots[0].Snapshot != "d@2" || slots[1].Snapshot != "d@3" {
		t.Errorf("snapshot slots = %+v", slots)
	}
	r, err := f.s.FindRun(ctx, slots[0].RunID)
	must(t, err)
	if r.InputSnapshot != "d@2" || r.Kind != server.RunScore {
		t.Errorf("run for d@2 = %+v", r)
	}
	sc, err = f.s.FindSchedule(ctx, "fresh")
	must(t, err)
	if sc.LastSnapshot != 3 {
		t.Errorf("last snapshot = %d, want 3", sc.LastSnapshot)
	}
}

// testDeleteScheduled: a model with a schedule, and a run a schedule's
// slot started, are refused with ECONFLICT naming the schedule until the
// schedule is deleted.
func testDeleteScheduled(t *testing.T, f *fixture) {
	f.create("hourly", func(s *server.Schedule) { s.Timing = server.Timing{Every: "1h"} })
	f.step(0)
	f.finish(server.RunFailed)
	runs := f.runs()
	if len(runs) != 1 || runs[0].Schedule != "hourly" {
		t.Fatalf("runs = %+v; want one run of schedule hourly", runs)
	}
	wantConflict(t, f.s.DeleteRun(ctx, runs[0].ID), "hourly", "galley schedule delete")
	wantConflict(t, f.s.DeleteModel(ctx, "m"), "hourly", "galley schedule delete")
	must(t, f.s.DeleteSchedule(ctx, "hourly"))
	must(t, f.s.DeleteRun(ctx, runs[0].ID))
	must(t, f.s.DeleteModel(ctx, "m"))
}
