package web

import (
	"context"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
)

// serving is a PredictService whose state the test sets: the page shows
// what the service reports, and the service's own behaviour is tested
// through a real server in cmd/galley (TestOnlineScoring).
type serving struct {
	server.PredictService
	models   []server.ServingModel
	canaries []server.Canary
}

func (s *serving) Serving(context.Context) []server.ServingModel     { return s.models }
func (s *serving) Canaries(context.Context) ([]server.Canary, error) { return s.canaries, nil }

func TestServicesPage(t *testing.T) {
	f := newFixture(t)
	f.get(t, "/ui/services", 404)

	ps := &serving{}
	f.h.Predict = ps
	page := f.get(t, "/ui/services", 200)
	has(t, page, "/ui/services", `id="serving-empty"`, `id="canaries-empty"`, `aria-current="page">Services`, `href="/metrics"`)

	at := time.Date(2026, 12, 7, 3, 4, 5, 0, time.UTC)
	ps.models = []server.ServingModel{
		{Ref: "churn@2", Model: "churn", Version: 2, Pid: 4242, LoadedAt: at, LastUsed: at.Add(time.Minute), Requests: 1500, Errors: 3, Rows: 1800, MeanLatency: 1.25},
		{Ref: "bank@1", Model: "bank", Version: 1, Pid: 4343, LoadedAt: at, LastUsed: at, Requests: 7, Rows: 7, MeanLatency: 0.5},
	}
	ps.canaries = []server.Canary{{Model: "churn", Version: 3, Weight: 0.1}}
	page = f.get(t, "/ui/services", 200)
	has(t, page, "/ui/services", `data-serving="churn@2"`, `data-serving="bank@1"`, "<td class=\"num\">1500</td>", "<td class=\"num\">3</td>",
		"<td class=\"num\">1.25</td>", "2026-12-07 03:05:05", `<caption>2 warm versions</caption>`,
		`data-canary="churn"`, "10% of alias and default requests go to version 3")
	lacks(t, page, "/ui/services", `id="serving-empty"`, `id="canaries-empty"`)
}
