package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/galley-dev/galley/engine"
	"github.com/galley-dev/galley/kernel/executor"
	"github.com/galley-dev/galley/kernel/supervisor"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/stdlib/catalog"
)

func init() {
	register(&command{
		name:    supervisor.WorkerCommand,
		summary: "run the interpreter for a kernel (started by 'galley kernel')",
		usage:   "galley kernel-worker [--memory-limit BYTES] [--catalog-cache BYTES]",
		hidden:  true,
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			fs := newFlagSet(commands[supervisor.WorkerCommand], stderr)
			limit := fs.Int64("memory-limit", 0, "most memory in bytes the worker may use (0: no limit)")
			cacheBytes := fs.Int64("catalog-cache", 0, "most bytes the copies of a server's datasets may take (0: the default)")
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
			}
			// A kernel started for a server reads the server's datasets,
			// those its recipes and runs read, rather than the catalog
			// under this machine's home.
			if url := os.Getenv("GALLEY_SERVER"); url != "" {
				catalog.UseShared(galleyhttp.SharedCatalog(galleyhttp.ClientFromEnv(url), *cacheBytes))
			}
			return executor.ServeInherited(ctx, executor.Options{
				MemoryLimit: *limit,
				NewEngine: func(stdin io.Reader, stdout, stderr io.Writer) (executor.Engine, error) {
					e, err := engine.New(engine.Options{Stdin: stdin, Stdout: stdout, Stderr: stderr})
					if err != nil {
						return nil, err
					}
					return workerEngine{e}, nil
				},
			})
		},
	})
}

// The engine and the executor number the session's variables alike.
var _ [0]struct{} = [engine.GlobalsRef - executor.GlobalsRef]struct{}{}

// workerEngine is the engine as the worker serves it: the engine's variable
// listing in the executor protocol's terms.
type workerEngine struct{ *engine.Engine }

func (w workerEngine) Variables(ref int) []executor.Variable {
	vs := w.Engine.Variables(ref)
	out := make([]executor.Variable, len(vs))
	for i, v := range vs {
		out[i] = executor.Variable{Name: v.Name, Type: v.Type, Value: v.Value, Ref: v.Ref}
	}
	return out
}
