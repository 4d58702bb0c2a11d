package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/notebook"
)

// Compiler converts notebooks and validates the result in a fresh worker
// process: the entry points must exist with the right signatures, and when
// the notebook names a sample dataset the recipe is trained and scored on
// its first rows. It implements server.RecipeCompiler.
type Compiler struct {
	// Pool supplies the worker command, environment and memory limit.
	Pool *Pool
	// Datasets supplies the sample a notebook names.
	Datasets Datasets
	// Timeout bounds validation (default 2 minutes).
	Timeout time.Duration
}

// Compile implements server.RecipeCompiler.
func (c *Compiler) Compile(ctx context.Context, imp server.NotebookImport) (*server.RecipeVersion, error) {
	r, err := notebook.ConvertBytes(imp.Notebook)
	if err != nil {
		return nil, server.Errorf(server.EINVALID, "%v", err)
	}
	job := Job{Kind: KindValidate, Source: r.Source, Params: r.Params, MemoryLimit: c.Pool.MemoryLimit}
	if r.Sample != "" {
		ds, err := c.Datasets.FindDatasetVersion(ctx, r.Sample)
		if code := server.ErrorCode(err); code == server.ENOTFOUND || code == server.EINVALID {
			return nil, server.Errorf(server.EINVALID, "the notebook names sample dataset %q (metadata.galley.sample), which does not exist: import it with 'galley dataset import' or remove the sample", r.Sample)
		} else if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(c.Pool.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("validating the recipe: %w", err)
		}
		dir, err := os.MkdirTemp(c.Pool.Dir, "validate-")
		if err != nil {
			return nil, fmt.Errorf("validating the recipe: %w", err)
		}
		defer os.RemoveAll(dir)
		// Only the first rows are needed, but the export is cheap next to
		// interpreting the recipe.
		sample := filepath.Join(dir, "sample.csv")
		if err := c.Datasets.ExportCSV(ctx, ds.Snapshot(), sample); err != nil {
			return nil, fmt.Errorf("exporting the sample: %w", err)
		}
		job.Input, job.Limit = sample, r.SampleRows
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	p := *c.Pool
	p.defaults()
	p.Timeout = timeout
	var logs []string
	out := p.spawn(ctx, job, hooks{logs: func(l []string) { logs = append(logs, l...) }})
	switch {
	case out.res != nil && out.res.OK:
	case out.res != nil:
		return nil, server.Errorf(server.EINVALID, "%s", out.res.Error)
	case out.timedOut:
		return nil, server.Errorf(server.EINVALID, "validating the recipe took longer than %s: make the sample smaller (metadata.galley.sample_rows) or the recipe faster", timeout)
	case out.oom:
		return nil, server.Errorf(server.EINVALID, "validating the recipe exceeded the memory limit")
	default:
		msg, _ := p.failure(out)
		if len(logs) > 0 {
			msg += "; last output: " + strings.Join(logs[max(0, len(logs)-3):], " | ")
		}
		return nil, fmt.Errorf("validating the recipe: %w", errors.New(msg))
	}
	return &server.RecipeVersion{Source: r.Source, Params: r.Params, ContentHash: r.ContentHash, NotebookHash: r.NotebookHash}, nil
}
