// Package online scores rows on request with trained models: the server's
// online scoring service behind POST /api/models/{model}/predict.
//
// Each trained version that serves requests has a warm serving worker
// (worker.Scorer): a sandboxed worker process that loaded the recipe
// version and the trained model once and scores each request's rows
// through the recipe's own Load and Score, as a scoring run does, so that
// online and batch scores of the same rows are identical.
//
// A request names a model by alias, version or name. Names are resolved
// in memory: Run reads the names requested lately again every half
// ResolveTTL, so that moving an alias elsewhere takes effect within
// ResolveTTL (through this server's API, at once), and no request waits
// for the database. The version the alias now names is loaded before its
// first request is answered (or ahead of the move, through Warm), and the
// version it named keeps its worker until it has been idle for
// IdleTimeout, so requests under way finish where they started. At most
// MaxWarm versions are kept; loading another retires the least recently
// used one once its requests are done. When the database cannot be read,
// requests are served with the names and canaries read last (see names.go).
//
// Requests may be combined into micro-batches (MaxBatch, MaxWait); a
// canary sends a share of a model's alias and default requests to another
// version. Canaries are kept in the store, so that every server on one
// database applies the same split: each server reads them again with the
// names. Counters are kept per model and version in
// Prometheus form.
package online

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/worker"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// Store is what the service reads from the server's store.
type Store interface {
	FindModel(ctx context.Context, name string) (*server.Model, error)
	FindTrainedModel(ctx context.Context, ref string) (*server.TrainedModel, error)
	FindRecipeVersionByID(ctx context.Context, id int64) (*server.RecipeVersion, error)
	server.CanaryService
}

// Workers starts serving workers; *worker.Pool is one.
type Workers interface {
	StartScorer(ctx context.Context, spec worker.ServeSpec, load time.Duration) (*worker.Scorer, error)
}

// Defaults of Service's settings.
const (
	DefaultMaxWarm        = 4
	DefaultIdleTimeout    = 15 * time.Minute
	DefaultLoadTimeout    = 2 * time.Minute
	DefaultRequestTimeout = 30 * time.Second
	DefaultMaxBatch       = 64
	// MaxRows bounds the rows of one request.
	MaxRows = 100000
)

// Service is the online scoring service. Set its fields, then call Run.
type Service struct {
	Store   Store
	Workers Workers
	// Dir holds the serving workers' directories.
	Dir string
	// MaxWarm bounds the trained versions kept warm (one worker process
	// each); IdleTimeout retires a version nobody asked for in that long.
	MaxWarm     int
	IdleTimeout time.Duration
	// LoadTimeout bounds loading a recipe and model; RequestTimeout bounds
	// scoring one request (or batch), after which the worker is stopped.
	LoadTimeout    time.Duration
	RequestTimeout time.Duration
	// MaxBatch > 1 combines concurrent requests with the same columns into
	// one call of the recipe, of up to MaxBatch rows. With MaxWait zero a
	// batch is what queued while the worker was busy, so no request waits
	// for others; with MaxWait a batch waits that long for more. A recipe
	// whose Load numbers rows (as the propensity template's row_id does)
	// sees the batch's numbering; its scores are the same.
	MaxBatch int
	MaxWait  time.Duration
	Log      *slog.Logger

	// ResolveTTL bounds how old a resolved name (model@alias) and the
	// canaries may be (default 1s): Run reads them again every half
	// ResolveTTL, off the request path. Aliases moved and canaries set
	// through this server's API take effect at once; through another
	// server or a schedule's promotion, within ResolveTTL. Without Run,
	// a request reads what is older than ResolveTTL itself.
	ResolveTTL time.Duration

	once    sync.Once
	metrics *Metrics
	mu      sync.Mutex
	warm    map[string]*entry // by "model@version"
	closed  bool

	names names // resolved names and canaries, kept fresh by Run
	// recipes are the recipe versions of the versions warm, by id, so
	// that a worker that ended can be started again while the database
	// cannot be read.
	recipes sync.Map
}

var _ server.PredictService = (*Service)(nil)

func (s *Service) setup() {
	s.once.Do(func() {
		if s.MaxWarm <= 0 {
			s.MaxWarm = DefaultMaxWarm
		}
		if s.IdleTimeout <= 0 {
			s.IdleTimeout = DefaultIdleTimeout
		}
		if s.LoadTimeout <= 0 {
			s.LoadTimeout = DefaultLoadTimeout
		}
		if s.RequestTimeout <= 0 {
			s.RequestTimeout = DefaultRequestTimeout
		}
		if s.ResolveTTL <= 0 {
			s.ResolveTTL = time.Second
		}
		if s.Log == nil {
			s.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		}
		s.metrics = newMetrics()
		s.warm = map[string]*entry{}
	})
}

// Metrics returns the service's counters.
func (s *Service) Metrics() *Metrics {
	s.setup()
	return s.metrics
}

// Run keeps the names requested lately and the canaries fresh, and
// retires idle versions, until ctx ends; then it retires every version.
func (s *Service) Run(ctx context.Context) error {
	s.setup()
	fresh := make(chan struct{})
	go func() {
		defer close(fresh)
		s.keepFresh(ctx)
	}()
	defer func() { <-fresh }()
	every := s.IdleTimeout / 4
	if every < time.Second {
		every = time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			s.closeAll()
			return nil
		case <-tick.C:
			s.evictIdle(time.Now())
		}
	}
}

func (s *Service) closeAll() {
	s.mu.Lock()
	s.closed = true
	var all []*entry
	for k, e := range s.warm {
		all = append(all, e)
		delete(s.warm, k)
	}
	s.mu.Unlock()
	for _, e := range all {
		e.retire()
	}
	s.metrics.warm.Set(0)
}

func (s *Service) evictIdle(now time.Time) {
	s.mu.Lock()
	var idle []*entry
	for k, e := range s.warm {
		if e.loaded() && now.Sub(e.lastUsedTime()) > s.IdleTimeout {
			idle = append(idle, e)
			delete(s.warm, k)
		}
	}
	s.metrics.warm.Set(float64(len(s.warm)))
	used := map[int64]bool{}
	for _, e := range s.warm {
		used[e.recipeVersion] = true
	}
	s.mu.Unlock()
	s.recipes.Range(func(k, _ any) bool {
		if !used[k.(int64)] {
			s.recipes.Delete(k)
		}
		return true
	})
	for _, e := range idle {
		s.Log.Info("online scoring: retiring an idle version", "model", e.ref)
		go e.retire()
	}
}

var explicitVersion = regexp.MustCompile(`@v?[0-9]+$`)

// Predict implements server.PredictService.
func (s *Service) Predict(ctx context.Context, ref string, rows server.Rows) (*server.Prediction, error) {
	s.setup()
	start := time.Now()
	p, t, err := s.predict(ctx, ref, rows)
	s.metrics.observe(t, len(rows.Data), time.Since(start), err)
	return p, err
}

func (s *Service) predict(ctx context.Context, ref string, rows server.Rows) (*server.Prediction, *server.TrainedModel, error) {
	if err := checkRows(rows); err != nil {
		return nil, nil, err
	}
	t, err := s.resolve(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	body, err := encodeRows(rows)
	if err != nil {
		return nil, t, err
	}
	// A worker that ended while idle, or a version retired while this
	// request looked it up, is loaded again once.
	for attempt := 0; ; attempt++ {
		e, err := s.entry(ctx, t)
		if err != nil {
			return nil, t, err
		}
		rep, err := e.score(ctx, rows, body)
		if (err == errRetired || err == worker.ErrScorerGone) && attempt == 0 && ctx.Err() == nil {
			s.drop(e)
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, t, ctx.Err()
			}
			if !errors.Is(err, errRetired) && server.ErrorCode(err) == server.EINTERNAL {
				// A worker that failed or timed out is not used again.
				s.drop(e)
			}
			return nil, t, err
		}
		e.rows.Add(int64(len(rows.Data)))
		return prediction(t, rep), t, nil
	}
}

// entry returns the warm version t, loading it when it is not warm.
func (s *Service) entry(ctx context.Context, t *server.TrainedModel) (*entry, error) {
	key := t.Ref()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, server.Errorf(server.EINTERNAL, "the server is stopping")
	}
	e, ok := s.warm[key]
	var evict *entry
	if !ok {
		if len(s.warm) >= s.MaxWarm {
			evict = s.leastRecentlyUsed()
			if evict != nil {
				delete(s.warm, evict.key)
			}
		}
		e = newEntry(s, t)
		s.warm[key] = e
		s.metrics.warm.Set(float64(len(s.warm)))
		go e.load(t)
	}
	s.mu.Unlock()
	if evict != nil {
		s.Log.Info("online scoring: retiring the least recently used version", "model", evict.ref, "limit", s.MaxWarm)
		go evict.retire()
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if e.err != nil {
		s.drop(e)
		return nil, e.err
	}
	return e, nil
}

// leastRecentlyUsed is the loaded entry used longest ago; s.mu is held.
func (s *Service) leastRecentlyUsed() *entry {
	var lru *entry
	for _, e := range s.warm {
		if !e.loaded() {
			continue
		}
		if lru == nil || e.lastUsed.Load() < lru.lastUsed.Load() {
			lru = e
		}
	}
	return lru
}

// drop forgets e, if it is still the warm entry of its version, and
// retires it.
func (s *Service) drop(e *entry) {
	s.mu.Lock()
	if s.warm[e.key] == e {
		delete(s.warm, e.key)
	}
	s.metrics.warm.Set(float64(len(s.warm)))
	s.mu.Unlock()
	go e.retire()
}

// Warm implements server.PredictService: it loads model@version when some
// version of the model is warm already, so that the model is being served
// online; otherwise it does nothing.
func (s *Service) Warm(ctx context.Context, model string, version int) error {
	s.setup()
	s.mu.Lock()
	serving := false
	for _, e := range s.warm {
		serving = serving || e.model == model
	}
	s.mu.Unlock()
	if !serving {
		return nil
	}
	t, err := s.Store.FindTrainedModel(ctx, model+"@"+strconv.Itoa(version))
	if err != nil {
		return err
	}
	_, err = s.entry(ctx, t)
	return err
}

// SetCanary implements server.PredictService: the store keeps the
// canary, and this server applies it from the next request on.
func (s *Service) SetCanary(ctx context.Context, c server.Canary) (*server.Canary, error) {
	s.setup()
	out, err := s.Store.SetCanary(ctx, c)
	if err != nil {
		return nil, err
	}
	// Read them back now, so that the next request applies the change
	// without reading the store; failing that, it reads them itself.
	v, err := s.readCanaries(ctx)
	if err != nil {
		v = nil
	}
	s.names.canaries.Store(v)
	return out, nil
}

// Canaries implements server.PredictService, from the store.
func (s *Service) Canaries(ctx context.Context) ([]server.Canary, error) {
	s.setup()
	return s.Store.FindCanaries(ctx)
}

// Serving implements server.PredictService.
func (s *Service) Serving(ctx context.Context) []server.ServingModel {
	s.setup()
	s.mu.Lock()
	var es []*entry
	for _, e := range s.warm {
		if e.loaded() && e.err == nil {
			es = append(es, e)
		}
	}
	s.mu.Unlock()
	out := []server.ServingModel{}
	for _, e := range es {
		m := server.ServingModel{Ref: e.ref, Model: e.model, Version: e.version, Pid: e.scorer.Pid, LoadedAt: e.loadedAt,
			LastUsed: e.lastUsedTime(), Requests: e.requests.Load(), Errors: e.errors.Load(), Rows: e.rows.Load()}
		if m.Requests > 0 {
			m.MeanLatency = float64(e.latency.Load()) / float64(m.Requests) / 1e6
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Model != out[j].Model {
			return out[i].Model < out[j].Model
		}
		return out[i].Version < out[j].Version
	})
	return out
}

// checkRows refuses requests the recipe should never see.
func checkRows(rows server.Rows) error {
	if len(rows.Columns) == 0 {
		return server.Errorf(server.EINVALID, "no columns given: send the rows to score with their column names")
	}
	if len(rows.Data) == 0 {
		return server.Errorf(server.EINVALID, "no rows given: send at least one row to score")
	}
	if len(rows.Data) > MaxRows {
		return server.Errorf(server.EINVALID, "%d rows in one request: send at most %d, or run a scoring run ('galley score') for large inputs", len(rows.Data), MaxRows)
	}
	seen := map[string]bool{}
	for _, c := range rows.Columns {
		if c == "" {
			return server.Errorf(server.EINVALID, "a column has an empty name")
		}
		if seen[c] {
			return server.Errorf(server.EINVALID, "column %q is given twice", c)
		}
		seen[c] = true
	}
	for i, r := range rows.Data {
		if len(r) != len(rows.Columns) {
			return server.Errorf(server.EINVALID, "row %d has %d values for %d columns", i+1, len(r), len(rows.Columns))
		}
	}
	return nil
}

// csvWriter is a CSV writer with the buffer it writes to, reused from
// request to request: csv.NewWriter's own buffer (4 KiB) would otherwise
// be allocated per request, for a few hundred bytes of rows.
type csvWriter struct {
	buf bytes.Buffer
	w   *csv.Writer
}

var csvWriters = sync.Pool{New: func() any {
	cw := &csvWriter{}
	cw.w = csv.NewWriter(&cw.buf)
	return cw
}}

// csvReaders are the buffered readers behind csv.NewReader (which uses a
// *bufio.Reader it is given as it is), reused likewise.
var csvReaders = sync.Pool{New: func() any { return bufio.NewReader(nil) }}

// maxPooledCSV is the largest CSV buffer kept for reuse.
const maxPooledCSV = 64 << 10

// encodeRows writes rows as CSV with a header row, as a scoring run's input
// file is.
func encodeRows(rows server.Rows) ([]byte, error) {
	cw := csvWriters.Get().(*csvWriter)
	cw.w.Write(rows.Columns)
	cw.w.WriteAll(rows.Data)
	err := cw.w.Error()
	out := bytes.Clone(cw.buf.Bytes())
	cw.buf.Reset()
	if err != nil {
		// A failed writer keeps its error: it is not reused.
		return nil, server.Errorf(server.EINVALID, "the rows cannot be written as CSV: %v", err)
	}
	if cw.buf.Cap() <= maxPooledCSV {
		csvWriters.Put(cw)
	}
	return out, nil
}

// decodeScores reads a serving worker's CSV reply.
func decodeScores(b string) ([]string, [][]string, error) {
	br := csvReaders.Get().(*bufio.Reader)
	br.Reset(strings.NewReader(b))
	defer func() {
		br.Reset(nil)
		csvReaders.Put(br)
	}()
	r := csv.NewReader(br)
	recs, err := r.ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the recipe's scores: %w", err)
	}
	if len(recs) == 0 {
		return nil, nil, errors.New("the recipe's scores have no header row")
	}
	return recs[0], recs[1:], nil
}

func prediction(t *server.TrainedModel, rep *scored) *server.Prediction {
	return &server.Prediction{Model: t.Model, Version: t.Version, Ref: t.Ref(), Columns: rep.columns, Types: rep.types, Data: rep.data}
}

// serveSpec is what the serving worker for t loads.
func (s *Service) serveSpec(ctx context.Context, t *server.TrainedModel, dir string) (worker.ServeSpec, error) {
	v, err := s.Store.FindRecipeVersionByID(ctx, t.RecipeVersionID)
	if err == nil {
		s.recipes.Store(t.RecipeVersionID, v)
	} else if kept, ok := s.recipes.Load(t.RecipeVersionID); ok && server.ErrorCode(err) != server.ENOTFOUND {
		s.storeFailed(err)
		v = kept.(*server.RecipeVersion)
	} else {
		return worker.ServeSpec{}, err
	}
	values, err := recipe.Resolve(v.Params, t.Params)
	if err != nil {
		return worker.ServeSpec{}, server.Errorf(server.EINVALID, "%v", err)
	}
	ref := t.Ref()
	lines := 0
	return worker.ServeSpec{Source: v.Source, Values: values, ModelIn: t.Artifact, Dir: dir, Log: func(line string) {
		// What a recipe prints per request would flood the server's log.
		if lines++; lines <= 100 {
			s.Log.Info("online scoring: "+line, "model", ref)
		} else if lines == 101 {
			s.Log.Info("online scoring: further output of this worker is dropped", "model", ref)
		}
	}}, nil
}

// workerDir makes a fresh directory for a serving worker of ref.
func (s *Service) workerDir(ref string) (string, error) {
	base := s.Dir
	if base == "" {
		base = os.TempDir()
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(base, strings.ReplaceAll(ref, "@", "-")+"-")
}
