package main

import (
	"context"
	"io"

	"github.com/galley-dev/galley/server"
)

func init() {
	register(&command{
		name:    "train",
		summary: "queue a training run of a model",
		usage:   "galley train MODEL [-p key=value]... [--wait]",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			fs := newFlagSet(commands["train"], stderr)
			api := clientFlags(fs)
			ps := params{}
			fs.Var(ps, "p", "parameter value for this run as key=value (repeatable)")
			wait := fs.Bool("wait", false, "wait for the run to finish, streaming its log")
			asJSON := fs.Bool("json", false, "print the run as JSON")
			pos, err := parseArgs(fs, args, 1)
			if err != nil {
				return err
			}
			c := api()
			run, err := c.Train(ctx, server.TrainRequest{Model: pos[0], Params: ps})
			if err != nil {
				return explain(err)
			}
			return finishQueued(ctx, c, run, *wait, *asJSON, stdout)
		},
	})
}
