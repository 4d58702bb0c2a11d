package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
)

func init() {
	register(&command{
		name:    "model",
		summary: "configure models from recipes and inspect their trained versions",
		usage: `galley model create NAME --recipe RECIPE[@VERSION] --dataset DATASET[@VERSION] [-p key=value]...
       galley model list [--recipe NAME] [--limit N] [--offset N] [--order FIELD]
       galley model show NAME
       galley model alias NAME ALIAS VERSION
       galley model delete NAME | NAME@VERSION`,
		run: runModel,
	})
}

func runModel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: model needs a subcommand: create, list, show or alias", errUsage)
	}
	fs := newFlagSet(commands["model"], stderr)
	api := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	switch args[0] {
	case "delete":
		return deleteCommand(ctx, fs, args[1:], stdout, "model", func(ref string) error {
			if strings.Contains(ref, "@") {
				return api().DeleteTrainedModel(ctx, ref)
			}
			return api().DeleteModel(ctx, ref)
		})
	case "create":
		rec := fs.String("recipe", "", "recipe, optionally @VERSION (default: its latest version)")
		ds := fs.String("dataset", "", "training dataset, optionally @VERSION (default: its latest version at training time)")
		ps := params{}
		fs.Var(ps, "p", "parameter value as key=value (repeatable)")
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		name, ver, _ := strings.Cut(*rec, "@")
		n := 0
		if ver != "" {
			if n, err = strconv.Atoi(strings.TrimPrefix(ver, "v")); err != nil {
				return fmt.Errorf("%w: recipe version %q is not a number", errUsage, ver)
			}
		}
		m := &server.Model{Name: pos[0], Recipe: name, RecipeVersion: n, Dataset: *ds, Params: ps}
		if err := api().CreateModel(ctx, m); err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, m)
		}
		fmt.Fprintf(stdout, "created model %s from recipe %s version %d, training on %s\n", m.Name, m.Recipe, m.RecipeVersion, m.Dataset)
		return nil
	case "list":
		rec := fs.String("recipe", "", "only models of this recipe")
		p := pageFlags(fs)
		if _, err := parseArgs(fs, args[1:], 0); err != nil {
			return err
		}
		items, total, err := api().FindModels(ctx, server.ModelFilter{Recipe: *rec, Page: *p})
		return printList(stdout, *asJSON, items, total, err, "NAME\tRECIPE\tDATASET\tPARAMS", func(w io.Writer, m *server.Model) {
			fmt.Fprintf(w, "%s\t%s@%d\t%s\t%s\n", m.Name, m.Recipe, m.RecipeVersion, m.Dataset, kv(m.Params))
		})
	case "show":
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		c := api()
		m, err := c.FindModel(ctx, pos[0])
		if err != nil {
			return explain(err)
		}
		trained, _, err := c.FindTrainedModels(ctx, server.TrainedModelFilter{Model: m.Name})
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, map[string]any{"model": m, "trained": trained})
		}
		fmt.Fprintf(stdout, "model %s\nrecipe   %s@%d\ndataset  %s\nparams   %s\n", m.Name, m.Recipe, m.RecipeVersion, m.Dataset, kv(m.Params))
		if len(trained) == 0 {
			fmt.Fprintf(stdout, "\nnot trained yet: run 'galley train %s'\n", m.Name)
			return nil
		}
		tw := table(stdout, "\nVERSION\tRUN\tDATASET\tALIASES\tMETRICS")
		for _, t := range trained {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\n", t.Version, t.RunID, t.DatasetSnapshot, strings.Join(t.Aliases, ","), metrics(t.Metrics))
		}
		return tw.Flush()
	case "alias":
		pos, err := parseArgs(fs, args[1:], 3)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(pos[2])
		if err != nil {
			return fmt.Errorf("%w: version %q is not a number", errUsage, pos[2])
		}
		t, err := api().SetAlias(ctx, pos[0], pos[1], n)
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(stdout, "%s@%s now points at %s\n", pos[0], pos[1], t.Ref())
		return nil
	}
	return fmt.Errorf("%w: unknown model subcommand %q", errUsage, args[0])
}

func kv(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func metrics(m map[string]float64) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
