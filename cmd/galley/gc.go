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
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/stdlib/catalog"
)

func init() {
	register(&command{
		name:    "gc",
		summary: "report and reclaim disk space galley no longer needs",
		usage:   "galley gc [--home DIR] [--database URL] [--storage URL] [--dry-run]",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			fs := newFlagSet(commands["gc"], stderr)
			home := fs.String("home", "", "galley's state directory (default $GALLEY_HOME or ~/.galley)")
			database := fs.String("database", "", "the server's database, as for 'galley serve' (default SQLite under --home)")
			storage := fs.String("storage", "", "the server's object store, as for 'galley serve' (default $GALLEY_HOME/server/objects)")
			dry := fs.Bool("dry-run", false, "report only; remove nothing")
			if _, err := parseArgs(fs, args, 0); err != nil {
				return err
			}
			if *home == "" {
				*home = catalog.Home()
			}
			g := &garbage{Home: *home, Database: *database, Storage: *storage, DryRun: *dry}
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

// garbage finds what a galley home and its object store hold that nothing
// needs: temporary files of uploads and saves a killed server left behind,
// exported inputs of finished runs (kept with --keep-run-files), and
// objects whose run or trained model is gone (see sweepObjects).
type garbage struct {
	Home     string
	Database string // --database; "" for SQLite under Home
	Storage  string // --storage; "" for the file store under Home
	DryRun   bool
	files    map[string]int
	bytes    map[string]int64
}

// collect removes (or, with DryRun, counts) garbage; with runs it also
// looks up run states in the database, which a starting server skips.
func (g *garbage) collect(ctx context.Context, runs bool) error {
	g.files, g.bytes = map[string]int{}, map[string]int64{}
	for _, pat := range []string{
		filepath.Join(g.Home, "datasets", ".uploads", "import-*"),
		filepath.Join(g.Home, "datasets", "*", ".saving-*"),
		filepath.Join(g.Home, "server", "datasets", ".import-*"),
		filepath.Join(g.Home, "server", "cache", ".tmp", "*"),
		filepath.Join(g.Home, "server", "cache", "datasets", "*", ".*.part"),
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
	dbURL, err := parseDatabase(g.Database, g.Home)
	if err != nil {
		return err
	}
	if dbURL.sqlitePath != "" {
		if _, err := os.Stat(dbURL.sqlitePath); err != nil {
			// No server has run here: nothing can be garbage.
			return nil
		}
	}
	var cat server.DatasetService
	if dbURL.postgresDSN != "" {
		if cat, err = datasets.Open(filepath.Join(g.Home, "datasets")); err != nil {
			return err
		}
	}
	db, err := dbURL.open(cat, 0)
	if err != nil {
		return err
	}
	defer db.Close()
	objects, err := openStorage(ctx, g.Storage, g.Home)
	if err != nil {
		return err
	}
	defer objects.Close()
	if err := g.sweepObjects(ctx, db, objects); err != nil {
		return err
	}
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

// maxSweep bounds the objects one gc run looks at under each prefix.
const maxSweep = 1_000_000

// staleUpload is how old an object no rule names must be before gc takes
// it for the remains of an interrupted upload rather than one under way.
const staleUpload = time.Hour

// sweepObjects removes objects nothing needs any more:
//   - runs/ID/...: everything of a run that was deleted;
//   - runs/ID/model.json of a finished training run whose trained model was
//     deleted (or never recorded);
//   - snapshots/NAME/vN.csv that no queued or running run reads (a later
//     run publishes the snapshot again from the catalog);
//   - anything else under runs/ an hour old: the remains of an
//     interrupted write to a file store;
//   - datasets/NAME/... an hour old that no version of the shared catalog
//     names: staged output of an attempt that lost its run, or a failed
//     upload.
//
// Objects are listed before runs are read, so a snapshot published for a
// run created meanwhile is not taken.
func (g *garbage) sweepObjects(ctx context.Context, db store, objects *objectstore.Store) error {
	runObjects, err := objects.List(ctx, "runs/", maxSweep)
	if err != nil {
		return err
	}
	snapshots, err := objects.List(ctx, "snapshots/", maxSweep)
	if err != nil {
		return err
	}
	// Versions of the shared catalog: an object no version names is
	// staged output of an attempt that lost its run, or an upload that
	// failed; an hour's grace leaves those under way alone.
	if reg, ok := db.(interface {
		CatalogObjects(ctx context.Context) (map[string]bool, error)
	}); ok {
		files, err := objects.List(ctx, "datasets/", maxSweep)
		if err != nil {
			return err
		}
		registered, err := reg.CatalogObjects(ctx)
		if err != nil {
			return err
		}
		for _, o := range files {
			if !registered[o.Key] && time.Since(o.Modified) > staleUpload {
				g.removeObject(ctx, objects, "dataset files no version names", o)
			}
		}
	}
	inUse := map[string]bool{}
	for _, state := range []server.RunState{server.RunQueued, server.RunRunning} {
		for page := (server.Page{Limit: server.MaxLimit}); ; page.Offset += page.Limit {
			runs, total, err := db.FindRuns(ctx, server.RunFilter{State: state, Page: page})
			if err != nil {
				return err
			}
			for _, r := range runs {
				inUse[r.InputSnapshot] = true
			}
			if page.Offset+page.Limit >= total {
				break
			}
		}
	}
	for _, o := range snapshots {
		if ref, ok := objectstore.SnapshotOf(o.Key); ok && !inUse[ref] {
			g.removeObject(ctx, objects, "snapshots no queued or running run reads", o)
		}
	}
	for _, o := range runObjects {
		id, name, ok := objectstore.RunOf(o.Key)
		r, err := db.FindRun(ctx, id)
		part := ok && strings.HasPrefix(name, "parts/")
		switch {
		case part && err == nil && !r.State.Final():
			// The scores of a part of a run still being scored.
		case part && (err == nil || server.ErrorCode(err) == server.ENOTFOUND):
			g.removeObject(ctx, objects, "parts of finished or deleted runs", o)
		case part:
			return err
		case !ok || (name != "model.json" && name != "output.csv"):
			if time.Since(o.Modified) > staleUpload {
				g.removeObject(ctx, objects, "interrupted uploads", o)
			}
		case server.ErrorCode(err) == server.ENOTFOUND:
			g.removeObject(ctx, objects, "objects of deleted runs", o)
		case err != nil:
			return err
		case name == "model.json" && r.State.Final() && !g.trained(ctx, db, r, o.Key):
			g.removeObject(ctx, objects, "models of deleted trained versions", o)
		}
	}
	return nil
}

// trained says whether run r's trained model still exists and keeps its
// model at key.
func (g *garbage) trained(ctx context.Context, db store, r *server.Run, key string) bool {
	if r.Kind != server.RunTrain || r.TrainedModel == "" {
		return false
	}
	t, err := db.FindTrainedModel(ctx, r.TrainedModel)
	return err == nil && t.RunID == r.ID && t.Artifact == key
}

func (g *garbage) removeObject(ctx context.Context, objects *objectstore.Store, kind string, o objectstore.Object) {
	if !g.DryRun && objects.Delete(ctx, o.Key) != nil {
		return
	}
	g.files[kind]++
	g.bytes[kind] += o.Size
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
