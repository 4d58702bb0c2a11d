// Package supervisor assembles a running kernel: it binds the sockets from
// a connection file, starts the worker process that hosts the interpreter,
// opens the history and serves the session until a shutdown request.
package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/galley-dev/galley/kernel/executor"
	"github.com/galley-dev/galley/kernel/history"
	"github.com/galley-dev/galley/kernel/session"
	"github.com/galley-dev/galley/kernel/wire"
)

// Main is one kernel process: `galley kernel --connection-file FILE`.
type Main struct {
	ConnectionFile string
	// MemoryLimit in bytes for the worker; zero means no limit.
	MemoryLimit int64
	// Executable is the galley binary that runs the worker subcommand;
	// empty means this process's executable.
	Executable string
	Version    string
	Log        *slog.Logger
	// Magics are the line magics the kernel answers itself.
	Magics map[string]session.Magic
	// WorkerArgs are further arguments of the worker subcommand.
	WorkerArgs []string

	kernel *session.Kernel
	mgr    *executor.Manager
	socks  *wire.Sockets
}

// WorkerCommand is the hidden subcommand that runs the executor.
const WorkerCommand = "kernel-worker"

// Run serves the kernel until it is shut down or ctx ends.
func (m *Main) Run(ctx context.Context) error {
	if m.Log == nil {
		m.Log = slog.Default()
	}
	info, err := wire.ReadConnectionFile(m.ConnectionFile)
	if err != nil {
		return err
	}
	exe := m.Executable
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("locating the galley binary for the worker: %w", err)
		}
	}
	m.socks, err = wire.Listen(ctx, info, m.Log)
	if err != nil {
		return err
	}
	defer m.socks.Close()

	var hist *history.Store
	if path, err := history.DefaultPath(); err != nil {
		m.Log.Warn("history disabled", "err", err)
	} else if hist, err = history.Open(path); err != nil {
		m.Log.Warn("history disabled", "err", err)
	}
	m.kernel = session.New(session.Config{Sockets: m.socks, History: hist, Log: m.Log, Version: m.Version, Magics: m.Magics})
	argv := []string{exe, WorkerCommand}
	if m.MemoryLimit > 0 {
		argv = append(argv, "--memory-limit", strconv.FormatInt(m.MemoryLimit, 10))
	}
	argv = append(argv, m.WorkerArgs...)
	m.mgr, err = executor.Start(executor.Config{Command: argv, Env: os.Environ(), Output: m.kernel.Output(), Log: m.Log})
	if err != nil {
		return err
	}
	defer m.mgr.Close()

	// A kernel outlives its front end only by mistake: when the process
	// that started it goes away (a crashed or killed Jupyter server), it
	// shuts down with its worker instead of lingering.
	ctx, orphaned := context.WithCancel(ctx)
	defer orphaned()
	go watchParent(ctx, os.Getppid(), time.Second, func() {
		m.Log.Warn("the process that started the kernel is gone; shutting down")
		orphaned()
	})

	start := time.Now()
	restart, err := m.kernel.Run(ctx, m.mgr)
	m.Log.Info("kernel stopped", "restart", restart, "uptime", time.Since(start).Round(time.Millisecond))
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// watchParent calls gone once the process's parent is no longer parent,
// checking every interval until ctx ends. A parent of 1 means the kernel
// was started detached on purpose, so there is nothing to watch.
func watchParent(ctx context.Context, parent int, interval time.Duration, gone func()) {
	if parent <= 1 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != parent {
				gone()
				return
			}
		}
	}
}

// Interrupt interrupts the running cell; the kernel command calls it on
// SIGINT.
func (m *Main) Interrupt() {
	if m.kernel != nil {
		m.kernel.Interrupt()
	}
}
