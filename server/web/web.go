// Package web serves galley's workspace in a browser: server-rendered pages
// for runs, recipes, models, datasets and schedules, and WebSocket feeds that push run
// states and log lines to them as they happen.
//
// The pages read through the domain service interfaces of package server
// only; every action they offer (cancel, retry, move an alias) is a
// same-origin fetch() to the REST API under /api, so the API's
// authentication and request checks apply to it unchanged. Mount the
// handler beside the API:
//
//	ui := &web.Handler{Recipes: db, Models: db, TrainedModels: db, Runs: db, Datasets: ds, Schedules: db}
//	mux.Handle("/api/", api.Handler())
//	mux.Handle("/", ui)
//
// Templates, the stylesheet and the script are embedded in the binary; no
// build step produces them.
package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/galley-dev/galley/server"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Defaults for Handler's live feeds.
const (
	DefaultPollInterval = 250 * time.Millisecond
	// DefaultSendQueue is how many messages may wait for one browser
	// before it counts as too slow and is dropped.
	DefaultSendQueue = 32
	// maxBatchLines caps the log lines one message carries, so a message,
	// and with DefaultSendQueue a connection's backlog, has a bound.
	maxBatchLines = 200
	// pageLogLines is how much of a log a run page renders; the rest is
	// one command away.
	pageLogLines = 1000
)

// Handler serves the pages under / and /ui/.
type Handler struct {
	Recipes       server.RecipeService
	Models        server.ModelService
	TrainedModels server.TrainedModelService
	Runs          server.RunService
	Datasets      server.DatasetService
	// Schedules, when set, adds the schedules pages and links to them.
	Schedules server.ScheduleService
	// Predict, when set, adds the services page: the trained versions
	// kept warm for online scoring and their counters.
	Predict server.PredictService
	// Profiles, when set, adds the profile pages.
	Profiles server.ProfileService
	Log      *slog.Logger

	// PollInterval is how often a live feed asks the run service for new
	// log lines and state changes (the services have no notifications).
	PollInterval time.Duration
	// SendQueue bounds the messages waiting for one WebSocket client.
	SendQueue int
	// WriteTimeout bounds one WebSocket write; a browser that reads
	// nothing for that long is dropped.
	WriteTimeout time.Duration

	once  sync.Once
	mux   *http.ServeMux
	pages map[string]*template.Template
	live  liveStats
}

func (h *Handler) init() {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	if h.PollInterval <= 0 {
		h.PollInterval = DefaultPollInterval
	}
	if h.SendQueue <= 0 {
		h.SendQueue = DefaultSendQueue
	}
	if h.WriteTimeout <= 0 {
		h.WriteTimeout = 10 * time.Second
	}
	h.pages = map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue
		}
		// Each page is the layout plus its own blocks and the shared
		// fragments, so pages can define "content" independently.
		h.pages[base] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/_*.html", n))
	}
	static, _ := fs.Sub(staticFS, "static")
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ui/runs", http.StatusFound) })
	m.HandleFunc("GET /ui/{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ui/runs", http.StatusFound) })
	m.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /ui/runs", h.runsPage)
	m.HandleFunc("GET /ui/runs/{id}", h.runPage)
	m.HandleFunc("GET /ui/recipes", h.recipesPage)
	m.HandleFunc("GET /ui/recipes/{name}", h.recipePage)
	m.HandleFunc("GET /ui/models", h.modelsPage)
	m.HandleFunc("GET /ui/models/{name}", h.modelPage)
	m.HandleFunc("GET /ui/models/{name}/compare", h.comparePage)
	m.HandleFunc("GET /ui/datasets", h.datasetsPage)
	m.HandleFunc("GET /ui/datasets/{name}", h.datasetPage)
	m.HandleFunc("GET /ui/schedules", h.schedulesPage)
	m.HandleFunc("GET /ui/schedules/{name}", h.schedulePage)
	m.HandleFunc("GET /ui/services", h.servicesPage)
	if h.Profiles != nil {
		m.HandleFunc("GET /ui/profiles", h.profileSetsPage)
		m.HandleFunc("GET /ui/profiles/{name}", h.profileSetPage)
		m.HandleFunc("GET /ui/profiles/{name}/{id}", h.profilePage)
	}
	m.HandleFunc("GET /ui/live/runs", h.liveRuns)
	m.HandleFunc("GET /ui/live/runs/{id}", h.liveRun)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, server.Errorf(server.ENOTFOUND, "no page at %s: start at /ui/runs", r.URL.Path))
	})
	h.mux = m
}

// ServeHTTP serves a page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(h.init)
	h.mux.ServeHTTP(w, r)
}

// ScheduleURL is the path of a schedule's page.
func ScheduleURL(name string) string { return "/ui/schedules/" + url.PathEscape(name) }

// RunURL is the path of a run's page, for links printed by the CLI.
func RunURL(id int64) string { return "/ui/runs/" + strconv.FormatInt(id, 10) }

// page is what every template receives.
type page struct {
	Title string
	Nav   string // the section highlighted in the navigation
	Data  any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, name, title, nav string, data any) {
	t, ok := h.pages[name]
	if !ok {
		h.fail(w, r, fmt.Errorf("web: no template %q", name))
		return
	}
	var b strings.Builder
	if err := t.Execute(&b, page{Title: title, Nav: nav, Data: data}); err != nil {
		h.fail(w, r, fmt.Errorf("rendering %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'; frame-ancestors 'none'")
	w.Write([]byte(b.String()))
}

// fail renders an error page with the status the error code maps to.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	switch server.ErrorCode(err) {
	case server.EINVALID:
		status = http.StatusBadRequest
	case server.ENOTFOUND:
		status = http.StatusNotFound
	case server.EUNAUTHORIZED:
		status = http.StatusUnauthorized
	case server.ECONFLICT:
		status = http.StatusConflict
	}
	msg := server.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		h.Log.Error("page failed", "path", r.URL.Path, "err", err)
	}
	t := h.pages["error"]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if t == nil {
		fmt.Fprintf(w, "%d %s", status, template.HTMLEscapeString(msg))
		return
	}
	t.Execute(w, page{Title: http.StatusText(status), Data: struct {
		Status  int
		Message string
	}{status, msg}})
}

// listPage renders template name (also the navigation entry it marks),
// titled title, for one page of a list: it reads the page from the query,
// finds its items with find, and renders the view that view makes of them
// and their pager.
func listPage[T any](h *Handler, w http.ResponseWriter, r *http.Request, name, title string, find func(server.Page) ([]T, int, error), view func([]T, pager) any) {
	p, err := pageOf(r.URL.Query(), 50)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	items, total, err := find(p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, name, title, name, view(items, pagerOf(r.URL.Query(), p, total)))
}

// pageOf reads offset and limit from the query; bad values are EINVALID.
func pageOf(q url.Values, limit int) (server.Page, error) {
	p := server.Page{Limit: limit}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"offset", &p.Offset}, {"limit", &p.Limit}} {
		if s := q.Get(f.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 || (f.name == "limit" && (n == 0 || n > server.MaxLimit)) {
				return p, server.Errorf(server.EINVALID, "query parameter %s=%q: give a whole number (limit 1 to %d)", f.name, s, server.MaxLimit)
			}
			*f.dst = n
		}
	}
	return p, nil
}

// pager describes the previous and next pages of a list.
type pager struct {
	Offset, Limit, Total int
	Prev, Next           string // query strings, empty when there is none
}

func pagerOf(q url.Values, p server.Page, total int) pager {
	pg := pager{Offset: p.Offset, Limit: p.Limit, Total: total}
	link := func(off int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("offset", strconv.Itoa(off))
		return "?" + v.Encode()
	}
	if p.Offset > 0 {
		pg.Prev = link(max(0, p.Offset-p.Limit))
	}
	if p.Offset+p.Limit < total {
		pg.Next = link(p.Offset + p.Limit)
	}
	return pg
}

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04:05")
		case *time.Time:
			if v == nil || v.IsZero() {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04:05")
		}
		return ""
	},
	"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"mul100": func(f float64) float64 { return f * 100 },
	"duration": func(ms int64) string {
		if ms <= 0 {
			return ""
		}
		return (time.Duration(ms) * time.Millisecond).Round(time.Millisecond).String()
	},
	"metric": func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) },
	"sortedKeys": func(m map[string]string) []string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	},
	"metricNames": func(m map[string]float64) []string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	},
	"runURL":      RunURL,
	"scheduleURL": ScheduleURL,
	"timingWords": timingWords,
	"zone": func(name string) string {
		if name == "" {
			return "UTC"
		}
		return name
	},
	"scheduleStates": func() []server.ScheduleState { return scheduleStates },
	// local shows a slot's nominal wall-clock time ("2026-03-08T02:30")
	// the way "when" shows instants.
	"local":        func(s string) string { return strings.Replace(s, "T", " ", 1) },
	"overlapWords": func(p string) string { return overlapWords[p] },
	"catchUpWords": func(p string) string { return catchUpWords[p] },
	// rerunnable says whether a slot may run again: it is not waiting to
	// run and its run, if any, has finished.
	"rerunnable": func(sl *server.Slot) bool {
		return sl.Status != server.SlotPending && (sl.RunID == 0 || sl.RunState.Final())
	},
	"add": func(a, b int) int { return a + b },
	"trainBody": func(model string) string {
		b, _ := json.Marshal(server.TrainRequest{Model: model})
		return string(b)
	},
	"states":  func() []server.RunState { return runStates },
	"kinds":   func() []server.RunKind { return runKinds },
	"bytes":   humanBytes,
	"splitAt": func(s string) string { name, _, _ := strings.Cut(s, "@"); return name },
	"atVer": func(s string) string {
		_, v, _ := strings.Cut(s, "@")
		return v
	},
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
