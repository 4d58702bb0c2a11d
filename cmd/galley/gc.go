package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/stdlib/catalog"
)

func init() {
	register(&command{
		name:    "gc",
		summary: "report and reclaim disk space galley no longer needs",
		usage:   "galley gc [--home DIR] [--dry-run]",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			fs := newFlagSet(commands["gc"], stderr)
			home := fs.String("home", "", "galley's state directory (default $GALLEY_HOME or ~/.galley)")
			dry := fs.Bool("dry-run", false, "report only; remove nothing")
			if _, err := parseArgs(fs, args, 0); err != nil {
				return err
			}
			if *home == "" {
				*home = catalog.Home()
			}
			g := &garbage{Home: *home, DryRun: *dry}
			if err := g.collect(ctx, true); err != nil {
				return err
			}
			verb := "reclaimed"
			if *dry {
				verb = "would reclaim"
			}
			for _, k := range g.kinds() {
				fmt.Fprintf(stdout, "%s: %d file(s), %s\n", k, g.files[k], sizeText(g.bytes[k]))
			}
			fmt.Fprintf(stdout, "%s %s in %d file(s)\n", verb, sizeText(g.total()), g.count())
			return nil
		},
	})
}

// garbage finds what a galley home holds that nothing needs: temporary
// files of uploads and saves a killed server left behind, and exported
// inputs of finished runs (kept with --keep-run-files).
type garbage struct {
	Home   string
	DryRun bool
	files  map[string]int
	bytes  map[string]int64
}

// collect removes (or, with DryRun, counts) garbage; with runs it also
// looks up run states in the database, which a starting server skips.
func (g *garbage) collect(ctx context.Context, runs bool) error {
	g.files, g.bytes = map[string]int{}, map[string]int64{}
	for _, pat := range []string{
		filepath.Join(g.Home, "datasets", ".uploads", "import-*"),
		filepath.Join(g.Home, "datasets", "*", ".saving-*"),
		filepath.Join(g.Home, "server", "datasets", ".import-*"),
	} {
		matches, _ := filepath.Glob(pat)
		for _, m := range matches {
			g.remove("interrupted uploads and saves", m)
		}
	}
	if !runs {
		return nil
	}
	work := filepath.Join(g.Home, "server", "work")
	for _, pat := range []string{"validate-*", "job-*"} {
		matches, _ := filepath.Glob(filepath.Join(work, pat))
		for _, m := range matches {
			g.remove("leftover validation directories", m)
		}
	}
	dbPath := filepath.Join(g.Home, "server", "galley.db")
	if _, err := os.Stat(dbPath); err != nil {
		return nil
	}
	db, err := sqlite.Open(dbPath, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	inputs, _ := filepath.Glob(filepath.Join(work, "runs", "*", "input.csv*"))
	for _, in := range inputs {
		id, err := strconv.ParseInt(filepath.Base(filepath.Dir(in)), 10, 64)
		if err != nil {
			continue
		}
		r, err := db.FindRun(ctx, id)
		if server.ErrorCode(err) == server.ENOTFOUND || (err == nil && r.State.Final()) {
			g.remove("inputs of finished runs", in)
		}
	}
	return nil
}

func (g *garbage) remove(kind, path string) {
	var n int64
	filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	if !g.DryRun && os.RemoveAll(path) != nil {
		return
	}
	g.files[kind]++
	g.bytes[kind] += n
}

func (g *garbage) kinds() []string {
	var out []string
	for k := range g.files {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (g *garbage) total() (n int64) {
	for _, b := range g.bytes {
		n += b
	}
	return n
}

func (g *garbage) count() (n int) {
	for _, c := range g.files {
		n += c
	}
	return n
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
