package online

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/galley-dev/galley/server"
)

// Names and canaries are read from the store off the request path: a
// request finds the trained version a name resolved to, and the canaries,
// in memory, and Run reads both again every half ResolveTTL for the names
// requested lately. Only a name nobody asked for in forgetAfter (or ever)
// is read by the request that names it.
//
// When the store cannot be read, requests go on with the last names and
// canaries read; the server says so once in its log and in the
// galley_predict_config_stale gauge, and once a read succeeds again, says
// that too.

// forgetAfter is how long a name is kept fresh without requests.
const forgetAfter = time.Minute

// refreshTimeout bounds one round of reads: a store that hangs makes the
// names stale, not the refresher stuck.
const refreshTimeout = 5 * time.Second

// names holds what requests read from the store besides the workers.
type names struct {
	resolved sync.Map // ref → *resolution
	canaries atomic.Pointer[canaryView]
	reloadMu sync.Mutex  // one request at a time reads the canaries
	running  atomic.Bool // Run keeps names and canaries fresh

	staleMu    sync.Mutex
	staleSince time.Time // zero while the store answers
}

// resolution is a name as resolved from the store at a time. Only used
// changes; a fresher reading replaces the whole resolution.
type resolution struct {
	t     *server.TrainedModel
	model string // the model part of the name, for Moved
	at    time.Time
	used  atomic.Int64 // unix nanoseconds of the last request
}

// canaryView is the canaries as read from the store at a time.
type canaryView struct {
	byModel map[string]server.Canary
	at      time.Time
}

// resolve finds the trained version that serves ref, applying a canary
// to alias and default requests.
func (s *Service) resolve(ctx context.Context, ref string) (*server.TrainedModel, error) {
	t, err := s.lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	if explicitVersion.MatchString(ref) {
		return t, nil
	}
	view, err := s.currentCanaries(ctx)
	if err != nil {
		return nil, err
	}
	c, ok := view.byModel[t.Model]
	if !ok || c.Version == t.Version || rand.Float64() >= c.Weight {
		return t, nil
	}
	ct, err := s.lookup(ctx, t.Model+"@"+strconv.Itoa(c.Version))
	if server.ErrorCode(err) == server.ENOTFOUND {
		// The canary was removed and its version deleted since the
		// canaries were read: serve the alias.
		return t, nil
	}
	return ct, err
}

// fresh reports whether something read from the store at at may be used
// without reading it again: always while Run keeps it fresh, otherwise
// for ResolveTTL.
func (s *Service) fresh(at, now time.Time) bool {
	return s.names.running.Load() || now.Sub(at) < s.ResolveTTL
}

// lookup resolves ref, from memory when it was resolved before.
// Failures are not kept: a model trained a moment later is found.
func (s *Service) lookup(ctx context.Context, ref string) (*server.TrainedModel, error) {
	now := time.Now()
	var old *resolution
	if v, ok := s.names.resolved.Load(ref); ok {
		old = v.(*resolution)
		old.used.Store(now.UnixNano())
		if s.fresh(old.at, now) {
			return old.t, nil
		}
	}
	t, err := s.Store.FindTrainedModel(ctx, ref)
	if err != nil {
		if old != nil && server.ErrorCode(err) != server.ENOTFOUND && ctx.Err() == nil {
			s.storeFailed(err)
			return old.t, nil
		}
		return nil, err
	}
	s.remember(ref, old, t, now)
	s.storeAnswered()
	return t, nil
}

// remember keeps t as ref's resolution read at at, unless ref was resolved
// afresh or forgotten (Moved) since old was read.
func (s *Service) remember(ref string, old *resolution, t *server.TrainedModel, at time.Time) {
	model, _, _ := strings.Cut(ref, "@")
	r := &resolution{t: t, model: model, at: at}
	if old == nil {
		r.used.Store(at.UnixNano())
		s.names.resolved.Store(ref, r)
		return
	}
	r.used.Store(old.used.Load())
	s.names.resolved.CompareAndSwap(ref, old, r)
}

// Moved implements server.PredictService: names of model resolve afresh.
func (s *Service) Moved(model string) {
	s.setup()
	s.names.resolved.Range(func(k, v any) bool {
		if r := v.(*resolution); r.model == model || r.t.Model == model {
			s.names.resolved.Delete(k)
		}
		return true
	})
}

// currentCanaries returns the canaries, from memory when they were read
// before.
func (s *Service) currentCanaries(ctx context.Context) (*canaryView, error) {
	if v := s.names.canaries.Load(); v != nil && s.fresh(v.at, time.Now()) {
		return v, nil
	}
	s.names.reloadMu.Lock()
	defer s.names.reloadMu.Unlock()
	// Another request may have read them while this one waited.
	old := s.names.canaries.Load()
	if old != nil && s.fresh(old.at, time.Now()) {
		return old, nil
	}
	v, err := s.readCanaries(ctx)
	if err != nil {
		if old != nil && ctx.Err() == nil {
			s.storeFailed(err)
			return old, nil
		}
		return nil, fmt.Errorf("reading the canaries: %w", err)
	}
	s.names.canaries.Store(v)
	s.storeAnswered()
	return v, nil
}

func (s *Service) readCanaries(ctx context.Context) (*canaryView, error) {
	at := time.Now()
	list, err := s.Store.FindCanaries(ctx)
	if err != nil {
		return nil, err
	}
	v := &canaryView{byModel: make(map[string]server.Canary, len(list)), at: at}
	for _, c := range list {
		v.byModel[c.Model] = c
	}
	return v, nil
}

// keepFresh reads the names requested lately and the canaries again every
// half ResolveTTL until ctx ends.
func (s *Service) keepFresh(ctx context.Context) {
	s.names.running.Store(true)
	defer s.names.running.Store(false)
	tick := time.NewTicker(s.ResolveTTL / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			rctx, cancel := context.WithTimeout(ctx, refreshTimeout)
			s.refresh(rctx, time.Now())
			cancel()
		}
	}
}

// refresh reads again the names used since forgetAfter before now, and
// the canaries; it forgets the other names. With no name in use it reads
// nothing, and drops the canaries, so that an idle server leaves the
// store alone and its next request reads them.
func (s *Service) refresh(ctx context.Context, now time.Time) {
	type item struct {
		ref string
		r   *resolution
	}
	var items []item
	s.names.resolved.Range(func(k, v any) bool {
		r := v.(*resolution)
		if now.Sub(time.Unix(0, r.used.Load())) > forgetAfter {
			s.names.resolved.CompareAndDelete(k, v)
		} else {
			items = append(items, item{k.(string), r})
		}
		return true
	})
	if len(items) == 0 {
		s.names.canaries.Store(nil)
		return
	}
	var failed error
	for _, it := range items {
		at := time.Now()
		t, err := s.Store.FindTrainedModel(ctx, it.ref)
		switch {
		case server.ErrorCode(err) == server.ENOTFOUND:
			// The alias, version or model is gone: the next request
			// says so.
			s.names.resolved.CompareAndDelete(it.ref, it.r)
		case err != nil:
			failed = err
		default:
			s.remember(it.ref, it.r, t, at)
		}
		if failed != nil {
			break
		}
	}
	if failed == nil {
		v, err := s.readCanaries(ctx)
		if err != nil {
			failed = err
		} else {
			s.names.canaries.Store(v)
		}
	}
	if failed != nil {
		s.storeFailed(failed)
		return
	}
	s.storeAnswered()
}

// storeFailed notes that names and canaries could not be read, saying so
// once per outage.
func (s *Service) storeFailed(err error) {
	s.metrics.refreshErrors.Inc()
	s.names.staleMu.Lock()
	defer s.names.staleMu.Unlock()
	if !s.names.staleSince.IsZero() {
		return
	}
	s.names.staleSince = time.Now()
	s.metrics.stale.Set(1)
	s.Log.Warn("online scoring: cannot read aliases and canaries from the database; serving with the last ones read until it answers again", "err", err)
}

// storeAnswered ends an outage storeFailed noted.
func (s *Service) storeAnswered() {
	s.names.staleMu.Lock()
	defer s.names.staleMu.Unlock()
	if s.names.staleSince.IsZero() {
		return
	}
	s.Log.Info("online scoring: the database answers again; aliases and canaries are current", "stale_for", time.Since(s.names.staleSince).Round(time.Millisecond).String())
	s.names.staleSince = time.Time{}
	s.metrics.stale.Set(0)
}
