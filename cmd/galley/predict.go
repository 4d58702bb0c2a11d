package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/galley-dev/galley/server"
)

func init() {
	register(&command{
		name:    "predict",
		summary: "score rows online with a trained model; set canaries; show warm models",
		usage: `galley predict MODEL[@VERSION|@ALIAS] --json ROWS|@FILE
       galley predict canary MODEL [--version N --weight W]
       galley predict status`,
		run: runPredict,
	})
}

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(commands["predict"], stderr)
	api := clientFlags(fs)
	if len(args) > 0 && args[0] == "canary" {
		version := fs.Int("version", 0, "trained version to send the share of requests to")
		weight := fs.Float64("weight", 0, "share of the model's alias and default requests for the version, 0 to 1 (0 removes the canary)")
		asJSON := fs.Bool("json", false, "print the canary as JSON")
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		// Without --weight the canary is shown, not changed.
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		if given["version"] && !given["weight"] {
			return fmt.Errorf("%w: give --weight too: the share of requests for version %d, from 0 to 1", errUsage, *version)
		}
		var c *server.Canary
		if given["weight"] {
			c, err = api().SetCanary(ctx, server.Canary{Model: pos[0], Version: *version, Weight: *weight})
		} else {
			c, err = api().Canary(ctx, pos[0])
		}
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, c)
		}
		if c.Weight == 0 {
			fmt.Fprintf(stdout, "%s has no canary\n", c.Model)
			return nil
		}
		fmt.Fprintf(stdout, "%s: %.4g%% of alias and default requests go to version %d\n", c.Model, c.Weight*100, c.Version)
		return nil
	}
	if len(args) > 0 && args[0] == "status" {
		asJSON := fs.Bool("json", false, "print JSON")
		if _, err := parseArgs(fs, args[1:], 0); err != nil {
			return err
		}
		serving, canaries, err := api().ServingStatus(ctx)
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, map[string]any{"serving": serving, "canaries": canaries})
		}
		tw := table(stdout, "TRAINED MODEL\tPID\tREQUESTS\tERRORS\tROWS\tMEAN MS")
		for _, s := range serving {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.2f\n", s.Ref, s.Pid, s.Requests, s.Errors, s.Rows, s.MeanLatency)
		}
		tw.Flush()
		for _, c := range canaries {
			fmt.Fprintf(stdout, "canary: %s sends %.4g%% of alias and default requests to version %d\n", c.Model, c.Weight*100, c.Version)
		}
		return nil
	}
	rows := fs.String("json", "", "the rows, as MLflow JSON ({\"dataframe_split\": ...}, {\"dataframe_records\": [...]} or {\"instances\": [...]}), inline or @FILE (@- for standard input)")
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if *rows == "" {
		return fmt.Errorf("%w: predict needs --json ROWS", errUsage)
	}
	body := []byte(*rows)
	if name, ok := strings.CutPrefix(*rows, "@"); ok {
		if name == "-" {
			body, err = io.ReadAll(os.Stdin)
		} else {
			body, err = os.ReadFile(name)
		}
		if err != nil {
			return fmt.Errorf("reading the rows: %w", err)
		}
	}
	if !json.Valid(body) {
		return fmt.Errorf("%w: --json is not valid JSON: give {\"dataframe_records\": [{\"column\": value, ...}]} or the name of a file as @FILE", errUsage)
	}
	res, err := api().PredictJSON(ctx, pos[0], body)
	if err != nil {
		return explain(err)
	}
	// The answer is JSON either way: it is what scripts read.
	return printJSON(stdout, res)
}
