package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
)

// nextSlotCount is how many upcoming slots the pages show: enough to see a
// timetable's rhythm (and a DST change) without paging.
const nextSlotCount = 5

var scheduleStates = []server.ScheduleState{server.ScheduleActive, server.SchedulePaused, server.ScheduleEnded}

// schedulesView lists schedules, each with its next slots.
type schedulesView struct {
	Schedules []scheduleRow
	State     string
	Model     string
	Filtered  bool
	Pager     pager
}

type scheduleRow struct {
	*server.Schedule
	Next []*server.Slot
}

// noSchedules answers schedule pages on a server without schedules.
func (h *Handler) noSchedules(w http.ResponseWriter, r *http.Request) bool {
	if h.Schedules != nil {
		return false
	}
	h.fail(w, r, server.Errorf(server.ENOTFOUND, "this server keeps no schedules"))
	return true
}

func (h *Handler) schedulesPage(w http.ResponseWriter, r *http.Request) {
	if h.noSchedules(w, r) {
		return
	}
	q := r.URL.Query()
	f := server.ScheduleFilter{Model: q.Get("model"), State: server.ScheduleState(q.Get("state"))}
	if f.State != "" && !contains(scheduleStates, f.State) {
		h.fail(w, r, server.Errorf(server.EINVALID, "state=%q: use one of %v", f.State, scheduleStates))
		return
	}
	var err error
	if f.Page, err = pageOf(q, 50); err != nil {
		h.fail(w, r, err)
		return
	}
	list, total, err := h.Schedules.FindSchedules(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := schedulesView{State: string(f.State), Model: f.Model, Filtered: f.State != "" || f.Model != "", Pager: pagerOf(q, f.Page, total)}
	for _, s := range list {
		row := scheduleRow{Schedule: s}
		if s.NextFire != nil {
			// Three slots per row show the rhythm; the schedule's page has more.
			if row.Next, err = h.Schedules.NextSlots(r.Context(), s.Name, 3); err != nil {
				h.fail(w, r, err)
				return
			}
		}
		v.Schedules = append(v.Schedules, row)
	}
	h.render(w, r, "schedules", "Schedules", "schedules", v)
}

// scheduleView is one schedule with its upcoming and recorded slots.
type scheduleView struct {
	Schedule *server.Schedule
	Next     []*server.Slot
	Slots    []*server.Slot
	Pager    pager
}

func (h *Handler) schedulePage(w http.ResponseWriter, r *http.Request) {
	if h.noSchedules(w, r) {
		return
	}
	ctx := r.Context()
	name := r.PathValue("name")
	s, err := h.Schedules.FindSchedule(ctx, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := pageOf(r.URL.Query(), 50)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := scheduleView{Schedule: s}
	if s.NextFire != nil {
		if v.Next, err = h.Schedules.NextSlots(ctx, name, nextSlotCount); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	var total int
	if v.Slots, total, err = h.Schedules.ScheduleSlots(ctx, name, p); err != nil {
		h.fail(w, r, err)
		return
	}
	v.Pager = pagerOf(r.URL.Query(), p, total)
	h.render(w, r, "schedule", "Schedule "+name, "schedules", v)
}

// timingWords says when a schedule fires in words, for the common cron
// shapes; other expressions are shown as they are.
func timingWords(t server.Timing) string {
	var s string
	switch {
	case t.Every != "":
		s = "every " + durationWords(t.Every)
	case t.Cron != "":
		s = cronWords(t.Cron)
	}
	if t.OnNewData {
		if s == "" {
			s = "on every new input snapshot"
		} else {
			s += ", and on every new input snapshot"
		}
	}
	return s
}

func durationWords(every string) string {
	d, err := time.ParseDuration(every)
	if err != nil || d <= 0 {
		return every
	}
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{24 * time.Hour, "day"}, {time.Hour, "hour"}, {time.Minute, "minute"}, {time.Second, "second"}} {
		if d%u.d == 0 {
			n := int64(d / u.d)
			if n == 1 {
				return u.name
			}
			return fmt.Sprintf("%d %ss", n, u.name)
		}
	}
	return d.String()
}

var weekdays = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

func cronWords(expr string) string {
	switch expr {
	case "@hourly":
		return "every hour, on the hour"
	case "@daily", "@midnight":
		return "every day at 00:00"
	case "@weekly":
		return "every Sunday at 00:00"
	case "@monthly":
		return "on the 1st of every month at 00:00"
	case "@yearly", "@annually":
		return "every 1 January at 00:00"
	}
	f := strings.Fields(expr)
	if len(f) != 5 {
		return "cron " + expr
	}
	min, hour, dom, mon, dow := f[0], f[1], f[2], f[3], f[4]
	num := func(s string, hi int) (int, bool) {
		n, err := strconv.Atoi(s)
		return n, err == nil && n >= 0 && n <= hi
	}
	m, mOK := num(min, 59)
	hr, hOK := num(hour, 23)
	if mon != "*" {
		return "cron " + expr
	}
	switch {
	case strings.HasPrefix(min, "*/") && hour == "*" && dom == "*" && dow == "*":
		if n, ok := num(min[2:], 59); ok && n > 0 {
			return "every " + durationWords(strconv.Itoa(n)+"m")
		}
	case mOK && hour == "*" && dom == "*" && dow == "*":
		return fmt.Sprintf("every hour at minute %d", m)
	case mOK && hOK && dom == "*" && dow == "*":
		return fmt.Sprintf("every day at %02d:%02d", hr, m)
	case mOK && hOK && dom == "*":
		if d, ok := num(dow, 7); ok {
			return fmt.Sprintf("every %s at %02d:%02d", weekdays[d%7], hr, m)
		}
		if dow == "1-5" {
			return fmt.Sprintf("every weekday at %02d:%02d", hr, m)
		}
	case mOK && hOK && dow == "*":
		if d, ok := num(dom, 31); ok && d > 0 {
			return fmt.Sprintf("on day %d of every month at %02d:%02d", d, hr, m)
		}
	}
	return "cron " + expr
}

// overlapWords and catchUpWords explain the policies as docs/server.md does.
var (
	overlapWords = map[string]string{
		server.OverlapSkip:        "a slot that comes due while an earlier run is queued or running is skipped",
		server.OverlapBufferOne:   "one such slot waits for the earlier run; later ones are skipped",
		server.OverlapBufferAll:   "every such slot waits and they start in order",
		server.OverlapCancelOther: "the earlier run is cancelled and the new slot runs",
		server.OverlapAllow:       "runs may overlap",
	}
	catchUpWords = map[string]string{
		server.CatchUpLatest: "after downtime only the latest missed slot runs",
		server.CatchUpNone:   "a slot runs only within a minute of its time; later ones are skipped",
		server.CatchUpAll:    "every slot missed during downtime runs",
	}
)
