package worker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// Partitioned scoring (see server.RunPart). The process that claims a
// scoring run whose input has more rows than the run's PartitionRows
// coordinates it: it cuts the input snapshot's CSV into parts at record
// boundaries, records them, and then, in the slot it holds, executes
// queued parts of the run one after another while other processes take
// the rest through the queue. Each part is scored by the recipe's own Load
// and Score in a worker process of its own, reading only the snapshot's
// header and its own rows, and keeps its scores under the run's key. Once
// every part has succeeded the coordinator assembles their scores in
// order into the run's one output and commits it as an unpartitioned
// run's output is committed (commitScores).
//
// A part that fails in a way worth retrying goes back to the queue alone,
// with backoff, until its attempts run out; a part that fails otherwise
// fails the run, whose queued parts are cancelled and whose running parts
// stop. A part whose process dies is taken back when its lease runs out,
// as runs are; a coordinator that dies leaves its run to the next, which
// keeps the parts already done.
//
// The scores of a part depend only on its rows, so a recipe whose Score is
// computed row by row gives the same output split or not. A Score that
// computes across rows (ranks, normalising by the batch) gives different
// scores in parts: such recipes are scored with partitioning off
// (--score-partition-rows 0).

// partitioned reports whether run is scored in parts, and if so,
// coordinates it to its end.
func (p *Pool) partitioned(ctx context.Context, run *server.Run) bool {
	if run.Kind != server.RunScore || run.PartitionRows <= 0 {
		return false
	}
	if run.Parts == nil {
		v, err := p.Datasets.FindDatasetVersion(ctx, run.InputSnapshot)
		if err != nil || int64(v.Rows) <= int64(run.PartitionRows) {
			// Small input (or an error the single path reports).
			return false
		}
	}
	p.coordinate(ctx, run)
	return true
}

// maxParts bounds the parts of one run: an input of more rows than
// PartitionRows × maxParts is cut into maxParts bigger parts.
const maxParts = 1000

// partPoll is how often a coordinator with no part to execute looks at
// its parts.
const partPoll = 200 * time.Millisecond

// coordinate runs a partitioned scoring run to its end.
func (p *Pool) coordinate(ctx context.Context, run *server.Run) {
	bg := context.WithoutCancel(ctx)
	log := p.Log.With("run", run.ID, "kind", run.Kind, "attempt", run.Attempt)
	parts, err := p.planParts(ctx, run)
	if err != nil {
		if ctx.Err() != nil {
			p.release(bg, run)
			return
		}
		log.Error("splitting a scoring run into parts", "err", err)
		p.endRun(bg, run, "splitting the input into parts failed: "+errText(err), server.ErrorCode(err) != server.EINVALID)
		return
	}
	total := len(parts)
	var last server.PartsProgress
	for {
		if ctx.Err() != nil {
			// The process is stopping: the run goes back to the queue; its
			// parts stay, for the next coordinator.
			p.appendLogs(bg, run.ID, []string{fmt.Sprintf("attempt %d interrupted: the process coordinating it is stopping; its parts stay", run.Attempt)})
			p.release(bg, run)
			return
		}
		cur, err := p.Store.FindRun(ctx, run.ID)
		if err == nil && (cur.State != server.RunRunning || cur.Claim() != run.Claim()) {
			// Another process took the run over (this one was cut off
			// past its lease): the run is its to finish.
			log.Info("lost a partitioned run to another process")
			return
		}
		if err == nil && cur.CancelRequested {
			p.Store.CancelParts(bg, run.ID, "the run was cancelled")
			p.Store.FinishRun(bg, run.Claim(), server.RunResult{State: server.RunCancelled, Error: "cancelled"})
			p.dropParts(bg, run.ID)
			return
		}
		ps, err := p.Store.FindParts(ctx, run.ID)
		if err != nil {
			log.Error("reading a run's parts", "err", err)
			sleep(ctx, partPoll)
			continue
		}
		var pr server.PartsProgress
		var failed *server.RunPart
		for _, pt := range ps {
			pr.Total++
			switch pt.State {
			case server.RunQueued:
				pr.Queued++
			case server.RunRunning:
				pr.Running++
			case server.RunSucceeded:
				pr.Succeeded++
			case server.RunFailed, server.RunCancelled:
				pr.Failed++
				if failed == nil {
					failed = pt
				}
			}
		}
		if pr != last {
			p.appendLogs(bg, run.ID, []string{fmt.Sprintf("parts: %d of %d succeeded, %d running, %d queued, %d failed", pr.Succeeded, total, pr.Running, pr.Queued, pr.Failed)})
			last = pr
		}
		if failed != nil {
			msg := fmt.Sprintf("part %d of %d (input rows %d to %d) failed: %s", failed.Part+1, total, failed.FirstRow+1, failed.FirstRow+failed.Rows, failed.Error)
			p.Store.CancelParts(bg, run.ID, "another part of the run failed")
			p.appendLogs(bg, run.ID, []string{fmt.Sprintf("attempt %d of %d failed: %s", run.Attempt, run.MaxAttempts, msg)})
			p.Store.FinishRun(bg, run.Claim(), server.RunResult{State: server.RunFailed, Error: msg})
			p.dropParts(bg, run.ID)
			return
		}
		if pr.Succeeded == total {
			p.finishParts(ctx, run, ps)
			return
		}
		next, err := p.Store.ClaimNextPart(ctx, run.ID, run.Owner, p.Lease)
		if err != nil {
			log.Error("claiming a part", "err", err)
		}
		if next != nil {
			p.executePart(ctx, next)
			continue
		}
		sleep(ctx, partPoll)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// endRun fails run, or, when retry says the failure is worth it and
// attempts are left, queues it again.
func (p *Pool) endRun(ctx context.Context, run *server.Run, msg string, retry bool) {
	if retry && run.Attempt < run.MaxAttempts {
		delay := p.Backoff(run.Attempt)
		p.Store.RetryRun(ctx, run.Claim(), time.Now().Add(delay), fmt.Sprintf("attempt %d failed: %s; retrying in %s", run.Attempt, msg, delay))
		return
	}
	p.appendLogs(ctx, run.ID, []string{fmt.Sprintf("attempt %d of %d failed: %s", run.Attempt, run.MaxAttempts, msg)})
	p.Store.FinishRun(ctx, run.Claim(), server.RunResult{State: server.RunFailed, Error: msg})
}

// planParts returns run's parts, cutting its input into them first unless
// an earlier coordinator did.
func (p *Pool) planParts(ctx context.Context, run *server.Run) ([]*server.RunPart, error) {
	if run.Parts != nil {
		return p.Store.FindParts(ctx, run.ID)
	}
	start := time.Now()
	key, err := p.Objects.PublishSnapshot(ctx, run.InputSnapshot, p.runDir(run.ID), p.Datasets.ExportCSV)
	if err != nil {
		return nil, fmt.Errorf("exporting %s for the recipe: %w", run.InputSnapshot, err)
	}
	r, err := p.Objects.Reader(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	per := int64(run.PartitionRows)
	if v, err := p.Datasets.FindDatasetVersion(ctx, run.InputSnapshot); err == nil && int64(v.Rows) > per*maxParts {
		// Bigger parts rather than more of them than the limit.
		per = (int64(v.Rows) + maxParts - 1) / maxParts
	}
	_, plan, err := splitCSV(r, per)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", run.InputSnapshot, err)
	}
	ps, err := p.Store.PlanParts(ctx, run.Claim(), plan)
	if err != nil {
		return nil, err
	}
	var rows int64
	for _, pt := range ps {
		rows += pt.Rows
	}
	p.appendLogs(ctx, run.ID, []string{fmt.Sprintf("split %d input rows into %d parts of at most %d rows (--score-partition-rows %d, at most %d parts) in %s",
		rows, len(ps), per, run.PartitionRows, maxParts, time.Since(start).Round(time.Millisecond))})
	return ps, nil
}

// splitCSV cuts CSV text into parts of at most rows records each, at
// record boundaries (a newline outside quotes), after the header record.
// It returns where the header ends and the parts, numbered from 0.
func splitCSV(r io.Reader, rows int64) (headerEnd int64, parts []server.RunPart, err error) {
	if rows < 1 {
		return 0, nil, errors.New("parts need at least 1 row")
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var (
		off, start, n, row int64
		inQuote, header    = false, true
	)
	cut := func(end int64) {
		parts = append(parts, server.RunPart{Part: len(parts), FirstRow: row - n, Rows: n, HeaderEnd: headerEnd, ByteStart: start, ByteEnd: end})
		start, n = end, 0
	}
	for {
		line, err := br.ReadSlice('\n')
		off += int64(len(line))
		if bytes.Count(line, []byte{'"'})%2 == 1 {
			inQuote = !inQuote
		}
		ended := len(line) > 0 && line[len(line)-1] == '\n' && !inQuote
		if err == io.EOF && len(line) > 0 && !inQuote {
			ended = true // a last record without a newline
		}
		if ended {
			if header {
				header, headerEnd, start = false, off, off
			} else {
				n++
				row++
				if n == rows {
					cut(off)
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil && err != bufio.ErrBufferFull {
			return 0, nil, err
		}
	}
	if inQuote {
		return 0, nil, errors.New("a quoted field is not closed before the end of the file")
	}
	if header {
		return 0, nil, errors.New("the input has no header row")
	}
	if n > 0 {
		cut(off)
	}
	if len(parts) == 0 {
		return 0, nil, errors.New("the input has no rows to score")
	}
	return headerEnd, parts, nil
}

// ExecutePart runs one claimed attempt of a part in a worker process, in
// a slot the caller holds, and records the outcome under the part's
// claim. When ctx ends during the attempt, the part goes back to the
// queue without using up the attempt.
func (p *Pool) ExecutePart(ctx context.Context, part *server.RunPart) {
	p.setup()
	p.executePart(ctx, part)
}

func (p *Pool) executePart(ctx context.Context, part *server.RunPart) {
	bg := context.WithoutCancel(ctx)
	defer p.retain(bg, part.Run)
	c := part.Claim()
	run, err := p.Store.FindRun(ctx, part.Run)
	if err != nil {
		p.Log.Error("reading the run of a part", "run", part.Run, "part", part.Part, "err", err)
		p.Store.ReleasePart(bg, c, "the run could not be read: "+errText(err))
		return
	}
	total := 0
	if run.Parts != nil {
		total = run.Parts.Total
	}
	label := fmt.Sprintf("part %d of %d", part.Part+1, total)
	dir := filepath.Join(p.runDir(run.ID), "parts", strconv.Itoa(part.Part))
	defer os.RemoveAll(dir)
	job, err := p.partJob(ctx, run, part, dir)
	var out outcome
	if err != nil {
		out.res = &Result{Error: errText(err), Retryable: server.ErrorCode(err) == server.EINTERNAL}
	} else {
		var logged int
		if earlier, err := p.Store.RunLogs(ctx, run.ID, 0); err == nil {
			logged = len(earlier)
		}
		prefix := label + ": "
		out = p.spawn(ctx, job, hooks{
			logged:  logged,
			started: func(pid int) { p.Store.SetPartWorker(ctx, c, pid) },
			cancelled: func() bool {
				r, err := p.Store.FindRun(ctx, run.ID)
				return err == nil && (r.CancelRequested || r.State.Final())
			},
			logs: func(lines []string) {
				for i := range lines {
					lines[i] = prefix + lines[i]
				}
				p.appendLogs(bg, run.ID, lines)
			},
		})
		if out.res != nil && out.res.OK {
			if err := p.Objects.PutFile(bg, objectstore.PartKey(run.ID, part.Part), job.Output); err != nil {
				out = outcome{store: fmt.Errorf("storing the part's scores: %w", err)}
			}
		}
	}
	where := fmt.Sprintf("%s (input rows %d to %d), attempt %d of %d", label, part.FirstRow+1, part.FirstRow+part.Rows, part.Attempt, part.MaxAttempts)
	var werr error
	switch msg, retryable := p.failure(out); {
	case out.stopped:
		p.appendLogs(bg, run.ID, []string{where + " interrupted: the process running it is stopping"})
		werr = p.Store.ReleasePart(bg, c, "interrupted by a process stopping")
	case out.res != nil && out.res.OK:
		p.appendLogs(bg, run.ID, []string{fmt.Sprintf("%s succeeded: %d rows scored into %d", where, out.res.RowsIn, out.res.RowsOut)})
		werr = p.Store.FinishPart(bg, c, server.RunSucceeded, int64(out.res.RowsOut), "")
	case out.cancel:
		werr = p.Store.FinishPart(bg, c, server.RunCancelled, 0, "cancelled")
	case retryable && part.Attempt < part.MaxAttempts:
		delay := p.Backoff(part.Attempt)
		p.appendLogs(bg, run.ID, []string{fmt.Sprintf("%s failed: %s; retrying this part alone in %s", where, msg, delay)})
		werr = p.Store.RetryPart(bg, c, time.Now().Add(delay), msg)
	default:
		p.appendLogs(bg, run.ID, []string{fmt.Sprintf("%s failed: %s", where, msg)})
		werr = p.Store.FinishPart(bg, c, server.RunFailed, 0, msg)
	}
	if werr != nil {
		p.Log.Info("recording a part's outcome", "run", run.ID, "part", part.Part, "err", werr)
	}
}

// partJob prepares the worker's instructions for part: the recipe and
// model of its run, and an input holding the snapshot's header and the
// part's own rows.
func (p *Pool) partJob(ctx context.Context, run *server.Run, part *server.RunPart, dir string) (Job, error) {
	v, err := p.Store.FindRecipeVersionByID(ctx, run.RecipeVersionID)
	if err != nil {
		return Job{}, err
	}
	values, err := recipe.Resolve(v.Params, run.Params)
	if err != nil {
		return Job{}, server.Errorf(server.EINVALID, "%v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Job{}, err
	}
	key, err := objectstore.SnapshotKey(run.InputSnapshot)
	if err != nil {
		return Job{}, err
	}
	input := filepath.Join(dir, "input.csv")
	spans := []objectstore.Span{{Offset: 0, Length: part.HeaderEnd}, {Offset: part.ByteStart, Length: part.ByteEnd - part.ByteStart}}
	if err := p.Objects.FetchSpans(ctx, key, input, spans...); err != nil {
		return Job{}, fmt.Errorf("fetching the rows of %s: %w", run.InputSnapshot, err)
	}
	tm, err := p.Store.FindTrainedModel(ctx, run.TrainedModel)
	if err != nil {
		return Job{}, err
	}
	// The model is fetched once per run on this machine; parts share it.
	model := filepath.Join(p.runDir(run.ID), "model.json")
	if _, err := os.Stat(model); err != nil || !objectstore.IsKey(tm.Artifact) {
		if model, err = p.modelFile(ctx, tm, model); err != nil {
			return Job{}, err
		}
	}
	return Job{Kind: KindScore, Source: v.Source, Values: values, Input: input, ModelIn: model, Output: filepath.Join(dir, "output.csv"),
		MemoryLimit: p.MemoryLimit, NominalTime: run.NominalTime}, nil
}

// finishParts assembles the scores of run's parts, all succeeded, into
// its output and commits it.
func (p *Pool) finishParts(ctx context.Context, run *server.Run, parts []*server.RunPart) {
	bg := context.WithoutCancel(ctx)
	start := time.Now()
	path := filepath.Join(p.runDir(run.ID), fmt.Sprintf("output-%d.csv", run.Attempt))
	var rowsIn, rowsOut int64
	for _, pt := range parts {
		rowsIn += pt.Rows
		rowsOut += pt.RowsOut
	}
	err := p.assemble(ctx, run.ID, parts, path)
	var key string
	if err == nil {
		key, err = p.Objects.PutOutput(bg, run.ID, path)
	}
	if err != nil {
		if ctx.Err() != nil {
			p.release(bg, run)
			return
		}
		p.endRun(bg, run, "assembling the parts' scores failed: "+errText(err), server.ErrorCode(err) != server.EINVALID)
		return
	}
	p.appendLogs(bg, run.ID, []string{
		fmt.Sprintf("assembled the scores of %d parts in order in %s: %d rows", len(parts), time.Since(start).Round(time.Millisecond), rowsOut),
		fmt.Sprintf("attempt %d of %d succeeded", run.Attempt, run.MaxAttempts),
	})
	p.commitScores(bg, run, path, key, server.RunResult{State: server.RunSucceeded, RowsIn: int(rowsIn), RowsOut: int(rowsOut)})
	os.Remove(path)
	if r, err := p.Store.FindRun(bg, run.ID); err == nil && r.State.Final() {
		p.dropParts(bg, run.ID)
	}
}

// assemble writes the parts' scores, in order, to path: the header once,
// then every part's rows. Parts whose header differs from the first's
// fail the run: the recipe's Score gave different columns for some rows.
func (p *Pool) assemble(ctx context.Context, id int64, parts []*server.RunPart, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = func() error {
		var header []byte
		for _, pt := range parts {
			r, err := p.Objects.Reader(ctx, objectstore.PartKey(id, pt.Part))
			if err != nil {
				return err
			}
			br := bufio.NewReaderSize(r, 1<<20)
			h, err := readRecord(br)
			if err != nil {
				r.Close()
				return fmt.Errorf("part %d: reading its header: %w", pt.Part+1, err)
			}
			if header == nil {
				header = h
				w.Write(h)
			} else if !bytes.Equal(h, header) {
				r.Close()
				return server.Errorf(server.EINVALID, "part %d's scores have the columns %q but part 1's have %q: Score must give the same columns for every part of its input, or score this input unpartitioned (--score-partition-rows 0)",
					pt.Part+1, bytes.TrimSpace(h), bytes.TrimSpace(header))
			}
			_, err = io.Copy(w, br)
			r.Close()
			if err != nil {
				return fmt.Errorf("part %d: %w", pt.Part+1, err)
			}
		}
		return w.Flush()
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// readRecord reads one CSV record, up to a newline outside quotes.
func readRecord(br *bufio.Reader) ([]byte, error) {
	var rec []byte
	quotes := 0
	for {
		line, err := br.ReadSlice('\n')
		rec = append(rec, line...)
		quotes += bytes.Count(line, []byte{'"'})
		if err == nil && quotes%2 == 0 {
			return rec, nil
		}
		if err == io.EOF {
			if len(rec) == 0 {
				return nil, errors.New("the part wrote no scores, not even a header")
			}
			return rec, nil
		}
		if err != nil && err != bufio.ErrBufferFull {
			return nil, err
		}
	}
}

// dropParts removes the parts' scores of a finished run.
func (p *Pool) dropParts(ctx context.Context, id int64) {
	objs, err := p.Objects.List(ctx, objectstore.PartsPrefix(id), 100000)
	if err != nil {
		p.Log.Error("listing a run's parts; 'galley gc' removes them", "run", id, "err", err)
	}
	for _, o := range objs {
		removeObject(ctx, p.Objects, p.Log, o.Key)
	}
}
