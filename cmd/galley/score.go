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
		summary: "queue a scoring run: a trained model scores a dataset into a new one",
		usage:   "galley score MODEL[@VERSION|@ALIAS] --input DATASET[@VERSION] --output NAME [--wait]",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			fs := newFlagSet(commands["score"], stderr)
			api := clientFlags(fs)
			input := fs.String("input", "", "dataset to score")
			output := fs.String("output", "", "dataset to write the scores to (a new version each time)")
			wait := fs.Bool("wait", false, "wait for the run to finish, streaming its log")
			asJSON := fs.Bool("json", false, "print the run as JSON")
			pos, err := parseArgs(fs, args, 1)
			if err != nil {
				return err
			}
			if *input == "" || *output == "" {
				return fmt.Errorf("%w: score needs --input and --output", errUsage)
			}
			c := api()
			run, err := c.Score(ctx, server.ScoreRequest{TrainedModel: pos[0], Input: *input, Output: *output})
			if err != nil {
				return explain(err)
			}
			return finishQueued(ctx, c, run, *wait, *asJSON, stdout)
		},
	})
}
