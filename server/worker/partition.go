package worker

import (
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
// its parts: often, since the output is assembled as soon as the last
// part succeeds.
const partPoll = 50 * time.Millisecond

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
	// The output is assembled as the parts succeed, in order (see
	// assembly). If that fails on the way, finishParts assembles it again
	// once every part has succeeded and reports what goes wrong.
	var asm *assembly
	streaming := true
	defer func() {
		if asm != nil {
			asm.abort()
		}
	}()
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
			a := asm
			asm = nil
			p.finishParts(ctx, run, ps, a)
			return
		}
		if streaming && asm == nil && len(ps) > 0 && ps[0].State == server.RunSucceeded {
			if asm, err = p.startAssembly(run); err != nil {
				log.Info("assembling a run's scores as its parts succeed; assembling them at the end instead", "err", err)
				asm, streaming = nil, false
			}
		}
		if asm != nil {
			if err := asm.add(ctx, p.Objects, ps); err != nil {
				log.Info("assembling a run's scores as its parts succeed; assembling them at the end instead", "err", err)
				asm.abort()
				asm, streaming = nil, false
			}
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
//
// It reads the text once in large blocks and never parses fields: between
// quotes it only counts newlines (bytes.Count), so that the split, which
// runs before any part can start, costs about a copy of the input.
func splitCSV(r io.Reader, rows int64) (headerEnd int64, parts []server.RunPart, err error) {
	if rows < 1 {
		return 0, nil, errors.New("parts need at least 1 row")
	}
	var (
		buf                     = make([]byte, 1<<20)
		newline                 = []byte{'\n'}
		off, start, end, n, row int64 // end: where the last record ended
		inQuote, header         = false, true
	)
	cut := func(at int64) {
		parts = append(parts, server.RunPart{Part: len(parts), FirstRow: row - n, Rows: n, HeaderEnd: headerEnd, ByteStart: start, ByteEnd: at})
		start, n = at, 0
	}
	// ended counts one record ending at at.
	ended := func(at int64) {
		end = at
		if header {
			header, headerEnd, start = false, at, at
			return
		}
		n++
		row++
		if n == rows {
			cut(at)
		}
	}
	for {
		k, rerr := io.ReadFull(r, buf)
		b := buf[:k]
		for i := 0; i < len(b); {
			if inQuote {
				q := bytes.IndexByte(b[i:], '"')
				if q < 0 {
					break
				}
				i += q + 1
				inQuote = false
				continue
			}
			// Up to the next quote every newline ends a record.
			stop := len(b)
			if q := bytes.IndexByte(b[i:], '"'); q >= 0 {
				stop = i + q
			}
			for i < stop {
				// need is the record that ends the header or a part.
				need := int64(1)
				if !header {
					need = rows - n
				}
				seg := b[i:stop]
				if c := int64(bytes.Count(seg, newline)); c < need {
					if c > 0 {
						n += c
						row += c
						end = off + int64(i+bytes.LastIndexByte(seg, '\n')+1)
					}
					i = stop
					break
				}
				for range need {
					i += bytes.IndexByte(b[i:stop], '\n') + 1
				}
				n += need - 1
				row += need - 1
				ended(off + int64(i))
			}
			if stop < len(b) {
				i = stop + 1
				inQuote = true
			}
		}
		off += int64(k)
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return 0, nil, rerr
		}
	}
	if inQuote {
		return 0, nil, errors.New("a quoted field is not closed before the end of the file")
	}
	if end < off {
		ended(off) // a last record without a newline
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

// finishParts completes asm, the assembly of the scores of run's parts,
// now all succeeded (a fresh assembly when asm is nil), and commits the
// output.
func (p *Pool) finishParts(ctx context.Context, run *server.Run, parts []*server.RunPart, asm *assembly) {
	bg := context.WithoutCancel(ctx)
	start := time.Now()
	var rowsIn, rowsOut int64
	for _, pt := range parts {
		rowsIn += pt.Rows
		rowsOut += pt.RowsOut
	}
	var err error
	if asm == nil {
		asm, err = p.startAssembly(run)
	}
	var key string
	if err == nil {
		if err = asm.add(ctx, p.Objects, parts); err != nil {
			asm.abort()
		} else {
			key, err = asm.finish()
		}
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
		fmt.Sprintf("assembled the scores of %d parts in order as they succeeded, the output finished %s after the last: %d rows", len(parts), time.Since(start).Round(time.Millisecond), rowsOut),
		fmt.Sprintf("attempt %d of %d succeeded", run.Attempt, run.MaxAttempts),
	})
	p.commitScores(bg, run, asm.path, key, server.RunResult{State: server.RunSucceeded, RowsIn: int(rowsIn), RowsOut: int(rowsOut)})
	os.Remove(asm.path)
	if r, err := p.Store.FindRun(bg, run.ID); err == nil && r.State.Final() {
		p.dropParts(bg, run.ID)
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
