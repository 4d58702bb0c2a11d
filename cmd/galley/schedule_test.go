package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
)

func decodeJSON[T any](t testing.TB, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
	return v
}

// TestScheduleCommands drives the schedule commands against a real server:
// a nightly scoring job in Berlin time with its next fire times, pause and
// resume, bad input that creates nothing, and an every-second schedule on
// the real clock.
func TestScheduleCommands(t *testing.T) {
	m := startServe(t, t.TempDir(), nil)
	url := m.URL()
	setupSleepy(t, url)
	galley(t, url, 0, "train", "nap", "--wait")
	galley(t, url, 0, "model", "alias", "nap", "production", "1")
	galley(t, url, 0, "model", "create", "untrained", "--recipe", "sleepy", "--dataset", "small")

	out, _ := galley(t, url, 0, "schedule", "create", "nightly", "--score", "nap@production", "--input", "small", "--output", "scores",
		"--cron", "0 2 * * *", "--tz", "Europe/Berlin", "--json")
	s := decodeJSON[server.Schedule](t, out)
	if s.Kind != server.RunScore || s.State != server.ScheduleActive || s.Overlap != "skip" || s.CatchUp != "latest" || s.NextFire == nil ||
		!strings.HasSuffix(s.NextLocal, "T02:00") {
		t.Fatalf("created = %+v", s)
	}
	out, _ = galley(t, url, 0, "schedule", "next", "nightly", "-n", "3", "--json")
	next := decodeJSON[[]server.Slot](t, out)
	if len(next) != 3 {
		t.Fatalf("next = %+v", next)
	}
	for i, sl := range next {
		// 02:00 in Berlin is 01:00Z in winter and 00:00Z in summer.
		if h := sl.Time.UTC().Hour(); !strings.HasSuffix(sl.Local, "T02:00") || (h != 1 && h != 0) || i > 0 && sl.Time.Sub(next[i-1].Time) < 23*time.Hour {
			t.Errorf("next slot %d = %+v", i, sl)
		}
	}
	out, _ = galley(t, url, 0, "schedule", "pause", "nightly", "--reason", "holiday", "--json")
	if s := decodeJSON[server.Schedule](t, out); s.State != server.SchedulePaused || s.Reason != "holiday" {
		t.Errorf("paused = %+v", s)
	}
	// An edit moves the timetable from now on.
	out, _ = galley(t, url, 0, "schedule", "edit", "nightly", "--cron", "15 3 * * *", "--tz", "Europe/Berlin", "--overlap", "buffer-one", "--json")
	if s := decodeJSON[server.Schedule](t, out); !strings.HasSuffix(s.NextLocal, "T03:15") || s.Overlap != "buffer-one" || s.State != server.SchedulePaused {
		t.Errorf("edited = %+v", s)
	}
	out, _ = galley(t, url, 0, "schedule", "resume", "nightly")
	if !strings.Contains(out, "schedule nightly (score) active") || !strings.Contains(out, "Europe/Berlin") {
		t.Errorf("resume printed %q", out)
	}

	// Bad input: a clear message, exit status 1, nothing created.
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--train", "nap", "--cron", "0 25 * * *"}, `hour "25": use 0 to 23`},
		{[]string{"--train", "nap", "--cron", "@daily", "--tz", "Atlantis/Capital"}, `time zone "Atlantis/Capital" is unknown`},
		{[]string{"--train", "nap", "--every", "1h", "--start", "2027-01-02", "--end", "2027-01-01"}, "is not after start time"},
		{[]string{"--score", "untrained", "--input", "small", "--output", "o", "--cron", "@daily"}, "has not been trained"},
		{[]string{"--train", "nap", "--every", "1h", "--overlap", "sometimes"}, `overlap policy "sometimes"`},
		{[]string{"--train", "nap", "--every", "1h", "--promote", "7up", "--metric", "auc"}, `alias "7up" is invalid`},
	} {
		_, errOut := galley(t, url, 1, append([]string{"schedule", "create", "broken"}, bad.args...)...)
		if !strings.Contains(errOut, bad.want) {
			t.Errorf("schedule create %v: stderr %q, want it to contain %q", bad.args, errOut, bad.want)
		}
	}
	out, _ = galley(t, url, 0, "schedule", "create", "retrain", "--train", "nap", "--cron", "@weekly", "--promote", "production", "--metric", "auc", "--tolerance", "0.002")
	if !strings.Contains(out, "promote  production when auc >= current - 0.002") {
		t.Errorf("a train schedule with a promotion rule: %q", out)
	}
	galley(t, url, 0, "schedule", "delete", "retrain")
	_, errOut := galley(t, url, 1, "schedule", "create", "nightly", "--train", "nap", "--every", "1h")
	if !strings.Contains(errOut, "schedule nightly already exists") {
		t.Errorf("duplicate name: %q", errOut)
	}
	galley(t, url, 2, "schedule", "create", "x", "--train", "nap")
	out, _ = galley(t, url, 0, "schedule", "list", "--json")
	if list := decodeJSON[[]server.Schedule](t, out); len(list) != 1 {
		t.Errorf("schedules after bad input = %+v; want only nightly", list)
	}

	// The real clock: a schedule every second starts one run per slot, and
	// the recipe sees the slot's time.
	galley(t, url, 0, "recipe", "create", "clock", clockNotebook(t))
	galley(t, url, 0, "model", "create", "clocked", "--recipe", "clock", "--dataset", "small")
	galley(t, url, 0, "schedule", "create", "tick", "--train", "clocked", "--every", "1s", "--overlap", "allow", "--catch-up", "all")
	time.Sleep(3500 * time.Millisecond)
	galley(t, url, 0, "schedule", "pause", "tick")
	out, _ = galley(t, url, 0, "schedule", "history", "tick", "--order", "time", "--json")
	slots := decodeJSON[[]server.Slot](t, out)
	fired := 0
	for i, sl := range slots {
		if i > 0 && sl.Time.Sub(slots[i-1].Time) != time.Second {
			t.Errorf("slot %d at %s follows %s: want one slot per second", i, sl.Time, slots[i-1].Time)
		}
		if sl.Status == server.SlotFired && sl.RunID != 0 {
			fired++
		} else if sl.Reason != "paused" {
			t.Errorf("slot %s: %s %q; want every slot to start a run (overlap allow, catch-up all)", sl.Local, sl.Status, sl.Reason)
		}
	}
	if fired < 3 {
		t.Errorf("history = %+v; want at least 3 slots that started runs", slots)
	}
	out, _ = galley(t, url, 0, "schedule", "history", "tick", "--limit", "1")
	if !regexp.MustCompile(`\(1 of \d+ shown; use --limit and --offset for more\)`).MatchString(out) {
		t.Errorf("history --limit 1 printed %q; want it to say how many more there are", out)
	}
	// Backfilling a slot that already ran queues nothing and says so.
	from := slots[0].Time.UTC().Format(time.RFC3339)
	out, _ = galley(t, url, 0, "schedule", "backfill", "tick", "--from", from, "--to", from)
	if !strings.Contains(out, "queued 0 slot(s) to run") || !strings.Contains(out, "; 1 already had a run") {
		t.Errorf("backfill of a slot that ran printed %q", out)
	}
	c := galleyhttp.ClientFromEnv(url)
	r, err := c.FindRun(context.Background(), slots[0].RunID)
	if err != nil || r.Schedule != "tick" || r.NominalTime == nil || !r.NominalTime.Equal(slots[0].Time) {
		t.Errorf("first run = %+v, %v; want it to carry its slot", r, err)
	}
	done := waitRun(t, c, r.ID, func(r *server.Run) bool { return r.State.Final() })
	logs, err := c.RunLogs(context.Background(), done.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "nominal time " + slots[0].Time.UTC().Format(time.RFC3339)
	var text []string
	for _, l := range logs {
		text = append(text, l.Text)
	}
	if !strings.Contains(strings.Join(text, "\n"), want) {
		t.Errorf("run %d (%s) logged %q; want %q", done.ID, done.State, text, want)
	}
	galley(t, url, 0, "schedule", "delete", "tick")
	galley(t, url, 1, "schedule", "show", "tick")

	// A scheduled scoring run's output records its slot.
	galley(t, url, 0, "schedule", "create", "once", "--score", "nap@production", "--input", "small", "--output", "slotted",
		"--every", "1s", "--max-runs", "1")
	var slot *server.Slot
	for deadline := time.Now().Add(30 * time.Second); slot == nil && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got, _, err := c.ScheduleSlots(context.Background(), "once", server.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 0 && got[0].RunID != 0 {
			slot = got[0]
		}
	}
	if slot == nil {
		t.Fatal("the scoring schedule did not fire")
	}
	scored := waitRun(t, c, slot.RunID, func(r *server.Run) bool { return r.State.Final() })
	v, err := c.FindDatasetVersion(context.Background(), scored.OutputSnapshot)
	if err != nil || v.Lineage == nil || v.Lineage.Schedule != "once" || v.Lineage.NominalTime == nil || !v.Lineage.NominalTime.Equal(slot.Time) {
		t.Errorf("scheduled output %s = %+v, %v; want lineage naming schedule once and slot %s", scored.OutputSnapshot, v, err, slot.Time)
	}
	if s, err := c.FindSchedule(context.Background(), "once"); err != nil || s.State != server.ScheduleEnded {
		t.Errorf("schedule once after its one run = %+v, %v; want ended", s, err)
	}

	// A schedule on new data fires once for a new snapshot of its input.
	galley(t, url, 0, "schedule", "create", "fresh", "--score", "nap@production", "--input", "small", "--output", "fresh", "--on-new-data")
	data := filepath.Join(t.TempDir(), "more.csv")
	os.WriteFile(data, syntheticChurn(20, 3), 0o644)
	galley(t, url, 0, "dataset", "import", data, "--name", "small")
	var fresh []*server.Slot
	for deadline := time.Now().Add(30 * time.Second); len(fresh) == 0 && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if fresh, _, err = c.ScheduleSlots(context.Background(), "fresh", server.Page{}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(time.Second)
	fresh, _, err = c.ScheduleSlots(context.Background(), "fresh", server.Page{})
	if err != nil || len(fresh) != 1 || fresh[0].Snapshot != "small@2" || fresh[0].RunID == 0 {
		t.Errorf("slots of the on-new-data schedule = %+v, %v; want one for small@2 with a run", fresh, err)
	}
}

// clockNotebook is a recipe whose training prints the nominal time of its
// schedule slot.
func clockNotebook(t testing.TB) string {
	return recipeNotebook(t, "clock", "label := \"churn\"", `import (
	"fmt"
	"time"

	"github.com/galley-dev/galley/stdlib/recipe"
)

type Model struct{ Rows int }

func Load(cfg recipe.Config) (recipe.Frame, error) { return recipe.ReadCSV(cfg.Input(), cfg.Limit()) }

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) {
	fmt.Println("nominal time", cfg.NominalTime().UTC().Format(time.RFC3339))
	return Model{Rows: f.NumRows()}, nil
}

func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) { return f, nil }`)
}

// TestSchedulesExactlyOnceAcrossServers runs two galley serve processes on
// one home with a schedule every second, kills one with SIGKILL midway,
// then the other, and starts a third after a gap: every slot is recorded
// once, starts at most one run, and the slots of the gap follow the
// catch-up policy (latest: skipped as missed, the newest one run).
func TestSchedulesExactlyOnceAcrossServers(t *testing.T) {
	home := t.TempDir()
	a, url := startServeProcess(t, home, io.Discard, "--workers", "1")
	setupSleepy(t, url)
	b, _ := startServeProcess(t, home, io.Discard, "--workers", "1")
	galley(t, url, 0, "schedule", "create", "tick", "--train", "nap", "--every", "1s", "--overlap", "allow")
	time.Sleep(5 * time.Second)
	a.Process.Kill()
	a.Wait()
	time.Sleep(4 * time.Second)
	b.Process.Kill()
	b.Wait()
	down := time.Now()
	time.Sleep(3 * time.Second)
	restart := time.Now()
	_, urlC := startServeProcess(t, home, io.Discard, "--workers", "1")
	time.Sleep(1500 * time.Millisecond)
	galley(t, urlC, 0, "schedule", "pause", "tick")

	c := galleyhttp.ClientFromEnv(urlC)
	ctx := context.Background()
	slots, total, err := c.ScheduleSlots(ctx, "tick", server.Page{Order: "time", Limit: server.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	if total < 12 {
		t.Fatalf("%d slots recorded; want about 14", total)
	}
	runs, _, err := c.FindRuns(ctx, server.RunFilter{Kind: server.RunTrain, Page: server.Page{Limit: server.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	perSlot := map[time.Time]int{}
	for _, r := range runs {
		if r.Schedule == "tick" {
			perSlot[r.NominalTime.UTC()]++
		}
	}
	// Slots that came due while no server ran: the restarted one runs only
	// the newest of them (catch-up latest), which is at most a second
	// before it started.
	fired, missed, gap := 0, 0, 0
	for i, sl := range slots {
		if sl.Time.After(down.Add(time.Second)) && sl.Time.Before(restart.Add(-time.Second)) {
			gap++
			if sl.Status != server.SlotSkipped || !strings.HasPrefix(sl.Reason, "missed") {
				t.Errorf("slot %s came due while no server ran: %s %q; want skipped as missed", sl.Local, sl.Status, sl.Reason)
			}
		}
		if i > 0 && sl.Time.Sub(slots[i-1].Time) != time.Second {
			t.Errorf("slot %d at %s follows %s: want every second recorded once", i, sl.Time, slots[i-1].Time)
		}
		n := perSlot[sl.Time.UTC()]
		switch sl.Status {
		case server.SlotFired:
			fired++
			if n != 1 || sl.RunID == 0 {
				t.Errorf("slot %s fired with %d runs (run id %d); want exactly one", sl.Local, n, sl.RunID)
			}
		case server.SlotSkipped:
			if n != 0 {
				t.Errorf("skipped slot %s has %d runs", sl.Local, n)
			}
			// A server too busy to step within a second also skips all but
			// the newest due slot, as catch-up latest says.
			if strings.HasPrefix(sl.Reason, "missed") {
				missed++
			} else if sl.Reason != "paused" {
				t.Errorf("slot %s skipped: %s", sl.Local, sl.Reason)
			}
		default:
			t.Errorf("slot %s is %s", sl.Local, sl.Status)
		}
	}
	t.Logf("%d slots: %d fired with one run each, %d missed (%d while no server ran), the rest skipped while paused", total, fired, missed, gap)
	if fired < 5 || gap < 1 {
		t.Errorf("%d slots fired and %d came due while no server ran; want about 10 and 2", fired, gap)
	}
	if len(perSlot) != fired {
		t.Errorf("%d slots started runs but %d slots have runs", fired, len(perSlot))
	}
}
