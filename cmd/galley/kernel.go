package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/galley-dev/galley/kernel/executor"
	"github.com/galley-dev/galley/kernel/kernelspec"
	"github.com/galley-dev/galley/kernel/magics"
	"github.com/galley-dev/galley/kernel/papermill"
	"github.com/galley-dev/galley/kernel/session"
	"github.com/galley-dev/galley/kernel/supervisor"
	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
)

func init() {
	register(&command{
		name:    "kernel",
		summary: "run the Jupyter kernel, or install its kernelspec",
		usage: "galley kernel --connection-file FILE [--memory-limit SIZE] [--catalog-cache SIZE]\n" +
			"       galley kernel install [--user | --sys-prefix [--python PY] | --prefix DIR] [--name NAME]\n" +
			"       galley kernel uninstall [--user | --sys-prefix [--python PY] | --prefix DIR] [--name NAME]",
		run: runKernel,
	})
}

func runKernel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "install" || args[0] == "uninstall") {
		return runKernelspec(args[0], args[1:], stdout, stderr)
	}
	fs := newFlagSet(commands["kernel"], stderr)
	connFile := fs.String("connection-file", "", "the connection file written by Jupyter")
	memLimit := fs.String("memory-limit", os.Getenv("GALLEY_MEMORY_LIMIT"), "most memory the interpreter may use, e.g. 4GiB (default $GALLEY_MEMORY_LIMIT, or no limit)")
	catalogCache := fs.String("catalog-cache", os.Getenv("GALLEY_CATALOG_CACHE"), "most disk the copies of a server's datasets may take under $GALLEY_HOME/cache/datasets, e.g. 2GiB (default $GALLEY_CATALOG_CACHE, or 10GiB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *connFile == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: --connection-file is required", errUsage)
	}
	m := &supervisor.Main{ConnectionFile: *connFile, Version: version, Log: kernelLogger(stderr)}
	recipeMagic := &magics.Recipe{
		Recipes: func() server.RecipeService { return galleyhttp.ClientFromEnv("") },
		Author:  currentUser(),
	}
	m.Magics = map[string]session.Magic{
		"recipe": recipeMagic,
		"schedule": &magics.Schedule{
			Service: func() magics.ScheduleService { return galleyhttp.ClientFromEnv("") },
			Recipe:  recipeMagic,
		},
	}
	if *memLimit != "" {
		n, err := executor.ParseSize(*memLimit)
		if err != nil {
			return fmt.Errorf("%w: --memory-limit: %v", errUsage, err)
		}
		m.MemoryLimit = n
	}
	if *catalogCache != "" {
		n, err := executor.ParseSize(*catalogCache)
		if err != nil || n <= 0 {
			return fmt.Errorf("%w: --catalog-cache (or GALLEY_CATALOG_CACHE) %q: give a size such as 2GiB", errUsage, *catalogCache)
		}
		m.WorkerArgs = append(m.WorkerArgs, "--catalog-cache", strconv.FormatInt(n, 10))
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM)
	defer stop()
	sigint := make(chan os.Signal, 1)
	signal.Notify(sigint, os.Interrupt)
	defer signal.Stop(sigint)
	go func() {
		for range sigint {
			m.Interrupt()
		}
	}()
	return m.Run(ctx)
}

// kernelLogger writes to stderr, which Jupyter shows in its server log;
// GALLEY_LOG=debug shows every dropped or unsupported message.
func kernelLogger(stderr io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if l := os.Getenv("GALLEY_LOG"); l != "" {
		_ = level.UnmarshalText([]byte(l))
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}

func runKernelspec(action string, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet(commands["kernel"], stderr)
	var loc kernelspec.Location
	fs.BoolVar(&loc.User, "user", false, "install for the current user (the default)")
	fs.BoolVar(&loc.SysPrefix, "sys-prefix", false, "install into the Python environment's sys.prefix")
	fs.StringVar(&loc.Python, "python", "", "the Python whose sys.prefix --sys-prefix uses (default: the active virtualenv, else python3)")
	fs.StringVar(&loc.Prefix, "prefix", "", "install into PREFIX/share/jupyter/kernels")
	name := fs.String("name", kernelspec.DefaultName, "the kernelspec name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if action == "uninstall" {
		dir, err := kernelspec.Uninstall(loc, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed kernelspec %s from %s\n", *name, dir)
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locating the galley binary: %w", err)
	}
	dir, err := kernelspec.Install(loc, *name, exe)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "installed kernelspec %s in %s\n", *name, dir)
	installTranslator(loc, stdout, stderr)
	return nil
}

// installTranslator installs galley's papermill translator into the Python
// that serves the kernelspec's Jupyter, when that Python has papermill, so
// `papermill -p` works with the kernel. A failure is reported, not fatal:
// the kernel works without it.
func installTranslator(loc kernelspec.Location, stdout, stderr io.Writer) {
	python := loc.Python
	if python == "" && loc.Prefix != "" {
		if p := filepath.Join(loc.Prefix, "bin", "python"); fileExists(p) {
			python = p
		}
	}
	if python == "" {
		// Only a virtualenv's Python: a system Python is not galley's to
		// change (--python names one explicitly).
		venv := os.Getenv("VIRTUAL_ENV")
		if venv == "" {
			return
		}
		python = filepath.Join(venv, "bin", "python")
	}
	ok, err := papermill.Install(context.Background(), python)
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "warning: %v\n", err)
	case ok:
		fmt.Fprintf(stdout, "installed the papermill translator for Go into %s\n", python)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
