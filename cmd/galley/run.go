package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"

	"github.com/galley-dev/galley/kernel/batch"
)

func init() {
	c := &command{
		name:    "run",
		summary: "execute a notebook headless, papermill-style: inject parameters, store outputs",
		usage:   "galley run NOTEBOOK.ipynb [-p name=value]... [-o OUT.ipynb|-] [--cell-timeout DURATION]",
	}
	c.run = func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := newFlagSet(c, stderr)
		ps := params{}
		fs.Var(ps, "p", "parameter value as name=value, typed by the parameters cell (repeatable)")
		out := fs.String("o", "", "write the executed notebook here ('-' for stdout); without it nothing is written")
		timeout := fs.Duration("cell-timeout", 0, "interrupt a cell that runs longer, e.g. 10m (default: no limit)")
		pos, err := parseArgs(fs, args, 1)
		if err != nil {
			return err
		}
		path := pos[0]
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return err
		}
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("locating the galley binary for the kernel: %w", err)
		}
		var values []batch.Value
		for name, v := range ps {
			values = append(values, batch.Value{Name: name, Text: v})
		}
		sort.Slice(values, func(i, j int) bool { return values[i].Name < values[j].Name })
		// Ctrl-C interrupts the running cell and ends the run, keeping
		// what ran in the output.
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
		executed, runErr := batch.Run(ctx, raw, values, batch.Options{
			Galley: exe, Dir: filepath.Dir(abs), Env: os.Environ(), Progress: stderr, CellTimeout: *timeout,
		})
		if executed == nil {
			return fmt.Errorf("%s: %w", path, runErr)
		}
		switch *out {
		case "":
		case "-":
			if _, err := stdout.Write(executed); err != nil {
				return err
			}
		default:
			if err := os.WriteFile(*out, executed, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(stderr, "wrote %s\n", *out)
		}
		if runErr != nil {
			return fmt.Errorf("%s: %w", path, runErr)
		}
		return nil
	}
	register(c)
}
