package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/cron"
	galleyhttp "github.com/galley-dev/galley/server/http"
)

func init() {
	register(&command{
		name:    "schedule",
		summary: "train or score models on a timetable: cron expressions or intervals, exactly one run per slot",
		usage: `galley schedule create NAME (--train MODEL | --score MODEL[@ALIAS|@VERSION] --input DATASET[@VERSION] [--output NAME [--force]] [--profile SET --id COLUMN])
           (--cron EXPR [--tz ZONE] | --every DURATION | --on-new-data) [--start T] [--end T] [--max-runs N] [--jitter D]
           [--overlap skip|buffer-one|buffer-all|cancel-other|allow] [--catch-up latest|none|all] [--catch-up-window D]
           [--pause-after-failures N] [--backfill-concurrency N] [-p key=value]...
           [--promote ALIAS --metric NAME [--tolerance X] [--lower-is-better]]
       galley schedule list [--model NAME] [--state active|paused|ended] [--limit N] [--offset N] [--order FIELD]
       galley schedule show NAME
       galley schedule edit NAME [--cron EXPR | --every DURATION] [--tz ZONE] [--start T] [--end T] [--on-new-data]
           [--overlap P] [--catch-up P] [--catch-up-window D] [--pause-after-failures N]
       galley schedule next NAME [-n 10]
       galley schedule pause NAME [--reason TEXT]
       galley schedule resume NAME
       galley schedule delete NAME
       galley schedule backfill NAME --from T --to T
       galley schedule rerun NAME --slot T
       galley schedule history NAME [--limit N] [--offset N]
Times T are RFC 3339 (2026-12-01T02:00:00Z) or local to --tz (2026-12-01 or 2026-12-01T02:00).`,
		run: runSchedule,
	})
}

func runSchedule(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: schedule needs a subcommand: create, list, show, edit, next, pause, resume, delete, backfill, rerun or history", errUsage)
	}
	fs := newFlagSet(commands["schedule"], stderr)
	api := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	one := func() (string, error) {
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return "", err
		}
		return pos[0], nil
	}
	// out prints a server's answer v: as JSON with --json, else as text
	// does.
	out := func(v any, err error, text func() error) error {
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, v)
		}
		return text()
	}
	show := func(s *server.Schedule, err error) error {
		return out(s, err, func() error { printSchedule(stdout, s); return nil })
	}
	switch args[0] {
	case "create":
		train := fs.String("train", "", "model to train on each slot")
		score := fs.String("score", "", "trained model to score with: MODEL, MODEL@VERSION or MODEL@ALIAS, resolved at each slot")
		input := fs.String("input", "", "dataset to score: NAME (its latest version at each slot) or NAME@VERSION")
		output := fs.String("output", "", "dataset the scores go to")
		profile := fs.String("profile", "", "profile set the scores are upserted into")
		id := fs.String("id", "", "the scoring output's identity column that keys the profiles (with --profile)")
		force := fs.Bool("force", false, "write --output even when a model trains on that dataset")
		expr := fs.String("cron", "", "five-field cron expression or @hourly, @daily, @weekly, @monthly, @yearly")
		every := fs.String("every", "", "fixed interval such as 15m or 24h")
		onNewData := fs.Bool("on-new-data", false, "also (or, without --cron and --every, only) fire once for every new snapshot of the input dataset")
		tz := fs.String("tz", "", "IANA time zone of the cron expression and of times given without one (default UTC)")
		start := fs.String("start", "", "first time a slot may fire")
		end := fs.String("end", "", "time from which no slot fires")
		maxRuns := fs.Int("max-runs", 0, "end after this many runs (0: no limit)")
		jitter := fs.String("jitter", "", "delay each run by up to this much (such as 30s)")
		overlap := fs.String("overlap", "", "while an earlier run is active: skip (default), buffer-one, buffer-all, cancel-other or allow")
		catchUp := fs.String("catch-up", "", "slots missed while no server ran: latest (default), none or all")
		window := fs.String("catch-up-window", "", "latest a missed slot may still start, such as 6h (default: no limit)")
		pauseAfter := fs.Int("pause-after-failures", 0, "pause after this many failed runs in a row (0: never)")
		backfillN := fs.Int("backfill-concurrency", 0, "backfill runs active at once (default 1)")
		ps := params{}
		fs.Var(ps, "p", "parameter value for training as key=value (repeatable)")
		promote := fs.String("promote", "", "train schedules: move this alias to each new version whose --metric holds up")
		metric := fs.String("metric", "", "metric the promotion rule compares, such as auc")
		tolerance := fs.Float64("tolerance", 0, "promote when the new value is at least the current one's minus this")
		lower := fs.Bool("lower-is-better", false, "the metric improves downwards (such as logloss): promote when at most the current plus --tolerance")
		name, err := one()
		if err != nil {
			return err
		}
		s := &server.Schedule{Name: name, Input: *input, Output: *output, Params: ps, Overlap: *overlap, CatchUp: *catchUp,
			CatchUpWindow: *window, PauseAfterFailures: *pauseAfter, BackfillConcurrency: *backfillN,
			Timing: server.Timing{Cron: *expr, Every: *every, TimeZone: *tz, MaxRuns: *maxRuns, Jitter: *jitter, OnNewData: *onNewData}}
		switch {
		case (*train == "") == (*score == ""):
			return fmt.Errorf("%w: give either --train MODEL or --score MODEL", errUsage)
		case *train != "":
			s.Kind, s.Model = server.RunTrain, *train
		default:
			s.Kind, s.Model, s.Force = server.RunScore, *score, *force
			if *input == "" || *output == "" && *profile == "" {
				return fmt.Errorf("%w: a scoring schedule needs --input, and --output or --profile", errUsage)
			}
			if (*profile == "") != (*id == "") {
				return fmt.Errorf("%w: --profile SET and --id COLUMN go together", errUsage)
			}
			if *profile != "" {
				s.Profile = &server.ProfileTarget{Name: *profile, ID: *id}
			}
		}
		if *expr != "" && *every != "" || *expr == "" && *every == "" && !*onNewData {
			return fmt.Errorf("%w: give either --cron EXPR or --every DURATION, and/or --on-new-data", errUsage)
		}
		if err := parseBounds(&s.Timing, *start, *end, *tz); err != nil {
			return err
		}
		if len(ps) == 0 {
			s.Params = nil
		}
		if *promote != "" || *metric != "" {
			s.Promote = &server.Promotion{Alias: *promote, Metric: *metric, Tolerance: *tolerance, LowerIsBetter: *lower}
		}
		return show(s, api().CreateSchedule(ctx, s))
	case "list":
		model := fs.String("model", "", "only schedules of this model")
		state := fs.String("state", "", "active, paused or ended")
		p := pageFlags(fs)
		if _, err := parseArgs(fs, args[1:], 0); err != nil {
			return err
		}
		items, total, err := api().FindSchedules(ctx, server.ScheduleFilter{Model: *model, State: server.ScheduleState(*state), Page: *p})
		return printList(stdout, *asJSON, items, total, err, "NAME\tKIND\tMODEL\tTIMING\tSTATE\tNEXT\tFIRED", func(w io.Writer, s *server.Schedule) {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", s.Name, s.Kind, s.Model, timingText(s.Timing), s.State, nextText(s), s.Fired)
		})
	case "show":
		name, err := one()
		if err != nil {
			return err
		}
		return show(api().FindSchedule(ctx, name))
	case "edit":
		expr := fs.String("cron", "", "new cron expression (replaces the timing)")
		every := fs.String("every", "", "new interval (replaces the timing)")
		tz := fs.String("tz", "", "time zone of the new timing")
		start := fs.String("start", "", "start of the new timing")
		end := fs.String("end", "", "end of the new timing")
		onNewData := fs.Bool("on-new-data", false, "the new timing also fires on new input snapshots")
		overlap := fs.String("overlap", "", "new overlap policy")
		catchUp := fs.String("catch-up", "", "new catch-up policy")
		window := fs.String("catch-up-window", "", "new catch-up window")
		pauseAfter := fs.Int("pause-after-failures", -1, "new failure count that pauses the schedule (0: never)")
		name, err := one()
		if err != nil {
			return err
		}
		var u server.ScheduleUpdate
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for _, f := range []struct {
			flag string
			val  *string
			dst  **string
		}{{"overlap", overlap, &u.Overlap}, {"catch-up", catchUp, &u.CatchUp}, {"catch-up-window", window, &u.CatchUpWindow}} {
			if set[f.flag] {
				*f.dst = f.val
			}
		}
		if set["pause-after-failures"] {
			u.PauseAfterFailures = pauseAfter
		}
		if *expr != "" || *every != "" || *onNewData {
			t := server.Timing{Cron: *expr, Every: *every, TimeZone: *tz, OnNewData: *onNewData}
			if err := parseBounds(&t, *start, *end, *tz); err != nil {
				return err
			}
			u.Timing = &t
		} else if *tz != "" || *start != "" || *end != "" {
			return fmt.Errorf("%w: --tz, --start and --end go with a new --cron, --every or --on-new-data", errUsage)
		}
		return show(api().UpdateSchedule(ctx, name, u))
	case "pause":
		reason := fs.String("reason", "", "why, shown with the schedule")
		name, err := one()
		if err != nil {
			return err
		}
		return show(api().PauseSchedule(ctx, name, *reason))
	case "resume":
		name, err := one()
		if err != nil {
			return err
		}
		return show(api().ResumeSchedule(ctx, name))
	case "delete":
		name, err := one()
		if err != nil {
			return err
		}
		return out(map[string]string{"deleted": name}, api().DeleteSchedule(ctx, name), func() error {
			fmt.Fprintf(stdout, "deleted schedule %s; its runs remain\n", name)
			return nil
		})
	case "next":
		n := fs.Int("n", 10, "how many slots (1 to 100)")
		name, err := one()
		if err != nil {
			return err
		}
		slots, err := api().NextSlots(ctx, name, *n)
		return out(slots, err, func() error {
			tw := table(stdout, "LOCAL\tUTC")
			for _, sl := range slots {
				fmt.Fprintf(tw, "%s\t%s\n", sl.Local, sl.Time.Format(time.RFC3339))
			}
			return tw.Flush()
		})
	case "history":
		p := pageFlags(fs)
		name, err := one()
		if err != nil {
			return err
		}
		items, total, err := api().ScheduleSlots(ctx, name, *p)
		return out(items, err, func() error {
			return footer(slotTable(stdout, items), stdout, len(items), total)
		})
	case "backfill":
		from := fs.String("from", "", "first slot time")
		to := fs.String("to", "", "last slot time (inclusive)")
		tz := fs.String("tz", "", "zone of times given without one (default: the schedule's)")
		name, err := one()
		if err != nil {
			return err
		}
		c := api()
		zone, err := scheduleZone(ctx, c, name, *tz)
		if err != nil {
			return err
		}
		var b server.Backfill
		if b.From, err = parseWhen(*from, zone, "--from"); err != nil {
			return err
		}
		if b.To, err = parseWhen(*to, zone, "--to"); err != nil {
			return err
		}
		res, err := c.BackfillSchedule(ctx, name, b)
		return out(res, err, func() error {
			fmt.Fprintf(stdout, "queued %d slot(s) to run (as many at a time as the schedule's backfill concurrency); %d already had a run\n", len(res.Queued), len(res.Existing))
			return slotTable(stdout, res.Queued).Flush()
		})
	case "rerun":
		slot := fs.String("slot", "", "the slot's time, as history prints it")
		tz := fs.String("tz", "", "zone of a time given without one (default: the schedule's)")
		name, err := one()
		if err != nil {
			return err
		}
		c := api()
		zone, err := scheduleZone(ctx, c, name, *tz)
		if err != nil {
			return err
		}
		var rr server.Rerun
		if rr.Slot, err = parseWhen(*slot, zone, "--slot"); err != nil {
			return err
		}
		sl, err := c.RerunSlot(ctx, name, rr)
		return out(sl, err, func() error {
			fmt.Fprintf(stdout, "slot %s queued to run again (as many at a time as the schedule's backfill concurrency); a scoring run replaces the slot's earlier output\n", sl.Local)
			return slotTable(stdout, []*server.Slot{sl}).Flush()
		})
	}
	return fmt.Errorf("%w: unknown schedule subcommand %q", errUsage, args[0])
}

// parseBounds sets t's start and end from the texts of --start and --end
// ("" for none), read in zone.
func parseBounds(t *server.Timing, start, end, zone string) error {
	for _, f := range []struct {
		text, flag string
		dst        **time.Time
	}{{start, "--start", &t.StartTime}, {end, "--end", &t.EndTime}} {
		if f.text == "" {
			continue
		}
		when, err := parseWhen(f.text, zone, f.flag)
		if err != nil {
			return err
		}
		*f.dst = &when
	}
	return nil
}

// scheduleZone is the zone of the times given to a subcommand of schedule
// name: tz when given, else the schedule's own.
func scheduleZone(ctx context.Context, c *galleyhttp.Client, name, tz string) (string, error) {
	if tz != "" {
		return tz, nil
	}
	s, err := c.FindSchedule(ctx, name)
	if err != nil {
		return "", explain(err)
	}
	return s.Timing.TimeZone, nil
}

// parseWhen reads a time given as RFC 3339, or as a date or date and time
// in zone.
func parseWhen(s, zone, flag string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%w: %s needs a time", errUsage, flag)
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	loc, err := cron.Zone(zone)
	if err != nil {
		return time.Time{}, explain(err)
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %s %q: use RFC 3339 (2026-12-01T02:00:00Z) or a local date and time (2026-12-01T02:00)", errUsage, flag, s)
}

func timingText(t server.Timing) string {
	s := t.Cron
	if t.Every != "" {
		s = "every " + t.Every
	}
	if t.TimeZone != "" {
		s += " " + t.TimeZone
	}
	if t.OnNewData {
		s = strings.TrimPrefix(s+", on new data", ", ")
	}
	return s
}

func nextText(s *server.Schedule) string {
	if s.NextFire == nil {
		return "-"
	}
	return s.NextLocal
}

func printSchedule(w io.Writer, s *server.Schedule) {
	fmt.Fprintf(w, "schedule %s (%s) %s\n", s.Name, s.Kind, s.State)
	if s.Reason != "" {
		fmt.Fprintf(w, "reason   %s\n", s.Reason)
	}
	fmt.Fprintf(w, "model    %s\n", s.Model)
	if s.Kind == server.RunScore {
		fmt.Fprintf(w, "input    %s\n", s.Input)
		if s.Output != "" {
			fmt.Fprintf(w, "output   %s\n", s.Output)
		}
		if p := s.Profile; p != nil {
			fmt.Fprintf(w, "profile  %s by %s\n", p.Name, p.ID)
		}
	}
	if len(s.Params) > 0 {
		fmt.Fprintf(w, "params   %s\n", kv(s.Params))
	}
	fmt.Fprintf(w, "timing   %s\n", timingText(s.Timing))
	if t := s.Timing; t.StartTime != nil || t.EndTime != nil || t.MaxRuns > 0 || t.Jitter != "" {
		var parts []string
		if t.StartTime != nil {
			parts = append(parts, "from "+t.StartTime.Format(time.RFC3339))
		}
		if t.EndTime != nil {
			parts = append(parts, "until "+t.EndTime.Format(time.RFC3339))
		}
		if t.MaxRuns > 0 {
			parts = append(parts, fmt.Sprintf("at most %d runs", t.MaxRuns))
		}
		if t.Jitter != "" {
			parts = append(parts, "jitter "+t.Jitter)
		}
		fmt.Fprintf(w, "bounds   %s\n", strings.Join(parts, ", "))
	}
	window := ""
	if s.CatchUpWindow != "" {
		window = " within " + s.CatchUpWindow
	}
	fmt.Fprintf(w, "policies overlap %s, catch-up %s%s", s.Overlap, s.CatchUp, window)
	if s.PauseAfterFailures > 0 {
		fmt.Fprintf(w, ", pause after %d failures", s.PauseAfterFailures)
	}
	fmt.Fprintln(w)
	if p := s.Promote; p != nil {
		cmp := fmt.Sprintf(">= current - %g", p.Tolerance)
		if p.LowerIsBetter {
			cmp = fmt.Sprintf("<= current + %g", p.Tolerance)
		}
		fmt.Fprintf(w, "promote  %s when %s %s\n", p.Alias, p.Metric, cmp)
	}
	if s.NextFire != nil {
		fmt.Fprintf(w, "next     %s (%s)\n", s.NextLocal, s.NextFire.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "fired    %d run(s)\n", s.Fired)
}

// slotTable writes slots into a table on w, to be flushed.
func slotTable(w io.Writer, slots []*server.Slot) *tabwriter.Writer {
	tw := table(w, "LOCAL\tUTC\tSTATUS\tRUN\tREASON")
	for _, sl := range slots {
		run := "-"
		if sl.RunID != 0 {
			run = fmt.Sprintf("%d %s", sl.RunID, sl.RunState)
		}
		if len(sl.EarlierRuns) > 0 {
			var ids []string
			for _, id := range sl.EarlierRuns {
				ids = append(ids, fmt.Sprint(id))
			}
			run += " (earlier " + strings.Join(ids, ", ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", sl.Local, sl.Time.Format(time.RFC3339), sl.Status, run, sl.Reason)
	}
	return tw
}
