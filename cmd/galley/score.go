package main

import (
	"context"
	"fmt"
	"io"

	"github.com/galley-dev/galley/server"
)

func init() {
	register(&command{
		name:    "score",
		summary: "queue a scoring run: a trained model scores a dataset into a new one, a profile set, or both",
		usage:   "galley score MODEL[@VERSION|@ALIAS] --input DATASET[@VERSION] (--output NAME [--force] | --profile SET --id COLUMN)... [--wait]",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			fs := newFlagSet(commands["score"], stderr)
			api := clientFlags(fs)
			input := fs.String("input", "", "dataset to score")
			output := fs.String("output", "", "dataset to write the scores to (a new version each time)")
			profile := fs.String("profile", "", "profile set to upsert the scores into, one profile per identity")
			id := fs.String("id", "", "the scoring output's identity column that keys the profiles (with --profile), such as customerID")
			force := fs.Bool("force", false, "write --output even when a model trains on that dataset")
			wait := fs.Bool("wait", false, "wait for the run to finish, streaming its log")
			asJSON := fs.Bool("json", false, "print the run as JSON")
			pos, err := parseArgs(fs, args, 1)
			if err != nil {
				return err
			}
			if *input == "" || *output == "" && *profile == "" {
				return fmt.Errorf("%w: score needs --input, and --output or --profile", errUsage)
			}
			if (*profile == "") != (*id == "") {
				return fmt.Errorf("%w: --profile SET and --id COLUMN go together", errUsage)
			}
			req := server.ScoreRequest{TrainedModel: pos[0], Input: *input, Output: *output, Force: *force}
			if *profile != "" {
				req.Profile = &server.ProfileTarget{Name: *profile, ID: *id}
			}
			c := api()
			run, err := c.Score(ctx, req)
			if err != nil {
				return explain(err)
			}
			return finishQueued(ctx, c, run, *wait, *asJSON, stdout)
		},
	})
}
