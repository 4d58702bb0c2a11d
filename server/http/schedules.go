package http

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/galley-dev/galley/server"
)

// Wire forms of schedule requests. Optional text fields are pointers so
// that a field given empty is refused as the document says, while one left
// out takes its default.
type scheduleRequest struct {
	Name                string                     `json:"name" openapi:"name"`
	Kind                string                     `json:"kind" openapi:"scheduleKind"`
	Model               string                     `json:"model" openapi:"trainedModel"`
	Input               *string                    `json:"input,omitempty" openapi:"dataset"`
	Output              *string                    `json:"output,omitempty" openapi:"name"`
	Profile             *profileTargetRequest      `json:"profile,omitempty"`
	Force               bool                       `json:"force,omitempty"`
	Params              map[string]json.RawMessage `json:"params,omitempty" openapi:"params"`
	Schedule            timingRequest              `json:"schedule"`
	Overlap             *string                    `json:"overlap,omitempty" openapi:"overlap"`
	CatchUp             *string                    `json:"catch_up,omitempty" openapi:"catchUp"`
	CatchUpWindow       *string                    `json:"catch_up_window,omitempty" openapi:"duration"`
	PauseAfterFailures  int                        `json:"pause_after_failures,omitempty" openapi:"pauseAfterFailures"`
	BackfillConcurrency int                        `json:"backfill_concurrency,omitempty" openapi:"backfillConcurrency"`
	Promote             *promotionRequest          `json:"promote,omitempty"`
}

type promotionRequest struct {
	Alias         string  `json:"alias" openapi:"alias"`
	Metric        string  `json:"metric" openapi:"metric"`
	Tolerance     float64 `json:"tolerance,omitempty" openapi:"tolerance"`
	LowerIsBetter bool    `json:"lower_is_better,omitempty"`
}

type timingRequest struct {
	Cron      string     `json:"cron,omitempty" openapi:"cron"`
	Every     string     `json:"every,omitempty" openapi:"duration"`
	TimeZone  string     `json:"time_zone,omitempty" openapi:"timeZone"`
	StartTime *time.Time `json:"start_time,omitempty"`
	EndTime   *time.Time `json:"end_time,omitempty"`
	MaxRuns   int        `json:"max_runs,omitempty" openapi:"maxRuns"`
	Jitter    string     `json:"jitter,omitempty" openapi:"duration"`
	OnNewData bool       `json:"on_new_data,omitempty"`
}

type scheduleUpdateRequest struct {
	Schedule           *timingRequest `json:"schedule,omitempty"`
	Overlap            *string        `json:"overlap,omitempty" openapi:"overlap"`
	CatchUp            *string        `json:"catch_up,omitempty" openapi:"catchUp"`
	CatchUpWindow      *string        `json:"catch_up_window,omitempty" openapi:"duration"`
	PauseAfterFailures *int           `json:"pause_after_failures,omitempty" openapi:"pauseAfterFailures"`
}

type rerunRequest struct {
	Slot time.Time `json:"slot"`
}

type backfillRequest struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Lengths the document gives text fields of schedules.
const (
	maxCronLength     = 100
	maxDurationLength = 32
	maxZoneLength     = 64
	maxMetricLength   = 100
	maxTolerance      = 1e9
)

// scheduleConstraints are the constraints schedule requests name; see
// constraints.
var scheduleConstraints = map[string]map[string]any{
	"scheduleKind":        {"type": "string", "enum": []any{"train", "score"}},
	"overlap":             {"type": "string", "enum": anyOf(server.OverlapPolicies)},
	"catchUp":             {"type": "string", "enum": anyOf(server.CatchUpPolicies)},
	"cron":                {"type": "string", "maxLength": maxCronLength},
	"duration":            {"type": "string", "maxLength": maxDurationLength},
	"timeZone":            {"type": "string", "maxLength": maxZoneLength},
	"maxRuns":             {"type": "integer", "format": "int32", "minimum": 0, "maximum": math.MaxInt32},
	"pauseAfterFailures":  {"type": "integer", "minimum": 0, "maximum": 1000},
	"backfillConcurrency": {"type": "integer", "minimum": 0, "maximum": 100},
	"slotCount":           {"type": "integer", "minimum": 1, "maximum": 100},
	"metric":              {"type": "string", "minLength": 1, "maxLength": maxMetricLength},
	"tolerance":           {"type": "number", "minimum": 0, "maximum": maxTolerance},
}

func init() { maps.Copy(constraints, scheduleConstraints) }

func anyOf(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

func (s *Server) scheduleRoutes() []route {
	slot := []server.Slot{}
	return []route{
		{method: "GET", path: "/api/schedules", summary: "List schedules",
			query: pageParams(server.ScheduleOrders,
				param{name: "model", typ: "string", desc: "only schedules of this model"},
				param{name: "state", typ: "string", desc: "schedule state", enum: []string{"active", "paused", "ended"}}),
			status: 200, response: list[*server.Schedule]{}, handler: s.listSchedules},
		{method: "POST", path: "/api/schedules", summary: "Create a schedule that trains or scores a model on a cron expression or interval",
			body: scheduleRequest{}, status: 201, response: server.Schedule{}, errors: []int{404, 409, 413}, handler: s.createSchedule},
		{method: "GET", path: "/api/schedules/{name}", summary: "Show a schedule", status: 200, response: server.Schedule{}, errors: []int{404},
			handler: s.getSchedule},
		{method: "PATCH", path: "/api/schedules/{name}", summary: "Change a schedule's timing or policies; a new timing starts from now and never backfills",
			body: scheduleUpdateRequest{}, status: 200, response: server.Schedule{}, errors: []int{404, 409, 413}, handler: s.updateSchedule},
		{method: "DELETE", path: "/api/schedules/{name}", summary: "Delete a schedule and its slot history (its runs remain)", status: 204,
			errors: []int{404}, handler: s.deleteSchedule},
		{method: "POST", path: "/api/schedules/{name}/pause", summary: "Pause a schedule: its slots are recorded as skipped until it is resumed",
			query: []param{{name: "reason", typ: "string", desc: "why, shown with the schedule"}}, status: 200, response: server.Schedule{},
			errors: []int{404, 409}, handler: s.pauseSchedule},
		{method: "POST", path: "/api/schedules/{name}/resume", summary: "Resume a paused schedule from its next slot; missed slots are not run",
			status: 200, response: server.Schedule{}, errors: []int{404, 409}, handler: s.resumeSchedule},
		{method: "GET", path: "/api/schedules/{name}/next", summary: "The schedule's next slots",
			query:  []param{{name: "n", typ: "slotCount", desc: "how many slots, 1 to 100 (absent: 10)"}},
			status: 200, response: slot, errors: []int{404}, handler: s.nextSlots},
		{method: "GET", path: "/api/schedules/{name}/slots", summary: "The schedule's recorded slots: the run each started or why it did not run",
			query: pageParams(server.SlotOrders), status: 200, response: list[*server.Slot]{}, errors: []int{404}, handler: s.listSlots},
		{method: "POST", path: "/api/schedules/{name}/backfill", summary: "Run the slots between from and to that have no run yet",
			body: backfillRequest{}, status: 200, response: server.BackfillResult{}, errors: []int{404, 413}, handler: s.backfill},
		{method: "POST", path: "/api/schedules/{name}/rerun", summary: "Run a recorded slot again; a scoring slot's new output replaces its earlier one",
			body: rerunRequest{}, status: 200, response: server.Slot{}, errors: []int{404, 409}, handler: s.rerun},
	}
}

// optional reads an optional text field that must not be given empty.
func optional(p *string, field string) (string, error) {
	if p == nil {
		return "", nil
	}
	if *p == "" {
		return "", server.Errorf(server.EINVALID, "%s is empty: give a value or leave the field out", field)
	}
	return *p, nil
}

func (t *timingRequest) timing() (server.Timing, error) {
	switch {
	case len(t.Cron) > maxCronLength:
		return server.Timing{}, server.Errorf(server.EINVALID, "cron expression is longer than %d characters", maxCronLength)
	case len(t.Every) > maxDurationLength || len(t.Jitter) > maxDurationLength:
		return server.Timing{}, server.Errorf(server.EINVALID, "every and jitter are durations of at most %d characters, such as 15m", maxDurationLength)
	case len(t.TimeZone) > maxZoneLength:
		return server.Timing{}, server.Errorf(server.EINVALID, "time zone is longer than %d characters", maxZoneLength)
	case t.MaxRuns < 0 || t.MaxRuns > math.MaxInt32:
		return server.Timing{}, server.Errorf(server.EINVALID, "max_runs must be 0 (no limit) to %d", math.MaxInt32)
	}
	return server.Timing{Cron: t.Cron, Every: t.Every, TimeZone: t.TimeZone, StartTime: t.StartTime, EndTime: t.EndTime, MaxRuns: t.MaxRuns, Jitter: t.Jitter,
		OnNewData: t.OnNewData}, nil
}

func (req *scheduleRequest) schedule() (*server.Schedule, error) {
	sc := &server.Schedule{Name: req.Name, Kind: server.RunKind(req.Kind), Model: req.Model,
		PauseAfterFailures: req.PauseAfterFailures, BackfillConcurrency: req.BackfillConcurrency, Force: req.Force}
	if p := req.Profile; p != nil {
		sc.Profile = &server.ProfileTarget{Name: p.Name, ID: p.ID}
	}
	var err error
	for _, f := range []struct {
		p    *string
		name string
		dst  *string
	}{{req.Input, "input", &sc.Input}, {req.Output, "output", &sc.Output}, {req.Overlap, "overlap", &sc.Overlap},
		{req.CatchUp, "catch_up", &sc.CatchUp}, {req.CatchUpWindow, "catch_up_window", &sc.CatchUpWindow}} {
		if *f.dst, err = optional(f.p, f.name); err != nil {
			return nil, err
		}
	}
	if len(sc.CatchUpWindow) > maxDurationLength {
		return nil, server.Errorf(server.EINVALID, "catch_up_window is longer than %d characters", maxDurationLength)
	}
	if sc.Timing, err = req.Schedule.timing(); err != nil {
		return nil, err
	}
	if p := req.Promote; p != nil {
		if len(p.Metric) > maxMetricLength || p.Tolerance > maxTolerance {
			return nil, server.Errorf(server.EINVALID, "promote: metric names are at most %d characters and tolerances at most %g", maxMetricLength, float64(maxTolerance))
		}
		sc.Promote = &server.Promotion{Alias: p.Alias, Metric: p.Metric, Tolerance: p.Tolerance, LowerIsBetter: p.LowerIsBetter}
	}
	if len(req.Params) > 0 {
		if sc.Params, err = values(req.Params); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

func (s *Server) listSchedules(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	listPage(s, w, r, func(p server.Page) ([]*server.Schedule, int, error) {
		return s.Schedules.FindSchedules(r.Context(), server.ScheduleFilter{Model: q.Get("model"), State: server.ScheduleState(q.Get("state")), Page: p})
	})
}

func (s *Server) createSchedule(w http.ResponseWriter, r *http.Request) {
	var req scheduleRequest
	if err := s.decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	sc, err := req.schedule()
	if err == nil {
		err = s.Schedules.CreateSchedule(r.Context(), sc)
	}
	respond(s, w, r, 201, sc, err)
}

func (s *Server) getSchedule(w http.ResponseWriter, r *http.Request) {
	sc, err := s.Schedules.FindSchedule(r.Context(), r.PathValue("name"))
	respond(s, w, r, 200, sc, err)
}

func (s *Server) updateSchedule(w http.ResponseWriter, r *http.Request) {
	var req scheduleUpdateRequest
	if err := s.decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	u := server.ScheduleUpdate{PauseAfterFailures: req.PauseAfterFailures}
	var err error
	for _, f := range []struct {
		p    *string
		name string
		dst  **string
	}{{req.Overlap, "overlap", &u.Overlap}, {req.CatchUp, "catch_up", &u.CatchUp}, {req.CatchUpWindow, "catch_up_window", &u.CatchUpWindow}} {
		if _, err = optional(f.p, f.name); err != nil {
			s.error(w, r, err)
			return
		}
		*f.dst = f.p
	}
	if req.Schedule != nil {
		t, err := req.Schedule.timing()
		if err != nil {
			s.error(w, r, err)
			return
		}
		u.Timing = &t
	}
	sc, err := s.Schedules.UpdateSchedule(r.Context(), r.PathValue("name"), u)
	respond(s, w, r, 200, sc, err)
}

func (s *Server) deleteSchedule(w http.ResponseWriter, r *http.Request) {
	s.deleted(w, r, s.Schedules.DeleteSchedule(r.Context(), r.PathValue("name")))
}

func (s *Server) pauseSchedule(w http.ResponseWriter, r *http.Request) {
	sc, err := s.Schedules.PauseSchedule(r.Context(), r.PathValue("name"), r.URL.Query().Get("reason"))
	respond(s, w, r, 200, sc, err)
}

func (s *Server) resumeSchedule(w http.ResponseWriter, r *http.Request) {
	sc, err := s.Schedules.ResumeSchedule(r.Context(), r.PathValue("name"))
	respond(s, w, r, 200, sc, err)
}

func (s *Server) nextSlots(w http.ResponseWriter, r *http.Request) {
	n := 10
	if v := r.URL.Query().Get("n"); v != "" {
		n, _ = strconv.Atoi(v) // checkQuery checked it
	}
	slots, err := s.Schedules.NextSlots(r.Context(), r.PathValue("name"), n)
	respond(s, w, r, 200, slots, err)
}

func (s *Server) listSlots(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, func(p server.Page) ([]*server.Slot, int, error) {
		return s.Schedules.ScheduleSlots(r.Context(), r.PathValue("name"), p)
	})
}

func (s *Server) backfill(w http.ResponseWriter, r *http.Request) {
	var req backfillRequest
	if err := s.decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.Schedules.BackfillSchedule(r.Context(), r.PathValue("name"), server.Backfill{From: req.From, To: req.To})
	respond(s, w, r, 200, res, err)
}

func (s *Server) rerun(w http.ResponseWriter, r *http.Request) {
	var req rerunRequest
	if err := s.decode(w, r, &req); err != nil {
		s.error(w, r, err)
		return
	}
	res, err := s.Schedules.RerunSlot(r.Context(), r.PathValue("name"), server.Rerun{Slot: req.Slot})
	respond(s, w, r, 200, res, err)
}

// The client side: Client implements server.ScheduleService.

func timingOf(t server.Timing) timingRequest {
	return timingRequest{Cron: t.Cron, Every: t.Every, TimeZone: t.TimeZone, StartTime: t.StartTime, EndTime: t.EndTime, MaxRuns: t.MaxRuns, Jitter: t.Jitter,
		OnNewData: t.OnNewData}
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// CreateSchedule implements server.ScheduleService.
func (c *Client) CreateSchedule(ctx context.Context, sc *server.Schedule) error {
	req := scheduleRequest{Name: sc.Name, Kind: string(sc.Kind), Model: sc.Model, Input: nonEmpty(sc.Input), Output: nonEmpty(sc.Output),
		Params: rawParams(sc.Params), Schedule: timingOf(sc.Timing), Overlap: nonEmpty(sc.Overlap), CatchUp: nonEmpty(sc.CatchUp),
		CatchUpWindow: nonEmpty(sc.CatchUpWindow), PauseAfterFailures: sc.PauseAfterFailures, BackfillConcurrency: sc.BackfillConcurrency,
		Force: sc.Force}
	if p := sc.Profile; p != nil {
		req.Profile = &profileTargetRequest{Name: p.Name, ID: p.ID}
	}
	if p := sc.Promote; p != nil {
		req.Promote = &promotionRequest{Alias: p.Alias, Metric: p.Metric, Tolerance: p.Tolerance, LowerIsBetter: p.LowerIsBetter}
	}
	return c.json(ctx, "POST", "/api/schedules", req, sc)
}

// FindSchedule implements server.ScheduleService.
func (c *Client) FindSchedule(ctx context.Context, name string) (*server.Schedule, error) {
	var out server.Schedule
	return &out, c.json(ctx, "GET", "/api/schedules/"+seg(name), nil, &out)
}

// FindSchedules implements server.ScheduleService.
func (c *Client) FindSchedules(ctx context.Context, f server.ScheduleFilter) ([]*server.Schedule, int, error) {
	var out list[*server.Schedule]
	err := c.do(ctx, "GET", "/api/schedules", pageQuery(f.Page, "model", f.Model, "state", string(f.State)), nil, "", &out)
	return out.Items, out.Total, err
}

// UpdateSchedule implements server.ScheduleService.
func (c *Client) UpdateSchedule(ctx context.Context, name string, u server.ScheduleUpdate) (*server.Schedule, error) {
	req := scheduleUpdateRequest{Overlap: u.Overlap, CatchUp: u.CatchUp, CatchUpWindow: u.CatchUpWindow, PauseAfterFailures: u.PauseAfterFailures}
	if u.Timing != nil {
		t := timingOf(*u.Timing)
		req.Schedule = &t
	}
	var out server.Schedule
	return &out, c.json(ctx, "PATCH", "/api/schedules/"+seg(name), req, &out)
}

// PauseSchedule implements server.ScheduleService.
func (c *Client) PauseSchedule(ctx context.Context, name, reason string) (*server.Schedule, error) {
	var out server.Schedule
	q := url.Values{}
	if reason != "" {
		q.Set("reason", reason)
	}
	return &out, c.do(ctx, "POST", "/api/schedules/"+seg(name)+"/pause", q, nil, "", &out)
}

// ResumeSchedule implements server.ScheduleService.
func (c *Client) ResumeSchedule(ctx context.Context, name string) (*server.Schedule, error) {
	var out server.Schedule
	return &out, c.do(ctx, "POST", "/api/schedules/"+seg(name)+"/resume", nil, nil, "", &out)
}

// DeleteSchedule implements server.ScheduleService.
func (c *Client) DeleteSchedule(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", "/api/schedules/"+seg(name), nil, nil, "", nil)
}

// NextSlots implements server.ScheduleService.
func (c *Client) NextSlots(ctx context.Context, name string, n int) ([]*server.Slot, error) {
	var out []*server.Slot
	return out, c.do(ctx, "GET", "/api/schedules/"+seg(name)+"/next", url.Values{"n": {strconv.Itoa(n)}}, nil, "", &out)
}

// ScheduleSlots implements server.ScheduleService.
func (c *Client) ScheduleSlots(ctx context.Context, name string, p server.Page) ([]*server.Slot, int, error) {
	var out list[*server.Slot]
	err := c.do(ctx, "GET", "/api/schedules/"+seg(name)+"/slots", pageQuery(p), nil, "", &out)
	return out.Items, out.Total, err
}

// RerunSlot implements server.ScheduleService.
func (c *Client) RerunSlot(ctx context.Context, name string, rr server.Rerun) (*server.Slot, error) {
	var out server.Slot
	return &out, c.json(ctx, "POST", "/api/schedules/"+seg(name)+"/rerun", rerunRequest{Slot: rr.Slot}, &out)
}

// BackfillSchedule implements server.ScheduleService.
func (c *Client) BackfillSchedule(ctx context.Context, name string, b server.Backfill) (*server.BackfillResult, error) {
	var out server.BackfillResult
	return &out, c.json(ctx, "POST", "/api/schedules/"+seg(name)+"/backfill", backfillRequest{From: b.From, To: b.To}, &out)
}
