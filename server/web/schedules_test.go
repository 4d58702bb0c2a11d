package web

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
)

// clock fixes the store's time so next fire times are known: Saturday
// 7 March 2026, noon UTC (13:00 in Berlin, before the spring change).
func (f *fixture) clock() time.Time {
	now := time.Date(2026, 3, 7, 12, 0, 0, 0, time.UTC)
	f.db.Now = func() time.Time { return now }
	return now
}

func (f *fixture) schedule(t *testing.T, s *server.Schedule) *server.Schedule {
	t.Helper()
	must(t, f.h.Schedules.CreateSchedule(ctx, s))
	got, err := f.h.Schedules.FindSchedule(ctx, s.Name)
	must(t, err)
	return got
}

// record stores slots of schedule name as the scheduler would: fired
// slots start a run.
func (f *fixture) record(t *testing.T, name string, slots ...*server.Slot) []*server.Slot {
	t.Helper()
	sc, err := f.db.FindSchedule(ctx, name)
	must(t, err)
	a := &server.Advance{ScheduleID: sc.ID, Version: sc.Version, NextFire: sc.NextFire, NextLocal: sc.NextLocal,
		NextDue: sc.NextDue, State: sc.State, Reason: sc.Reason, LastSnapshot: sc.LastSnapshot}
	for _, sl := range slots {
		c := server.SlotChange{Slot: sl, New: true}
		if sl.Status == server.SlotFired {
			c.Run, err = f.db.PrepareRun(ctx, sc, "")
			must(t, err)
		}
		a.Changes = append(a.Changes, c)
	}
	must(t, f.db.AdvanceSchedule(ctx, a))
	return slots
}

func TestSchedulesEmpty(t *testing.T) {
	f := newFixture(t)
	page := f.get(t, "/ui/schedules", 200)
	has(t, page, "/ui/schedules", `id="schedules-empty"`, "No schedules yet", "galley schedule create nightly --train MODEL",
		`href="/ui/schedules" aria-current="page"`)
	lacks(t, page, "/ui/schedules", `id="schedules-table"`)
	page = f.get(t, "/ui/schedules?state=paused", 200)
	has(t, page, "filtered", "No schedule matches this filter")
	lacks(t, page, "filtered", "No schedules yet")
	has(t, f.get(t, "/ui/schedules?state=asleep", 400), "bad state", `state=&#34;asleep&#34;: use one of [active paused ended]`)
	has(t, f.get(t, "/ui/schedules?limit=0", 400), "bad limit", "limit")
	has(t, f.get(t, "/ui/schedules/nightly", 404), "unknown", "nightly")

	f.seed(t)
	page = f.get(t, "/ui/models/m", 200)
	has(t, page, "/ui/models/m", `id="h-schedules"`, "Not scheduled", "galley schedule create m-nightly --train m")
	lacks(t, f.get(t, "/ui/runs", 200), "/ui/runs", `href="/ui/schedules/`)
}

func TestScheduleOne(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	f.clock()
	f.schedule(t, &server.Schedule{Name: "nightly", Kind: server.RunTrain, Model: "m",
		Timing: server.Timing{Cron: "30 2 * * *", TimeZone: "Europe/Berlin"}, PauseAfterFailures: 3})

	page := f.get(t, "/ui/schedules", 200)
	has(t, page, "/ui/schedules", "1 schedules", `<a href="/ui/schedules/nightly">nightly</a>`, "every day at 02:30",
		"<td>Europe/Berlin</td>", `sched-active">active`,
		// The next three slots, 02:30 in Berlin (01:30 UTC in winter).
		`<time datetime="2026-03-08T01:30:00Z" title="2026-03-08 01:30:00 UTC">2026-03-08 02:30</time>`,
		`>2026-03-10 02:30</time>`)
	lacks(t, page, "/ui/schedules", `>2026-03-11 02:30</time>`, "No schedules yet")

	path := "/ui/schedules/nightly"
	page = f.get(t, path, 200)
	has(t, page, path, "<h1>Schedule nightly", "Trains <a href=\"/ui/models/m\">m</a>, every day at 02:30 (Europe/Berlin)",
		`<dt>Cron</dt><dd><code>30 2 * * *</code></dd>`,
		`<code>skip</code>: a slot that comes due while an earlier run is queued or running is skipped`,
		`<code>latest</code>: after downtime only the latest missed slot runs`, "3 failed runs in a row",
		// Five next slots, local and UTC.
		`<tr><td>2026-03-08 02:30</td><td><time datetime="2026-03-08T01:30:00Z">2026-03-08 01:30:00</time></td></tr>`,
		`<td>2026-03-12 02:30</td>`,
		`id="pause" data-api="/api/schedules/nightly/pause?reason=paused+from+the+schedule+page" data-method="POST" data-after="reload"`,
		`id="history-empty"`, "No slot has come due yet. The first is 2026-03-08 02:30.", "galley schedule backfill nightly")
	lacks(t, page, path, `id="resume"`, `<td>2026-03-13 02:30</td>`, `id="slot-history"`)

	page = f.get(t, "/ui/models/m", 200)
	has(t, page, "/ui/models/m", `<a href="/ui/schedules/nightly">nightly</a>: train, every day at 02:30 (Europe/Berlin)`, "next 2026-03-08 02:30")
	lacks(t, page, "/ui/models/m", "Not scheduled")
}

func TestScheduleMany(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	f.clock()
	f.schedule(t, &server.Schedule{Name: "nightly", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Cron: "0 3 * * 1"},
		Promote: &server.Promotion{Alias: "production", Metric: "auc", Tolerance: 0.01}})
	f.schedule(t, &server.Schedule{Name: "hourly", Kind: server.RunScore, Model: "m@production", Input: "d", Output: "hourly-scores",
		Timing: server.Timing{Every: "90m"}, Overlap: server.OverlapBufferOne})
	f.schedule(t, &server.Schedule{Name: "fresh", Kind: server.RunScore, Model: "m@2", Input: "d", Output: "fresh-scores",
		Timing: server.Timing{OnNewData: true}})

	page := f.get(t, "/ui/schedules", 200)
	has(t, page, "/ui/schedules", "3 schedules", "every Monday at 03:00", "every 90 minutes", "on every new input snapshot",
		`<a href="/ui/models/m">m@production</a> on <a href="/ui/datasets/d">d</a> → <a href="/ui/datasets/hourly-scores">hourly-scores</a>`,
		"<td>UTC</td>", `>2026-03-09 03:00</time>`)
	// Ordered by name.
	if a, b, c := indexOf(page, `data-schedule="fresh"`), indexOf(page, `data-schedule="hourly"`), indexOf(page, `data-schedule="nightly"`); !(0 <= a && a < b && b < c) {
		t.Errorf("schedules not ordered by name: %d %d %d", a, b, c)
	}
	has(t, f.get(t, "/ui/schedules?limit=2", 200), "paged", `rel="next"`, "from row 1 of 3")

	page = f.get(t, "/ui/schedules/nightly", 200)
	has(t, page, "nightly", `moves alias <span class="alias">production</span> to a new version when its <code>auc</code> is at least the current version's minus 0.01`)
	page = f.get(t, "/ui/schedules/hourly", 200)
	has(t, page, "hourly", "Scores with", `<code>buffer-one</code>: one such slot waits`, `<dt>Every</dt><dd><code>90m</code></dd>`)
	page = f.get(t, "/ui/schedules/fresh", 200)
	has(t, page, "fresh", "No timed slots: this schedule fires on new input snapshots only.")

	page = f.get(t, "/ui/models/m", 200)
	has(t, page, "/ui/models/m", `href="/ui/schedules/nightly"`, `href="/ui/schedules/hourly"`, `href="/ui/schedules/fresh"`)
	has(t, f.get(t, "/ui/schedules?model=m&state=active", 200), "filter", "3 schedules")
}

func TestSchedulePaused(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	f.clock()
	f.schedule(t, &server.Schedule{Name: "nightly", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Cron: "@daily"}})
	_, err := f.h.Schedules.PauseSchedule(ctx, "nightly", "data source under maintenance")
	must(t, err)

	page := f.get(t, "/ui/schedules", 200)
	has(t, page, "/ui/schedules", `sched-paused">paused`, "data source under maintenance", "every day at 00:00")
	has(t, f.get(t, "/ui/schedules?state=paused", 200), "paused filter", `data-schedule="nightly"`)
	has(t, f.get(t, "/ui/schedules?state=active", 200), "active filter", "No schedule matches this filter")

	path := "/ui/schedules/nightly"
	page = f.get(t, path, 200)
	has(t, page, path, `id="schedule-state">paused`, "Paused: data source under maintenance",
		`id="resume" data-api="/api/schedules/nightly/resume" data-method="POST" data-after="reload"`,
		"While paused these slots are recorded as skipped")
	lacks(t, page, path, `id="pause"`)
}

func TestScheduleHistory(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	f.clock()
	f.schedule(t, &server.Schedule{Name: "nightly", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Cron: "0 2 * * *"}})
	day := func(d int) time.Time { return time.Date(2026, 3, d, 2, 0, 0, 0, time.UTC) }
	f.record(t, "nightly",
		&server.Slot{Time: day(4), Local: "2026-03-04T02:00", Status: server.SlotFired},
		&server.Slot{Time: day(5), Local: "2026-03-05T02:00", Status: server.SlotSkipped, Reason: "overlap: an earlier run was still running"},
		&server.Slot{Time: day(6), Local: "2026-03-06T02:00", Status: server.SlotSkipped, Reason: "paused"},
		&server.Slot{Time: day(7), Local: "2026-03-07T02:00", Status: server.SlotFired, Reason: "started late (catch-up)"})
	slots, _, err := f.h.Schedules.ScheduleSlots(ctx, "nightly", server.Page{Limit: 10})
	must(t, err)
	var runs []int64
	for _, sl := range slots {
		if sl.RunID != 0 {
			runs = append(runs, sl.RunID)
		}
	}
	if len(runs) != 2 {
		t.Fatalf("recorded %d runs, want 2", len(runs))
	}

	path := "/ui/schedules/nightly"
	page := f.get(t, path, 200)
	has(t, page, path, `id="slot-history"`, "4 slots, newest first",
		`<tr class="slot-skipped">`, "overlap: an earlier run was still running", "<td>paused</td>", "started late (catch-up)",
		`<a href="/ui/runs/`+strconv.FormatInt(runs[0], 10)+`">#`+strconv.FormatInt(runs[0], 10)+`</a> <span class="state state-queued">queued</span>`)
	lacks(t, page, path, `id="history-empty"`)
	if a, b := indexOf(page, "<td>2026-03-07 02:00</td>"), indexOf(page, "<td>2026-03-04 02:00</td>"); a < 0 || a > b {
		t.Errorf("history not newest first")
	}
	has(t, f.get(t, path+"?limit=2", 200), "paged history", `rel="next"`, "<td>2026-03-07 02:00</td>")

	has(t, f.get(t, "/ui/runs", 200), "/ui/runs", `<a class="tag" href="/ui/schedules/nightly" title="started by schedule nightly">nightly</a>`,
		`<select name="schedule"><option value="">any</option><option>nightly</option></select>`)
	// The schedule's runs, filtered by the runs list.
	has(t, page, path, `<a id="schedule-runs" href="/ui/runs?schedule=nightly">`)
	has(t, f.get(t, "/ui/runs?schedule=nightly", 200), "runs of nightly", `<span id="runs-total">2</span> runs`, `<option selected>nightly</option>`, `data-live="/ui/live/runs?schedule=nightly"`)
	// The runs a schedule started link back to it with their slot.
	rp := "/ui/runs/" + strconv.FormatInt(runs[0], 10)
	has(t, f.get(t, rp, 200), rp, `Started by schedule <a id="run-schedule" href="/ui/schedules/nightly">nightly</a> for its slot at 2026-03-07 02:00:00 UTC.`)
	rp = "/ui/runs/" + strconv.FormatInt(runs[1], 10)
	has(t, f.get(t, rp, 200), rp, "for its slot at 2026-03-04 02:00:00 UTC.")

	// Slots may run again once their run has finished: skipped ones now,
	// fired ones when their run is done.
	rerun := func(when string) string {
		return `data-api="/api/schedules/nightly/rerun" data-method="POST" data-body='{"slot":"` + when + `"}'`
	}
	has(t, page, path, rerun("2026-03-05T02:00:00Z"), rerun("2026-03-06T02:00:00Z"), `aria-label="Re-run the slot of 2026-03-05 02:00"`)
	lacks(t, page, path, rerun("2026-03-04T02:00:00Z"), rerun("2026-03-07T02:00:00Z"), "earlier:")
	for range runs {
		r, err := f.db.ClaimRun(ctx)
		must(t, err)
		_, err = f.db.FinishRun(ctx, r.Claim(), server.RunResult{State: server.RunFailed, Error: "boom"})
		must(t, err)
	}
	_, err = f.h.Schedules.RerunSlot(ctx, "nightly", server.Rerun{Slot: day(4)})
	must(t, err)
	page = f.get(t, path, 200)
	has(t, page, path, rerun("2026-03-07T02:00:00Z"), "rerun; run "+strconv.FormatInt(runs[1], 10)+" failed", `<span class="tag">re-run</span>`,
		`earlier: <a href="/ui/runs/`+strconv.FormatInt(runs[1], 10)+`">#`+strconv.FormatInt(runs[1], 10)+`</a>`)
	lacks(t, page, path, rerun("2026-03-04T02:00:00Z"))
}

func TestScheduleEnded(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	f.clock()
	sc := f.schedule(t, &server.Schedule{Name: "once", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Every: "24h", MaxRuns: 1}})
	// The scheduler ends a schedule by clearing its next slot.
	must(t, f.db.AdvanceSchedule(ctx, &server.Advance{ScheduleID: sc.ID, Version: sc.Version, State: server.ScheduleEnded, Reason: "reached its 1 run",
		Changes: []server.SlotChange{{New: true, Slot: &server.Slot{Time: *sc.NextFire, Local: sc.NextLocal, Status: server.SlotFired}, Run: mustPrepare(t, f, sc)}}}))
	page := f.get(t, "/ui/schedules", 200)
	has(t, page, "/ui/schedules", `sched-ended">ended`, "every day", "<td>—</td>")
	path := "/ui/schedules/once"
	page = f.get(t, path, 200)
	has(t, page, path, "This schedule has ended: it fires no more.", "Ended: reached its 1 run", "<dt>At most</dt><dd>1 runs</dd>", "<dt>Fired</dt><dd>1 runs on time")
	lacks(t, page, path, `id="pause"`, `id="resume"`)
}

func mustPrepare(t *testing.T, f *fixture, sc *server.Schedule) *server.Run {
	t.Helper()
	r, err := f.db.PrepareRun(ctx, sc, "")
	must(t, err)
	return r
}

func TestSchedulesAbsent(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	h := &Handler{Recipes: f.h.Recipes, Models: f.db, TrainedModels: f.db, Runs: f.db, Datasets: f.cat}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	g := &fixture{url: ts.URL}
	has(t, g.get(t, "/ui/schedules", 404), "no schedules", "this server keeps no schedules")
	lacks(t, g.get(t, "/ui/models/m", 200), "/ui/models/m", `id="h-schedules"`)
}

func indexOf(s, sub string) int { return strings.Index(s, sub) }

// TestRunBaseline: a promotion schedule's training run shows the version
// it re-evaluated on its split, with the values or why there are none.
func TestRunBaseline(t *testing.T) {
	f := newFixture(t)
	f.seed(t) // production is m@2
	f.clock()
	f.schedule(t, &server.Schedule{Name: "retrain", Kind: server.RunTrain, Model: "m", Timing: server.Timing{Cron: "@daily"},
		Promote: &server.Promotion{Alias: "production", Metric: "auc", Tolerance: 0.01}})
	f.record(t, "retrain", &server.Slot{Time: time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC), Local: "2026-03-07T00:00", Status: server.SlotFired})
	r, err := f.db.ClaimRun(ctx)
	must(t, err)
	path := "/ui/runs/" + strconv.FormatInt(r.ID, 10)
	has(t, f.get(t, path, 200), path, `<dt>Baseline</dt><dd><a href="/ui/models/m">m@2</a> on this run's evaluation split: evaluated when the run succeeds`)
	_, err = f.db.FinishRun(ctx, r.Claim(), server.RunResult{State: server.RunSucceeded, Artifact: "a", Metrics: map[string]float64{"auc": 0.9},
		BaselineMetrics: map[string]float64{"auc": 0.85}})
	must(t, err)
	has(t, f.get(t, path, 200), path, "on this run's evaluation split: <code>auc</code> 0.85")
	lacks(t, f.get(t, path, 200), path, `id="run-curves"`)
}

// TestDatasetSlotLineage: scheduled output names its slot, and a re-run
// slot's output the runs whose output it replaced.
func TestDatasetSlotLineage(t *testing.T) {
	f := newFixture(t)
	s := f.seed(t)
	slot := time.Date(2026, 3, 7, 2, 0, 0, 0, time.UTC)
	p := filepath.Join(t.TempDir(), "out.csv")
	must(t, os.WriteFile(p, []byte("id,score\n1,0.5\n"), 0o644))
	_, err := f.cat.SaveOutput(ctx, "nightly-scores", p, &server.Lineage{RunID: s.score, Recipe: "r", RecipeVersion: 1, TrainedModel: "m@2",
		InputSnapshot: "d@1", Schedule: "nightly", NominalTime: &slot, ReplacedRuns: []int64{s.ok1}})
	must(t, err)
	path := "/ui/datasets/nightly-scores"
	has(t, f.get(t, path, 200), path, `id="lineage-slot"`, `Written for slot 2026-03-07 02:00:00 UTC of schedule <a href="/ui/schedules/nightly">nightly</a>`,
		`it replaced the output of run <a href="/ui/runs/`+strconv.FormatInt(s.ok1, 10)+`">`)
	lacks(t, f.get(t, "/ui/datasets/scores", 200), "/ui/datasets/scores", `id="lineage-slot"`)
}
