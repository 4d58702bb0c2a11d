package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/galley-dev/galley/server"
)

func init() {
	register(&command{
		name:    "dataset",
		summary: "import and inspect the server's datasets",
		usage: `galley dataset import FILE.csv [--name NAME]
       galley dataset list [--limit N] [--offset N] [--order FIELD]
       galley dataset show NAME[@VERSION] [--data]
       galley dataset delete NAME`,
		run: runDataset,
	})
}

func runDataset(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: dataset needs a subcommand: import, list or show", errUsage)
	}
	fs := newFlagSet(commands["dataset"], stderr)
	api := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	switch args[0] {
	case "delete":
		return deleteCommand(ctx, fs, args[1:], stdout, "dataset", func(name string) error { return api().DeleteDataset(ctx, name) })
	case "import":
		name := fs.String("name", "", "dataset name (default: the file name without extension)")
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		f, err := os.Open(pos[0])
		if err != nil {
			return err
		}
		defer f.Close()
		if *name == "" {
			*name = strings.TrimSuffix(filepath.Base(pos[0]), filepath.Ext(pos[0]))
		}
		v, err := api().ImportDataset(ctx, *name, f)
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, v)
		}
		fmt.Fprintf(stdout, "imported %s: %d rows, %d columns\n", v.Snapshot(), v.Rows, len(v.Columns))
		return nil
	case "list":
		p := pageFlags(fs)
		if _, err := parseArgs(fs, args[1:], 0); err != nil {
			return err
		}
		items, total, err := api().FindDatasets(ctx, server.DatasetFilter{Page: *p})
		return printList(stdout, *asJSON, items, total, err, "NAME\tLATEST\tUPDATED", func(w io.Writer, d *server.Dataset) {
			fmt.Fprintf(w, "%s\t%d\t%s\n", d.Name, d.LatestVersion, d.UpdatedAt.Format("2006-01-02 15:04"))
		})
	case "show":
		data := fs.Bool("data", false, "print the version's CSV")
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		c := api()
		if *data {
			return explain(c.DatasetData(ctx, pos[0], stdout))
		}
		v, err := c.FindDatasetVersion(ctx, pos[0])
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, v)
		}
		fmt.Fprintf(stdout, "dataset %s\nrows     %d\ncolumns  %s\ncreated  %s\n", v.Snapshot(), v.Rows, strings.Join(v.Columns, ", "), v.CreatedAt.Format("2006-01-02 15:04:05"))
		if l := v.Lineage; l != nil {
			params := kv(l.Params)
			if params == "" {
				params = "(the trained model's)"
			}
			fmt.Fprintf(stdout, "lineage  scoring run %d: recipe %s@%d, trained model %s, input %s, params %s\n", l.RunID, l.Recipe, l.RecipeVersion, l.TrainedModel, l.InputSnapshot, params)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown dataset subcommand %q", errUsage, args[0])
}
