package online

import (
	"context"
	"errors"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/worker"
)

// errRetired: the version was retired while a request looked it up; the
// request looks it up again.
var errRetired = errors.New("the version was retired")

// entry is one warm trained version: its serving worker and counters.
type entry struct {
	s             *Service
	key           string // model@version
	ref           string
	model         string
	version       int
	recipeVersion int64 // the recipe version's id

	ready    chan struct{} // closed when loading ended; then err or scorer
	err      error
	scorer   *worker.Scorer
	dir      string
	loadedAt time.Time

	mu       sync.Mutex
	inflight int
	retired  bool
	drained  chan struct{} // closed when retired with nothing in flight

	// Micro-batching, when on: requests queue while one of them, the
	// leader, has the worker score a batch; the leader of the next batch
	// is the first request still queued.
	bmu   sync.Mutex
	queue []*call
	busy  bool // a leader is at work

	lastUsed                        atomic.Int64 // unix nanoseconds
	requests, errors, rows, latency atomic.Int64 // latency in nanoseconds, summed
}

func newEntry(s *Service, t *server.TrainedModel) *entry {
	e := &entry{s: s, key: t.Ref(), ref: t.Ref(), model: t.Model, version: t.Version, recipeVersion: t.RecipeVersionID,
		ready: make(chan struct{}), drained: make(chan struct{})}
	e.lastUsed.Store(time.Now().UnixNano())
	return e
}

func (e *entry) loaded() bool {
	select {
	case <-e.ready:
		return true
	default:
		return false
	}
}

func (e *entry) lastUsedTime() time.Time { return time.Unix(0, e.lastUsed.Load()) }

// load starts the serving worker. It does not use the request's context:
// other requests wait for the same worker.
func (e *entry) load(t *server.TrainedModel) {
	defer close(e.ready)
	ctx := context.Background()
	dir, err := e.s.workerDir(e.ref)
	if err != nil {
		e.err = server.Errorf(server.EINTERNAL, "making a directory for the serving worker of %s: %v", e.ref, err)
		return
	}
	e.dir = dir
	spec, err := e.s.serveSpec(ctx, t, dir)
	if err == nil {
		e.scorer, err = e.s.Workers.StartScorer(ctx, spec, e.s.LoadTimeout)
	}
	if err != nil {
		os.RemoveAll(dir)
		if server.ErrorCode(err) == server.EINTERNAL {
			err = server.Errorf(server.EINTERNAL, "%s cannot be served online: %v", e.ref, err)
		}
		e.err = err
		return
	}
	e.loadedAt = time.Now()
	e.s.metrics.starts.WithLabelValues(e.model).Inc()
	e.s.Log.Info("online scoring: loaded", "model", e.ref, "pid", e.scorer.Pid)
}

// enter counts a request in, unless the entry is retired.
func (e *entry) enter() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.retired {
		return false
	}
	e.inflight++
	return true
}

func (e *entry) leave() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.inflight--
	if e.retired && e.inflight == 0 {
		close(e.drained)
	}
}

// retire stops taking requests, waits for those under way, then ends the
// worker and removes its directory.
func (e *entry) retire() {
	<-e.ready
	e.mu.Lock()
	if e.retired {
		e.mu.Unlock()
		return
	}
	e.retired = true
	if e.inflight == 0 {
		close(e.drained)
	}
	e.mu.Unlock()
	<-e.drained
	if e.scorer != nil {
		e.scorer.Close()
	}
	if e.dir != "" {
		os.RemoveAll(e.dir)
	}
}

// scored is a worker's reply, decoded.
type scored struct {
	columns, types []string
	data           [][]string
}

// score scores rows (body is their CSV) with this version.
func (e *entry) score(ctx context.Context, rows server.Rows, body []byte) (*scored, error) {
	if !e.enter() {
		return nil, errRetired
	}
	defer e.leave()
	start := time.Now()
	e.lastUsed.Store(start.UnixNano())
	var out *scored
	var err error
	if e.s.MaxBatch > 1 {
		c := &call{ctx: ctx, rows: rows, body: body, done: make(chan struct{}), lead: make(chan struct{})}
		e.batch(c)
		out, err = c.out, c.err
	} else {
		out, err = e.send(ctx, body)
	}
	e.requests.Add(1)
	e.latency.Add(int64(time.Since(start)))
	if err != nil {
		e.errors.Add(1)
	}
	return out, err
}

// send scores one CSV body in the worker.
func (e *entry) send(ctx context.Context, body []byte) (*scored, error) {
	rep, err := e.scorer.Score(ctx, body, e.s.RequestTimeout)
	if err == worker.ErrScorerGone {
		// It had ended before this request: the caller loads it again.
		return nil, err
	}
	if errors.Is(err, worker.ErrScorerGone) {
		e.s.Log.Error("online scoring: the serving worker died", "model", e.ref, "err", err)
		return nil, server.Errorf(server.EINTERNAL, "the serving worker of %s died while scoring these rows (see the server log); the next request starts another", e.ref)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, server.Errorf(server.EINTERNAL, "scoring with %s: %v", e.ref, err)
	}
	if rep.Error != "" {
		return nil, server.Errorf(server.EINVALID, "%s could not score these rows: %s", e.ref, rep.Error)
	}
	cols, data, err := decodeScores(rep.CSV)
	if err != nil {
		return nil, server.Errorf(server.EINTERNAL, "scoring with %s: %v", e.ref, err)
	}
	types := rep.Types
	if len(types) != len(cols) {
		types = make([]string, len(cols))
	}
	return &scored{columns: cols, types: types, data: data}, nil
}

// call is a request waiting in a micro-batch.
type call struct {
	ctx  context.Context
	rows server.Rows
	body []byte
	out  *scored
	err  error
	done chan struct{} // closed when out or err is set
	lead chan struct{} // closed when this request is to lead the next batch
}

// batch scores c in a micro-batch. A request that finds the worker free
// leads at once, in its own goroutine, so that without load no request
// passes through another goroutine; under load, requests that queued
// while the worker was busy go together, with the same columns, up to
// MaxBatch rows (and waiting up to MaxWait after the first).
func (e *entry) batch(c *call) {
	e.bmu.Lock()
	e.queue = append(e.queue, c)
	leader := !e.busy
	e.busy = true
	e.bmu.Unlock()
	if !leader {
		select {
		case <-c.done:
			return
		case <-c.lead:
		}
	}
	// c is the first request queued: the batch taken below holds it.
	if e.s.MaxWait > 0 {
		time.Sleep(e.s.MaxWait)
	}
	e.bmu.Lock()
	n, k := 0, 0
	for k < len(e.queue) {
		q := e.queue[k]
		if k > 0 && (!slices.Equal(q.rows.Columns, c.rows.Columns) || n+len(q.rows.Data) > e.s.MaxBatch) {
			break
		}
		n += len(q.rows.Data)
		k++
	}
	batch := slices.Clone(e.queue[:k])
	e.queue = slices.Delete(e.queue, 0, k)
	e.bmu.Unlock()
	e.runBatch(batch)
	e.bmu.Lock()
	if len(e.queue) > 0 {
		close(e.queue[0].lead)
	} else {
		e.busy = false
	}
	e.bmu.Unlock()
}

// runBatch scores a batch in one call when the recipe keeps one score row
// per input row; otherwise each request on its own.
func (e *entry) runBatch(batch []*call) {
	finish := func(c *call, out *scored, err error) {
		c.out, c.err = out, err
		close(c.done)
	}
	if len(batch) == 1 {
		c := batch[0]
		out, err := e.send(c.ctx, c.body)
		finish(c, out, err)
		return
	}
	rows := server.Rows{Columns: batch[0].rows.Columns}
	for _, c := range batch {
		rows.Data = append(rows.Data, c.rows.Data...)
	}
	body, err := encodeRows(rows)
	var out *scored
	if err == nil {
		// One request's end must not stop the others' batch.
		out, err = e.send(context.Background(), body)
	}
	if err != nil || len(out.data) != len(rows.Data) {
		// A bad row in one request must not fail the others: score each
		// request on its own.
		for _, c := range batch {
			o, err := e.send(c.ctx, c.body)
			finish(c, o, err)
		}
		return
	}
	e.s.metrics.batches.Observe(float64(len(rows.Data)))
	at := 0
	for _, c := range batch {
		k := len(c.rows.Data)
		finish(c, &scored{columns: out.columns, types: out.types, data: out.data[at : at+k]}, nil)
		at += k
	}
}
