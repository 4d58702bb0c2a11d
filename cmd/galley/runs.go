package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/web"
)

func init() {
	register(&command{
		name:    "runs",
		summary: "list, inspect, follow and cancel training and scoring runs",
		usage: `galley runs list [--state STATE] [--kind train|score] [--model NAME] [--schedule NAME] [--limit N] [--offset N] [--order FIELD]
       galley runs show ID
       galley runs parts ID
       galley runs logs ID [-f]
       galley runs cancel ID
       galley runs delete ID`,
		run: runRuns,
	})
}

func runRuns(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: runs needs a subcommand: list, show, logs or cancel", errUsage)
	}
	fs := newFlagSet(commands["runs"], stderr)
	api := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	id := func(s string) (int64, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: run id %q is not a number", errUsage, s)
		}
		return n, nil
	}
	switch args[0] {
	case "delete":
		return deleteCommand(ctx, fs, args[1:], stdout, "run", func(s string) error {
			n, err := id(s)
			if err != nil {
				return err
			}
			return api().DeleteRun(ctx, n)
		})
	case "list":
		state := fs.String("state", "", "queued, running, succeeded, failed or cancelled")
		kind := fs.String("kind", "", "train or score")
		model := fs.String("model", "", "model name")
		schedule := fs.String("schedule", "", "only runs this schedule started")
		p := pageFlags(fs)
		if _, err := parseArgs(fs, args[1:], 0); err != nil {
			return err
		}
		items, total, err := api().FindRuns(ctx, server.RunFilter{State: server.RunState(*state), Kind: server.RunKind(*kind), Model: *model, Schedule: *schedule, Page: *p})
		return printList(stdout, *asJSON, items, total, err, "ID\tKIND\tSTATE\tMODEL\tATTEMPT\tINPUT\tOUTPUT\tDURATION", func(w io.Writer, r *server.Run) {
			out := r.TrainedModel
			if r.Kind == server.RunScore {
				out = r.OutputSnapshot
			}
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", r.ID, r.Kind, r.State, r.Model, r.Attempt, r.MaxAttempts, r.InputSnapshot, out, time.Duration(r.DurationMS)*time.Millisecond)
		})
	case "show", "cancel":
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		n, err := id(pos[0])
		if err != nil {
			return err
		}
		var r *server.Run
		if args[0] == "show" {
			r, err = api().FindRun(ctx, n)
		} else {
			r, err = api().CancelRun(ctx, n)
		}
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, r)
		}
		printRun(stdout, r)
		return nil
	case "parts":
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		n, err := id(pos[0])
		if err != nil {
			return err
		}
		if _, err := api().FindRun(ctx, n); err != nil {
			return explain(err)
		}
		parts, err := api().FindParts(ctx, n)
		now := time.Now()
		return printList(stdout, *asJSON, parts, len(parts), err, "PART\tROWS\tSTATE\tATTEMPT\tWORKER\tDURATION\tERROR", func(w io.Writer, p *server.RunPart) {
			worker := p.RanBy
			if p.WorkerPID > 0 {
				worker += fmt.Sprintf(" (pid %d)", p.WorkerPID)
			}
			fmt.Fprintf(w, "%d\t%d-%d\t%s\t%d/%d\t%s\t%s\t%s\n", p.Part+1, p.FirstRow+1, p.FirstRow+p.Rows, p.State, p.Attempt, p.MaxAttempts,
				firstOf(worker, "-"), p.Duration(now).Round(time.Millisecond), p.Error)
		})
	case "logs":
		follow := fs.Bool("f", false, "follow the log until the run finishes")
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		n, err := id(pos[0])
		if err != nil {
			return err
		}
		_, err = streamLogs(ctx, api(), n, *follow, stdout)
		return explain(err)
	}
	return fmt.Errorf("%w: unknown runs subcommand %q", errUsage, args[0])
}

func printRun(w io.Writer, r *server.Run) {
	fmt.Fprintf(w, "run %d (%s) %s, attempt %d of %d\n", r.ID, r.Kind, r.State, r.Attempt, r.MaxAttempts)
	fmt.Fprintf(w, "model    %s\ninput    %s\nparams   %s\n", r.Model, r.InputSnapshot, kv(r.Params))
	if r.TrainedModel != "" {
		fmt.Fprintf(w, "trained  %s\n", r.TrainedModel)
	}
	if p := r.Profile; p != nil {
		fmt.Fprintf(w, "profile  %s by %s\n", p.Name, p.ID)
	}
	if r.OutputSnapshot != "" || r.OutputName != "" {
		fmt.Fprintf(w, "output   %s\n", firstOf(r.OutputSnapshot, r.OutputName))
	}
	if r.RowsIn > 0 || r.RowsOut > 0 {
		fmt.Fprintf(w, "rows     %d in, %d out\n", r.RowsIn, r.RowsOut)
	}
	if p := r.Parts; p != nil {
		fmt.Fprintf(w, "parts    %d of %d succeeded, %d running, %d queued", p.Succeeded, p.Total, p.Running, p.Queued)
		if p.Failed+p.Cancelled > 0 {
			fmt.Fprintf(w, ", %d failed, %d cancelled", p.Failed, p.Cancelled)
		}
		fmt.Fprintf(w, " (partition rows %d)\n", r.PartitionRows)
	} else if r.Kind == server.RunScore && r.PartitionRows > 0 && !r.State.Final() {
		fmt.Fprintf(w, "parts    inputs of more than %d rows are scored in parts\n", r.PartitionRows)
	}
	if len(r.Metrics) > 0 {
		fmt.Fprintf(w, "metrics  %s\n", metrics(r.Metrics))
	}
	if len(r.Curves) > 0 {
		names := make([]string, 0, len(r.Curves))
		for name, c := range r.Curves {
			names = append(names, fmt.Sprintf("%s (%d points)", name, len(c.X)))
		}
		sort.Strings(names)
		fmt.Fprintf(w, "curves   %s\n", strings.Join(names, ", "))
	}
	switch {
	case r.Baseline != "" && r.BaselineError != "":
		fmt.Fprintf(w, "baseline %s not evaluated on this split: %s\n", r.Baseline, r.BaselineError)
	case r.Baseline != "" && r.BaselineMetrics != nil:
		fmt.Fprintf(w, "baseline %s on this split: %s\n", r.Baseline, metrics(r.BaselineMetrics))
	case r.Baseline != "":
		fmt.Fprintf(w, "baseline %s, evaluated on this split when the run succeeds\n", r.Baseline)
	}
	if r.DurationMS > 0 {
		fmt.Fprintf(w, "took     %s\n", time.Duration(r.DurationMS)*time.Millisecond)
	}
	if r.Error != "" {
		fmt.Fprintf(w, "error    %s\n", r.Error)
	}
	if r.Schedule != "" && r.NominalTime != nil {
		fmt.Fprintf(w, "slot     %s at %s\n", r.Schedule, r.NominalTime.Format(time.RFC3339))
	}
	if r.Promotion != nil {
		fmt.Fprintf(w, "promote  %s\n", r.Promotion.Reason)
	}
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// streamLogs prints a run's log, and with follow keeps printing until the
// run reaches a final state, which it returns.
func streamLogs(ctx context.Context, c *galleyhttp.Client, id int64, follow bool, w io.Writer) (*server.Run, error) {
	after := 0
	for {
		r, err := c.FindRun(ctx, id)
		if err != nil {
			return nil, err
		}
		lines, err := c.RunLogs(ctx, id, after)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			fmt.Fprintln(w, l.Text)
			after = l.Seq
		}
		if !follow || (r.State.Final() && len(lines) == 0) {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

var errRunFailed = errors.New("run did not succeed")

// finishQueued reports a queued run, and with wait follows it to the end.
func finishQueued(ctx context.Context, c *galleyhttp.Client, run *server.Run, wait, asJSON bool, w io.Writer) error {
	if !wait {
		if asJSON {
			return printJSON(w, run)
		}
		fmt.Fprintf(w, "queued %s run %d; follow it with 'galley runs logs -f %d' or at %s\n", run.Kind, run.ID, run.ID, c.URL+web.RunURL(run.ID))
		return nil
	}
	logOut := w
	if asJSON {
		logOut = io.Discard
	} else {
		// Printed first, so the page can be opened while the run goes.
		fmt.Fprintf(w, "run %d: %s\n", run.ID, c.URL+web.RunURL(run.ID))
	}
	final, err := streamLogs(ctx, c, run.ID, true, logOut)
	if err != nil {
		return explain(err)
	}
	if asJSON {
		printJSON(w, final)
	} else {
		printRun(w, final)
	}
	if final.State != server.RunSucceeded {
		return fmt.Errorf("%w: run %d %s: %s", errRunFailed, final.ID, final.State, final.Error)
	}
	return nil
}
