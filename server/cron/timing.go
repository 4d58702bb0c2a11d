package cron

import (
	"hash/fnv"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
)

// MaxJitter bounds a schedule's jitter.
const MaxJitter = time.Hour

// For returns the timetable of t, with intervals counted from anchor when t
// has no StartTime. Errors are server.EINVALID and name the field.
func For(t server.Timing, anchor time.Time) (Spec, error) {
	loc, err := Zone(t.TimeZone)
	if err != nil {
		return nil, err
	}
	if t.StartTime != nil && t.EndTime != nil && !t.EndTime.After(*t.StartTime) {
		return nil, server.Errorf(server.EINVALID, "end time %s is not after start time %s: give an end after the start",
			t.EndTime.Format(time.RFC3339), t.StartTime.Format(time.RFC3339))
	}
	if t.MaxRuns < 0 {
		return nil, server.Errorf(server.EINVALID, "max runs %d is negative: use 0 for no limit", t.MaxRuns)
	}
	if _, err := ParseJitter(t.Jitter); err != nil {
		return nil, err
	}
	switch {
	case t.Cron != "" && t.Every != "":
		return nil, server.Errorf(server.EINVALID, "give either a cron expression or an interval, not both")
	case t.Cron != "":
		e, err := Parse(t.Cron, loc)
		if err != nil {
			return nil, server.Errorf(server.EINVALID, "%v", err)
		}
		return e, nil
	case t.Every != "":
		d, err := ParseEvery(t.Every)
		if err != nil {
			return nil, server.Errorf(server.EINVALID, "%v", err)
		}
		if t.StartTime != nil {
			anchor = *t.StartTime
		}
		return Every{Interval: d, Anchor: anchor.UTC().Truncate(time.Second), Loc: loc}, nil
	}
	if t.OnNewData {
		return Never{}, nil
	}
	return nil, server.Errorf(server.EINVALID, "no timing given: set a cron expression (such as \"0 2 * * *\" or @daily), an interval (such as 15m) or on_new_data")
}

// Never is the timetable of schedules that fire only on new data.
type Never struct{}

// Next implements Spec.
func (Never) Next(time.Time) (Slot, bool) { return Slot{}, false }

// Zone loads an IANA zone name; "" is UTC.
func Zone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	// LoadLocation also reads "Local" and paths; a schedule must mean the
	// same on every server, so only IANA names are accepted.
	if name == "Local" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return nil, server.Errorf(server.EINVALID, "time zone %q: use an IANA zone name such as Europe/Berlin or UTC", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, server.Errorf(server.EINVALID, "time zone %q is unknown: use an IANA zone name such as Europe/Berlin or UTC", name)
	}
	return loc, nil
}

// ParseJitter reads a jitter ("" is none).
func ParseJitter(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > MaxJitter {
		return 0, server.Errorf(server.EINVALID, "jitter %q: use a duration from 0s to %s, such as 30s", s, MaxJitter)
	}
	return d, nil
}

// Delay is the jitter of the slot at t of schedule id: below jitter, and
// the same in every process, so that all agree when the slot is due.
func Delay(id int64, t time.Time, jitter time.Duration) time.Duration {
	if jitter <= 0 {
		return 0
	}
	h := fnv.New64a()
	var b [16]byte
	for i := range 8 {
		b[i] = byte(id >> (8 * i))
		b[8+i] = byte(t.UnixNano() >> (8 * i))
	}
	h.Write(b[:])
	return time.Duration(h.Sum64() % uint64(jitter))
}

// First returns the first slot at or after from that is before the end of
// t; false when there is none.
func First(spec Spec, t server.Timing, from time.Time) (Slot, bool) {
	if t.StartTime != nil && t.StartTime.After(from) {
		from = *t.StartTime
	}
	s, ok := spec.Next(from.Add(-time.Nanosecond))
	if !ok || t.EndTime != nil && !s.Time.Before(*t.EndTime) {
		return Slot{}, false
	}
	return s, true
}
