package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/notebook"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// Importer makes notebooks into recipe versions: it converts the notebook,
// validates the recipe in a worker process of Pool, and asks the store to
// keep the version. Validation is a run like any other: it waits for a
// free slot of the pool and has the pool's timeout and memory limit. It
// checks that the cells run and the entry points exist with the right
// signatures, and when the notebook names a sample dataset, it trains and
// scores the recipe on the sample's first rows.
//
// Importer implements server.RecipeService: the store answers the finds.
type Importer struct {
	server.RecipeStore
	Pool *Pool
	// Datasets supplies the sample a notebook names.
	Datasets Datasets
	// MaxPending bounds the imports validating or waiting for a worker at
	// once (default 4 per worker of Pool); more are refused with ETOOMANY
	// at once rather than held, each with its notebook, in memory.
	MaxPending int

	once    sync.Once
	pending chan struct{}
}

// ImportNotebook implements server.RecipeService.
func (im *Importer) ImportNotebook(ctx context.Context, imp server.NotebookImport) (*server.RecipeVersion, bool, error) {
	if len(imp.Notebook) == 0 {
		return nil, false, server.Errorf(server.EINVALID, "no notebook given: send the .ipynb file's contents")
	}
	r, err := notebook.ConvertBytes(imp.Notebook)
	if err != nil {
		return nil, false, server.Errorf(server.EINVALID, "%v", err)
	}
	v := &server.RecipeVersion{Recipe: imp.Recipe, Author: imp.Author, Source: r.Source, Params: r.Params, ContentHash: r.ContentHash, NotebookHash: r.NotebookHash}
	if err := server.CheckName("recipe", imp.Recipe); err != nil {
		return nil, false, err
	}
	im.once.Do(func() {
		n := im.MaxPending
		if n <= 0 {
			im.Pool.setup()
			n = 4 * im.Pool.Size
		}
		im.pending = make(chan struct{}, n)
	})
	select {
	case im.pending <- struct{}{}:
		defer func() { <-im.pending }()
	default:
		return nil, false, server.Errorf(server.ETOOMANY, "%d recipe imports are already validating or waiting for a worker: try again when they are done", cap(im.pending))
	}
	if err := im.validate(ctx, r); err != nil {
		return nil, false, err
	}
	created, err := im.RecipeStore.CreateRecipeVersion(ctx, v)
	if err != nil {
		return nil, false, err
	}
	return v, created, nil
}

func (im *Importer) validate(ctx context.Context, r *notebook.Recipe) error {
	values, err := recipe.Resolve(r.Params, nil)
	if err != nil {
		return server.Errorf(server.EINVALID, "%v", err)
	}
	p := im.Pool
	p.setup()
	job := Job{Kind: KindValidate, Source: r.Source, Values: values, MemoryLimit: p.MemoryLimit}
	if r.Sample != "" {
		ds, err := im.Datasets.FindDatasetVersion(ctx, r.Sample)
		if code := server.ErrorCode(err); code == server.ENOTFOUND || code == server.EINVALID {
			return server.Errorf(server.EINVALID, "the notebook names sample dataset %q (metadata.galley.sample), which does not exist: import it with 'galley dataset import' or remove the sample", r.Sample)
		} else if err != nil {
			return err
		}
		if err := os.MkdirAll(p.Dir, 0o755); err != nil {
			return fmt.Errorf("validating the recipe: %w", err)
		}
		dir, err := os.MkdirTemp(p.Dir, "validate-")
		if err != nil {
			return fmt.Errorf("validating the recipe: %w", err)
		}
		defer os.RemoveAll(dir)
		// Only the first rows are needed, but the export is cheap next to
		// interpreting the recipe.
		sample := filepath.Join(dir, "sample.csv")
		if err := im.Datasets.ExportCSV(ctx, ds.Snapshot(), sample); err != nil {
			return fmt.Errorf("exporting the sample: %w", err)
		}
		job.Input, job.Limit = sample, r.SampleRows
	}
	var logs []string
	out, err := p.exclusive(ctx, job, hooks{logs: func(l []string) { logs = append(logs, l...) }})
	if err != nil {
		return err
	}
	switch {
	case out.res != nil && out.res.OK:
		return nil
	case out.res != nil:
		return server.Errorf(server.EINVALID, "%s", out.res.Error)
	case out.timedOut:
		return server.Errorf(server.EINVALID, "validating the recipe took longer than the server's run timeout (%s): make the sample smaller (metadata.galley.sample_rows) or the recipe faster", p.Timeout)
	case out.oom:
		return server.Errorf(server.EINVALID, "validating the recipe exceeded the memory limit of %d MiB: make the sample smaller or raise the server's --memory-limit", p.MemoryLimit>>20)
	}
	msg, _ := p.failure(out)
	if len(logs) > 0 {
		msg += "; last output: " + strings.Join(logs[max(0, len(logs)-3):], " | ")
	}
	return fmt.Errorf("validating the recipe: %w", errors.New(msg))
}

var _ server.RecipeService = (*Importer)(nil)
