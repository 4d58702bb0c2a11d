package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/stdlib/data"
)

func init() {
	register(&command{
		name:    "profile",
		summary: "look up the profiles scoring runs write: latest scores per identity, with history",
		usage: `galley profile list [--limit N] [--offset N] [--order name|updated_at]
       galley profile list SET [--model M [--score NAME [--min X] [--max Y]]] [--limit N] [--offset N]
       galley profile show SET ID [--history N]
       galley profile scores SET ID [--model M]
       galley profile export SET [--model M] --format parquet|csv [-o FILE]`,
		run: runProfile,
	})
}

func runProfile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: profile needs a subcommand: list, show, scores or export", errUsage)
	}
	fs := newFlagSet(commands["profile"], stderr)
	api := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	switch args[0] {
	case "list":
		p := pageFlags(fs)
		model := fs.String("model", "", "only profiles this model scored")
		score := fs.String("score", "", "filter and order by this score of --model")
		lo := optionalFloat(fs, "min", "lowest --score listed")
		hi := optionalFloat(fs, "max", "highest --score listed")
		pos, err := parseArgs(fs, args[1:], len(positional(args[1:], fs)))
		if err != nil {
			return err
		}
		if len(pos) == 0 {
			return listProfileSets(ctx, api(), *p, *asJSON, stdout)
		}
		if len(pos) > 1 {
			return fmt.Errorf("%w: list takes at most one profile set", errUsage)
		}
		f := server.ProfileFilter{Set: pos[0], Model: *model, Score: *score, Min: lo.v, Max: hi.v, Page: *p}
		items, total, err := api().FindProfiles(ctx, f)
		return printList(stdout, *asJSON, items, total, err, "ID\tMODEL\tSCORES\tCLASS\tTRAINED MODEL\tSCORED", func(w io.Writer, pr *server.Profile) {
			for _, a := range pr.Attributes {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", pr.ID, a.Model, scoreText(a.Scores), a.Class, a.TrainedModel, a.ScoredAt.Format("2006-01-02 15:04"))
			}
		})
	case "show":
		history := fs.Int("history", 10, "history entries to show")
		pos, err := parseArgs(fs, args[1:], 2)
		if err != nil {
			return err
		}
		c := api()
		pr, err := c.FindProfile(ctx, pos[0], pos[1])
		if err != nil {
			return explain(err)
		}
		hist, total, err := c.ProfileHistory(ctx, pos[0], pos[1], server.Page{Limit: max(1, min(*history, server.MaxLimit))})
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, struct {
				*server.Profile
				History []*server.ProfileChange `json:"history"`
			}{pr, hist})
		}
		fmt.Fprintf(stdout, "profile %s in %s\n", pr.ID, pr.Name)
		for _, a := range pr.Attributes {
			fmt.Fprintf(stdout, "\n%s (trained model %s, run %d, scored %s)\n", a.Model, a.TrainedModel, a.RunID, a.ScoredAt.Format("2006-01-02 15:04:05"))
			if a.Schedule != "" {
				fmt.Fprintf(stdout, "  schedule %s", a.Schedule)
				if a.NominalTime != nil {
					fmt.Fprintf(stdout, ", slot %s", a.NominalTime.UTC().Format("2006-01-02 15:04"))
				}
				fmt.Fprintln(stdout)
			}
			for _, k := range sortedScores(a.Scores) {
				fmt.Fprintf(stdout, "  %-24s %s\n", k, strconv.FormatFloat(a.Scores[k], 'g', 6, 64))
			}
			if a.Class != "" {
				fmt.Fprintf(stdout, "  %-24s %s\n", "class", a.Class)
			}
			printDrivers(stdout, a.Drivers)
		}
		fmt.Fprintf(stdout, "\nhistory (%d changes, newest first)\n", total)
		tw := table(stdout, "SCORED\tMODEL\tTRAINED MODEL\tRUN\tSCORES\tCLASS\tDRIVERS")
		for _, h := range hist {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", h.ScoredAt.Format("2006-01-02 15:04:05"), h.Model, h.TrainedModel, h.RunID, scoreText(h.Scores), h.Class, driverNames(h.Drivers))
		}
		return footer(tw, stdout, len(hist), total)
	case "scores":
		model := fs.String("model", "", "the model whose scores to show (default: the only one)")
		pos, err := parseArgs(fs, args[1:], 2)
		if err != nil {
			return err
		}
		a, err := api().ProfileScores(ctx, pos[0], pos[1], *model)
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, a)
		}
		fmt.Fprintf(stdout, "%s %s %s", pos[1], a.TrainedModel, scoreText(a.Scores))
		if a.Class != "" {
			fmt.Fprintf(stdout, " class=%s", a.Class)
		}
		fmt.Fprintln(stdout)
		printDrivers(stdout, a.Drivers)
		return nil
	case "export":
		model := fs.String("model", "", "the model whose scores to export (default: the set's only model)")
		format := fs.String("format", "", "parquet or csv")
		out := fs.String("o", "", "file to write (default: standard output, for csv only)")
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		if *format != "parquet" && *format != "csv" {
			return fmt.Errorf("%w: --format is parquet or csv", errUsage)
		}
		if *format == "parquet" && *out == "" {
			return fmt.Errorf("%w: parquet export needs a file: give -o FILE", errUsage)
		}
		n, err := exportProfiles(ctx, api(), pos[0], *model, *format, *out, stdout)
		if err != nil {
			return explain(err)
		}
		if *out != "" {
			if *asJSON {
				return printJSON(stdout, map[string]any{"file": *out, "rows": n})
			}
			fmt.Fprintf(stdout, "exported %d profiles of %s to %s\n", n, pos[0], *out)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown profile subcommand %q", errUsage, args[0])
}

// positional counts the arguments that are not flags or flag values, so
// that "list" takes zero or one.
func positional(args []string, fs *flag.FlagSet) []string {
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if f := fs.Lookup(name); f != nil {
				if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
					i++
				}
			}
			continue
		}
		pos = append(pos, a)
	}
	return pos
}

// floatFlag is a float flag that may be left unset.
type floatFlag struct{ v *float64 }

func optionalFloat(fs *flag.FlagSet, name, usage string) *floatFlag {
	f := &floatFlag{}
	fs.Var(f, name, usage)
	return f
}

func (f *floatFlag) String() string {
	if f == nil || f.v == nil {
		return ""
	}
	return strconv.FormatFloat(*f.v, 'g', -1, 64)
}

func (f *floatFlag) Set(s string) error {
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	f.v = &x
	return nil
}

func listProfileSets(ctx context.Context, c *galleyhttp.Client, p server.Page, asJSON bool, stdout io.Writer) error {
	items, total, err := c.FindProfileSets(ctx, p)
	return printList(stdout, asJSON, items, total, err, "SET\tPROFILES\tMODELS\tUPDATED", func(w io.Writer, s *server.ProfileSet) {
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", s.Name, s.Profiles, strings.Join(s.Models, ","), s.UpdatedAt.Format("2006-01-02 15:04"))
	})
}

// printDrivers lists a score's drivers, most influential first.
func printDrivers(w io.Writer, ds []server.Driver) {
	if len(ds) == 0 {
		return
	}
	fmt.Fprintln(w, "  drivers (contribution to the raw score, such as the log-odds)")
	for _, d := range ds {
		fmt.Fprintf(w, "    %-40s %+.4g\n", d.Feature+" = "+d.Value, d.Contribution)
	}
}

// driverNames lists the drivers' columns, most influential first.
func driverNames(ds []server.Driver) string {
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Feature
	}
	return strings.Join(names, ",")
}

func sortedScores(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func scoreText(m map[string]float64) string {
	var parts []string
	for _, k := range sortedScores(m) {
		parts = append(parts, k+"="+strconv.FormatFloat(m[k], 'g', 6, 64))
	}
	return strings.Join(parts, " ")
}

// exportProfiles writes one model's attributes of every profile in set,
// page by page, with the project's CSV or Parquet writer. Score columns
// are those of the first page.
func exportProfiles(ctx context.Context, c *galleyhttp.Client, set, model, format, path string, stdout io.Writer) (int, error) {
	if model == "" {
		sets, _, err := c.FindProfileSets(ctx, server.Page{Limit: server.MaxLimit})
		if err != nil {
			return 0, err
		}
		for _, s := range sets {
			if s.Name != set {
				continue
			}
			if len(s.Models) != 1 {
				return 0, fmt.Errorf("profile set %s holds scores of %d models (%s): choose one with --model", set, len(s.Models), strings.Join(s.Models, ", "))
			}
			model = s.Models[0]
		}
		if model == "" {
			return 0, server.Errorf(server.ENOTFOUND, "profile set %s not found: list sets with 'galley profile list'", set)
		}
	}
	var w interface {
		Write(*data.Frame) error
		Close() error
	}
	var dst io.Writer = stdout
	if path != "" {
		f, err := os.Create(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		dst = f
	}
	if format == "parquet" {
		w = data.NewParquetWriter(dst)
	} else {
		w = data.NewCSVWriter(dst)
	}
	var names []string
	withClass, drivers := false, 0
	n, after := 0, ""
	for first := true; ; first = false {
		// Pages of the whole set by id cost the same wherever they start;
		// profiles the model did not score are left out here.
		all, _, err := c.FindProfiles(ctx, server.ProfileFilter{Set: set, After: after, Page: server.Page{Limit: server.MaxLimit}})
		if err != nil {
			return n, err
		}
		var page []*server.Profile
		for _, p := range all {
			if slices.ContainsFunc(p.Attributes, func(a server.ProfileAttributes) bool { return a.Model == model }) {
				page = append(page, p)
			}
		}
		if first {
			seen := map[string]bool{}
			for _, p := range page {
				a := attributesOf(p, model)
				withClass = withClass || a.Class != ""
				drivers = max(drivers, len(a.Drivers))
				for k := range a.Scores {
					if !seen[k] {
						seen[k] = true
						names = append(names, k)
					}
				}
			}
			sort.Strings(names)
		}
		if len(page) == 0 && !first {
			if len(all) < server.MaxLimit {
				break
			}
			after = all[len(all)-1].ID
			continue
		}
		f, err := profileFrame(page, model, names, withClass, drivers)
		if err != nil {
			return n, err
		}
		err = w.Write(f)
		f.Release()
		if err != nil {
			return n, err
		}
		n += len(page)
		if len(all) < server.MaxLimit {
			break
		}
		after = all[len(all)-1].ID
	}
	return n, w.Close()
}

// attributesOf returns model's attributes in p, which has them.
func attributesOf(p *server.Profile, model string) *server.ProfileAttributes {
	for j := range p.Attributes {
		if p.Attributes[j].Model == model {
			return &p.Attributes[j]
		}
	}
	return &server.ProfileAttributes{}
}

// profileFrame lays out one page of profiles as rows of model's
// attributes; scores a profile lacks are null. The class column is left
// out for models that predict none; drivers take the scoring output's
// columns (driver_N, driver_N_value, driver_N_contribution) for N up to
// drivers, null past a profile's own.
func profileFrame(page []*server.Profile, model string, names []string, withClass bool, drivers int) (*data.Frame, error) {
	ids, trained, class := make([]string, len(page)), make([]string, len(page)), make([]string, len(page))
	runs, scored := make([]int64, len(page)), make([]time.Time, len(page))
	scores, valid := make([][]float64, len(names)), make([][]bool, len(names))
	for k := range names {
		scores[k], valid[k] = make([]float64, len(page)), make([]bool, len(page))
	}
	for i, p := range page {
		a := attributesOf(p, model)
		ids[i], trained[i], class[i], runs[i], scored[i] = p.ID, a.TrainedModel, a.Class, a.RunID, a.ScoredAt
		for k, name := range names {
			scores[k][i], valid[k][i] = a.Scores[name]
		}
		if len(a.Drivers) > drivers {
			return nil, fmt.Errorf("profile %s has %d drivers, more than the %d of the first profiles exported: the set was scored with different drivers settings: score it again with one setting to export it", p.ID, len(a.Drivers), drivers)
		}
		for name := range a.Scores {
			if sort.SearchStrings(names, name) == len(names) || names[sort.SearchStrings(names, name)] != name {
				return nil, fmt.Errorf("profile %s has score %s, which the first profiles exported lack: export fewer models' scores at once", p.ID, name)
			}
		}
	}
	cols := []data.Series{data.Strings("id", ids)}
	for k, name := range names {
		cols = append(cols, data.Float64s(name, scores[k]).WithValid(valid[k]))
	}
	if withClass {
		cols = append(cols, data.Strings("class", class))
	}
	for k := range drivers {
		feat, val := make([]string, len(page)), make([]string, len(page))
		con, valid := make([]float64, len(page)), make([]bool, len(page))
		for i, p := range page {
			if ds := attributesOf(p, model).Drivers; k < len(ds) {
				feat[i], val[i], con[i], valid[i] = ds[k].Feature, ds[k].Value, ds[k].Contribution, true
			}
		}
		name := "driver_" + strconv.Itoa(k+1)
		cols = append(cols, data.Strings(name, feat).WithValid(valid), data.Strings(name+"_value", val).WithValid(valid),
			data.Float64s(name+"_contribution", con).WithValid(valid))
	}
	cols = append(cols, data.Strings("trained_model", trained), data.Int64s("run_id", runs), data.Times("scored_at", scored))
	return data.New(cols...)
}
