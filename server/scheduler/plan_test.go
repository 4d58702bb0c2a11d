package scheduler

import (
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/cron"
)

// After a long outage, steps record at most maxSlotsPerStep slots each,
// and only the step that reaches the newest due slot runs it.
func TestPlanLongOutage(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := &server.Schedule{ID: 1, Name: "s", Kind: server.RunTrain, State: server.ScheduleActive, CatchUp: server.CatchUpLatest,
		Timing: server.Timing{Every: "1s", StartTime: &start}, NextFire: &start, NextLocal: "2026-01-01T00:00:00"}
	spec, err := cron.For(s.Timing, start)
	if err != nil {
		t.Fatal(err)
	}
	now := start.Add(2500 * time.Second)
	runs := 0
	prepare := func(string) (*server.Run, error) { runs++; return &server.Run{}, nil }
	recorded := 0
	for step := 0; step < 3; step++ {
		a := Plan(s, spec, &server.ScheduleActivity{}, now, prepare)
		recorded += len(a.Changes)
		s.NextFire, s.NextLocal = a.NextFire, a.NextLocal
	}
	if recorded != 2501 || runs != 1 {
		t.Errorf("recorded %d slots and started %d runs; want 2501 slots and the newest one run", recorded, runs)
	}
	if want := start.Add(2501 * time.Second); !s.NextFire.Equal(want) {
		t.Errorf("next = %s, want %s", s.NextFire, want)
	}
}
