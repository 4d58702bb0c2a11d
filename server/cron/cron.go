// Package cron computes when schedules fire: five-field cron expressions
// and fixed intervals in an IANA time zone, with daylight-saving rules that
// never skip or double a slot.
//
// A cron expression names wall-clock times ("30 2 * * *" is 02:30 local
// time). Wall-clock times map to instants as follows:
//
//   - a time that occurs twice (the repeated hour when clocks go back) fires
//     once, at its first occurrence;
//   - a time that does not occur (the hour skipped when clocks go forward)
//     fires at the first instant after the gap; slots that land on the same
//     instant fire once.
//
// Intervals ("every 15m") count elapsed time from an anchor and are not
// affected by daylight saving.
//
//	spec, err := cron.Parse("0 2 * * *", berlin)
//	slot, ok := spec.Next(time.Now())
//
// It is written here rather than taken from a library because galley needs
// the nominal wall-clock time of every slot and the daylight-saving rule
// above, which the cron libraries compute instants for but do not expose.
package cron

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	// Zone data for machines and containers without /usr/share/zoneinfo:
	// a schedule's zone must not depend on where the server runs.
	_ "time/tzdata"
)

// Slot is one fire time: the instant and its nominal wall-clock time.
type Slot struct {
	Time time.Time
	// Local is the nominal wall-clock time, "2006-01-02T15:04" (with
	// seconds for intervals that need them).
	Local string
}

// Spec is a timetable.
type Spec interface {
	// Next returns the first slot strictly after t; false when there is
	// none.
	Next(t time.Time) (Slot, bool)
}

// Expr is a parsed cron expression in a time zone.
type Expr struct {
	minute, hour, dom, month, dow uint64 // bit sets
	domStar, dowStar              bool
	loc                           *time.Location
}

var macros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

var (
	monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	dayNames   = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

type field struct {
	name     string
	min, max int
	names    []string // names for min, min+1, …
}

var fields = []field{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, monthNames},
	{"day of week", 0, 7, dayNames},
}

// Parse reads a five-field expression or a macro such as @daily, for
// wall-clock times in loc (nil: UTC). Expressions that can never fire,
// such as "0 0 30 2 *", are errors.
func Parse(expr string, loc *time.Location) (*Expr, error) {
	if loc == nil {
		loc = time.UTC
	}
	text := strings.TrimSpace(expr)
	if m, ok := macros[strings.ToLower(text)]; ok {
		text = m
	} else if strings.HasPrefix(text, "@") {
		return nil, fmt.Errorf("cron expression %q: unknown macro: use @hourly, @daily, @weekly, @monthly or @yearly", expr)
	}
	parts := strings.Fields(text)
	if len(parts) != 5 {
		return nil, fmt.Errorf("cron expression %q has %d fields: give five (minute hour day-of-month month day-of-week), e.g. \"0 2 * * *\"", expr, len(parts))
	}
	e := &Expr{loc: loc}
	dst := []*uint64{&e.minute, &e.hour, &e.dom, &e.month, &e.dow}
	for i, p := range parts {
		set, err := parseField(p, fields[i])
		if err != nil {
			return nil, fmt.Errorf("cron expression %q: %w", expr, err)
		}
		*dst[i] = set
	}
	// 7 is Sunday too.
	if e.dow&(1<<7) != 0 {
		e.dow |= 1
	}
	e.domStar = parts[2] == "*" || parts[2] == "*/1"
	e.dowStar = parts[4] == "*" || parts[4] == "*/1"
	if !e.possible() {
		return nil, fmt.Errorf("cron expression %q never fires: no month has that day", expr)
	}
	return e, nil
}

func parseField(s string, f field) (uint64, error) {
	var set uint64
	for _, item := range strings.Split(s, ",") {
		rng, stepText, hasStep := strings.Cut(item, "/")
		lo, hi := f.min, f.max
		if f.name == "day of week" {
			hi = 6 // "*" means 0-6; 7 only by name
		}
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = value(a, f); err != nil {
				return 0, err
			}
			if hi, err = value(b, f); err != nil {
				return 0, err
			}
			if hi < lo {
				return 0, fmt.Errorf("%s range %s runs backwards", f.name, rng)
			}
		default:
			v, err := value(rng, f)
			if err != nil {
				return 0, err
			}
			lo = v
			if !hasStep {
				hi = v
			} else {
				hi = f.max
			}
		}
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 || n > f.max {
				return 0, fmt.Errorf("%s step %q: use a whole number from 1 to %d", f.name, stepText, f.max)
			}
			step = n
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

func value(s string, f field) (int, error) {
	for i, n := range f.names {
		if strings.EqualFold(s, n) {
			return f.min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < f.min || v > f.max {
		return 0, fmt.Errorf("%s %q: use %d to %d%s", f.name, s, f.min, f.max, nameHint(f))
	}
	return v, nil
}

func nameHint(f field) string {
	if f.names == nil {
		return ""
	}
	return " or a name such as " + strings.ToUpper(f.names[0][:1]) + f.names[0][1:]
}

// possible reports whether some month has one of the days of month, when
// the day of month alone decides.
func (e *Expr) possible() bool {
	if !e.dowStar {
		return true
	}
	days := [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for m := 1; m <= 12; m++ {
		if e.month&(1<<m) == 0 {
			continue
		}
		for d := 1; d <= days[m]; d++ {
			if e.dom&(1<<d) != 0 {
				return true
			}
		}
	}
	return false
}

func (e *Expr) dayMatches(c time.Time) bool {
	dom := e.dom&(1<<c.Day()) != 0
	dow := e.dow&(1<<int(c.Weekday())) != 0
	// As in Vixie cron: when both fields are restricted, either matches.
	switch {
	case e.domStar && e.dowStar:
		return true
	case e.domStar:
		return dow
	case e.dowStar:
		return dom
	}
	return dom || dow
}

// nextCivil returns the first wall-clock minute after c (a wall-clock time
// held in UTC) that the expression matches.
func (e *Expr) nextCivil(c time.Time) (time.Time, bool) {
	c = c.Truncate(time.Minute).Add(time.Minute)
	limit := c.AddDate(5, 0, 0) // past any leap-day pattern
	for c.Before(limit) {
		switch {
		case e.month&(1<<int(c.Month())) == 0:
			c = time.Date(c.Year(), c.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !e.dayMatches(c):
			c = time.Date(c.Year(), c.Month(), c.Day()+1, 0, 0, 0, 0, time.UTC)
		case e.hour&(1<<c.Hour()) == 0:
			c = c.Truncate(time.Hour).Add(time.Hour)
		case e.minute&(1<<c.Minute()) == 0:
			c = c.Add(time.Minute)
		default:
			return c, true
		}
	}
	return time.Time{}, false
}

// Next implements Spec.
func (e *Expr) Next(t time.Time) (Slot, bool) {
	c := civil(t.In(e.loc))
	for {
		var ok bool
		if c, ok = e.nextCivil(c); !ok {
			return Slot{}, false
		}
		at := Instant(c, e.loc)
		// Wall-clock times in a repeated hour map to its first pass, which
		// may lie before t when t is in the second pass.
		if at.After(t) {
			return Slot{Time: at.UTC(), Local: c.Format("2006-01-02T15:04")}, true
		}
	}
}

// civil returns t's wall-clock fields as a UTC time.
func civil(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// Instant maps the wall-clock time c (fields held in UTC) in loc to an
// instant: the first occurrence of a repeated time, the end of the gap for
// a skipped one.
func Instant(c time.Time, loc *time.Location) time.Time {
	_, before := c.Add(-36 * time.Hour).In(loc).Zone()
	_, after := c.Add(36 * time.Hour).In(loc).Zone()
	var valid []time.Time
	for _, off := range []int{before, after} {
		at := c.Add(-time.Duration(off) * time.Second)
		if civil(at.In(loc)).Equal(c) {
			valid = append(valid, at)
		}
	}
	switch {
	case len(valid) == 2 && valid[1].Before(valid[0]):
		return valid[1]
	case len(valid) > 0:
		return valid[0]
	}
	// A gap: find the instant the offset changes to after, between the
	// readings of c at either offset.
	lo := c.Add(-time.Duration(after) * time.Second)
	hi := c.Add(-time.Duration(before) * time.Second)
	if hi.Before(lo) {
		lo, hi = hi, lo
	}
	for hi.Sub(lo) > time.Second {
		mid := lo.Add(hi.Sub(lo) / 2).Truncate(time.Second)
		if _, off := mid.In(loc).Zone(); off == after {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// Every is a fixed interval counted from Anchor.
type Every struct {
	Interval time.Duration
	Anchor   time.Time
	Loc      *time.Location
}

// Next implements Spec.
func (e Every) Next(t time.Time) (Slot, bool) {
	at := e.Anchor
	if !t.Before(at) {
		n := t.Sub(at)/e.Interval + 1
		at = at.Add(n * e.Interval)
	}
	loc := e.Loc
	if loc == nil {
		loc = time.UTC
	}
	layout := "2006-01-02T15:04"
	if e.Interval%time.Minute != 0 || at.Second() != 0 {
		layout = "2006-01-02T15:04:05"
	}
	return Slot{Time: at.UTC(), Local: at.In(loc).Format(layout)}, true
}

// MinInterval is the shortest interval Every accepts.
const MinInterval = time.Second

// ParseEvery reads an interval such as 15m, 1h or 24h.
func ParseEvery(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("interval %q: use a duration such as 30s, 15m or 24h", s)
	}
	if d < MinInterval || d%time.Second != 0 {
		return 0, fmt.Errorf("interval %q: use whole seconds, at least 1s", s)
	}
	return d, nil
}
