package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/galley-dev/galley/server/worker"
)

func init() {
	register(&command{
		name:    "run-attempt",
		summary: "execute one run attempt for 'galley serve' or 'galley worker' (reads the job on standard input)",
		usage:   "galley run-attempt",
		hidden:  true,
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: run-attempt takes no arguments; it is started by 'galley serve' and 'galley worker'", errUsage)
			}
			// Ctrl-C in a terminal reaches the whole process group. The
			// process that started this attempt decides what becomes of
			// it (it stops attempts with SIGKILL when it must), so the
			// attempt does not die of an interrupt meant for its parent,
			// which would count as a failed attempt.
			signal.Ignore(os.Interrupt)
			// Standard output carries the event stream; anything else that
			// writes to it directly (compiled packages) goes to stderr,
			// which the server keeps for the run's log.
			events := stdout
			if stdout == io.Writer(os.Stdout) {
				os.Stdout = os.Stderr
			}
			if code := worker.Child(ctx, os.Stdin, events); code != 0 {
				return fmt.Errorf("the worker could not run its job (status %d)", code)
			}
			return nil
		},
	})
}
