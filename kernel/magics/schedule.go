package magics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
)

// ScheduleService is what %schedule needs of the server.
type ScheduleService interface {
	server.ModelService
	server.ScheduleService
}

// Schedule is the %schedule magic:
//
//	%schedule NAME --input DATASET --output NAME (--cron EXPR [--tz ZONE] | --every DURATION)
//
// It creates a scoring schedule for the model of the recipe this kernel
// last registered with %recipe create (or --recipe, or --model), scoring
// with its trained version aliased production unless --model names another.
type Schedule struct {
	// Service returns the server's services, usually a client of the
	// server named by $GALLEY_SERVER.
	Service func() ScheduleService
	// Recipe is the kernel's %recipe magic, whose last recipe is the
	// default.
	Recipe *Recipe
}

const scheduleUsage = `usage: %schedule NAME --input DATASET --output NAME (--cron EXPR [--tz ZONE] | --every DURATION)
                 [--model MODEL[@ALIAS|@VERSION]] [--recipe RECIPE] [--overlap POLICY] [--catch-up POLICY]

Creates scoring schedule NAME on the galley server: the model of the recipe
registered with %recipe create (its trained version aliased production)
scores DATASET's latest version into NAME at every slot. Quote cron
expressions: %schedule nightly --cron "0 2 * * *" --tz Europe/Berlin ...`

// DefaultAlias is the trained version %schedule scores with unless told.
const DefaultAlias = "production"

// Run carries out one %schedule line.
func (m *Schedule) Run(ctx context.Context, line string, out func(string)) error {
	args, err := splitArgs(line)
	if err != nil {
		return err
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		out(scheduleUsage + "\n")
		return nil
	}
	fs := flag.NewFlagSet("%schedule", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	input := fs.String("input", "", "")
	output := fs.String("output", "", "")
	expr := fs.String("cron", "", "")
	tz := fs.String("tz", "", "")
	every := fs.String("every", "", "")
	model := fs.String("model", "", "")
	recipe := fs.String("recipe", "", "")
	overlap := fs.String("overlap", "", "")
	catchUp := fs.String("catch-up", "", "")
	var pos []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%%schedule: %v; %s", err, scheduleUsage)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch {
	case len(pos) != 1:
		return fmt.Errorf("%%schedule needs one schedule name; %s", scheduleUsage)
	case *input == "" || *output == "":
		return fmt.Errorf("%%schedule needs --input and --output; %s", scheduleUsage)
	case (*expr == "") == (*every == ""):
		return fmt.Errorf("%%schedule needs either --cron or --every; %s", scheduleUsage)
	}
	svc := m.Service()
	target := *model
	if target == "" {
		if target, err = m.model(ctx, svc, *recipe); err != nil {
			return err
		}
	}
	if !strings.Contains(target, "@") {
		target += "@" + DefaultAlias
	}
	s := &server.Schedule{Name: pos[0], Kind: server.RunScore, Model: target, Input: *input, Output: *output, Overlap: *overlap, CatchUp: *catchUp,
		Timing: server.Timing{Cron: *expr, Every: *every, TimeZone: *tz}}
	if err := svc.CreateSchedule(ctx, s); err != nil {
		return userError(err)
	}
	timing := s.Timing.Cron
	if s.Timing.Every != "" {
		timing = "every " + s.Timing.Every
	}
	zone := s.Timing.TimeZone
	if zone == "" {
		zone = "UTC"
	}
	out(fmt.Sprintf("created scoring schedule %s: %s scores %s into %s, %s (%s)\n", s.Name, s.Model, s.Input, s.Output, timing, zone))
	next, err := svc.NextSlots(ctx, s.Name, 3)
	if err != nil {
		return userError(err)
	}
	for _, sl := range next {
		out(fmt.Sprintf("  next %s (%s)\n", sl.Local, sl.Time.Format(time.RFC3339)))
	}
	out(fmt.Sprintf("pause it with 'galley schedule pause %s'; see its runs with 'galley schedule history %s'\n", s.Name, s.Name))
	return nil
}

// model finds the one model of recipe, or of the recipe %recipe created.
func (m *Schedule) model(ctx context.Context, svc ScheduleService, recipe string) (string, error) {
	if recipe == "" && m.Recipe != nil {
		recipe = m.Recipe.Last
	}
	if recipe == "" {
		return "", errors.New("%schedule does not know which model to score with: run %recipe create NAME first, or pass --recipe RECIPE or --model MODEL")
	}
	models, _, err := svc.FindModels(ctx, server.ModelFilter{Recipe: recipe})
	if err != nil {
		return "", userError(err)
	}
	switch len(models) {
	case 0:
		return "", fmt.Errorf("recipe %s has no model yet: create and train one (galley model create MODEL --recipe %s --dataset DATASET; galley train MODEL; galley model alias MODEL %s 1), then run %%schedule again", recipe, recipe, DefaultAlias)
	case 1:
		return models[0].Name, nil
	}
	var names []string
	for _, x := range models {
		names = append(names, x.Name)
	}
	return "", fmt.Errorf("recipe %s has %d models (%s): pick one with --model", recipe, len(models), strings.Join(names, ", "))
}

func userError(err error) error {
	var se *server.Error
	if errors.As(err, &se) {
		return errors.New(se.Message)
	}
	return err
}
