package main

import (
	"context"
	"fmt"
	"io"

	"github.com/galley-dev/galley/engine"
	"github.com/galley-dev/galley/kernel/executor"
	"github.com/galley-dev/galley/kernel/supervisor"
)

func init() {
	register(&command{
		name:    supervisor.WorkerCommand,
		summary: "run the interpreter for a kernel (started by 'galley kernel')",
		usage:   "galley kernel-worker [--memory-limit BYTES]",
		hidden:  true,
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			fs := newFlagSet(commands[supervisor.WorkerCommand], stderr)
			limit := fs.Int64("memory-limit", 0, "most memory in bytes the worker may use (0: no limit)")
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
			}
			return executor.ServeInherited(ctx, executor.Options{
				MemoryLimit: *limit,
				NewEngine: func(stdin io.Reader, stdout, stderr io.Writer) (executor.Engine, error) {
					return engine.New(engine.Options{Stdin: stdin, Stdout: stdout, Stderr: stderr})
				},
			})
		},
	})
}
