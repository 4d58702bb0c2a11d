package magics

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
)

// fakeServer answers FindModels, CreateSchedule and NextSlots.
type fakeServer struct {
	ScheduleService
	models  []*server.Model
	created *server.Schedule
}

func (f *fakeServer) FindModels(ctx context.Context, flt server.ModelFilter) ([]*server.Model, int, error) {
	var out []*server.Model
	for _, m := range f.models {
		if m.Recipe == flt.Recipe {
			out = append(out, m)
		}
	}
	return out, len(out), nil
}

func (f *fakeServer) CreateSchedule(ctx context.Context, s *server.Schedule) error {
	if strings.Contains(s.Timing.Cron, "99") {
		return server.Errorf(server.EINVALID, `cron expression %q: minute "99": use 0 to 59`, s.Timing.Cron)
	}
	f.created = s
	return nil
}

func (f *fakeServer) NextSlots(ctx context.Context, name string, n int) ([]*server.Slot, error) {
	return []*server.Slot{{Time: time.Date(2026, 12, 8, 1, 0, 0, 0, time.UTC), Local: "2026-12-08T02:00"}}, nil
}

func TestScheduleMagic(t *testing.T) {
	srv := &fakeServer{models: []*server.Model{{Name: "churn-model", Recipe: "churn"}, {Name: "a", Recipe: "two"}, {Name: "b", Recipe: "two"}}}
	rec := &Recipe{}
	m := &Schedule{Service: func() ScheduleService { return srv }, Recipe: rec}
	var out strings.Builder
	say := func(s string) { out.WriteString(s) }
	ctx := context.Background()
	line := `nightly --cron "0 2 * * *" --tz Europe/Berlin --input telco --output churn-scores`

	err := m.Run(ctx, line, say)
	if err == nil || !strings.Contains(err.Error(), "%recipe create") {
		t.Errorf("without a recipe: %v", err)
	}
	rec.Last = "churn" // as %recipe create churn leaves it
	if err := m.Run(ctx, line, say); err != nil {
		t.Fatal(err)
	}
	c := srv.created
	if c.Kind != server.RunScore || c.Model != "churn-model@production" || c.Timing.Cron != "0 2 * * *" || c.Timing.TimeZone != "Europe/Berlin" ||
		c.Input != "telco" || c.Output != "churn-scores" {
		t.Errorf("created %+v", c)
	}
	if !strings.Contains(out.String(), "created scoring schedule nightly: churn-model@production scores telco into churn-scores") ||
		!strings.Contains(out.String(), "next 2026-12-08T02:00 (2026-12-08T01:00:00Z)") {
		t.Errorf("output %q", out.String())
	}
	for _, bad := range []struct{ line, want string }{
		{"x --input a --output b --cron @daily --recipe two", "has 2 models (a, b): pick one with --model"},
		{"x --input a --output b --cron @daily --recipe none", "recipe none has no model yet"},
		{"x --input a --output b", "either --cron or --every"},
		{"x --cron @daily", "needs --input and --output"},
		{`x --input a --output b --cron "99 * * * *"`, `minute "99"`},
		{`x --input a --output b --cron "0 2 * * *`, "unterminated"},
	} {
		if err := m.Run(ctx, bad.line, say); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%%schedule %s: %v; want an error containing %q", bad.line, err, bad.want)
		}
	}
	if err := m.Run(ctx, "x --input a --output b --every 1h --model other@3", say); err != nil || srv.created.Model != "other@3" {
		t.Errorf("--model: %v, %+v", err, srv.created)
	}
}
