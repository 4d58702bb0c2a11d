package cron

import (
	"strings"
	"testing"
	"time"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// The instants below were worked out by hand from the 2026 transitions:
// New York springs forward on 8 March at 02:00 EST (07:00Z) and falls back
// on 1 November at 02:00 EDT (06:00Z); Berlin springs forward on 29 March
// at 02:00 CET (01:00Z) and falls back on 25 October at 03:00 CEST (01:00Z).
func TestNextHandVerified(t *testing.T) {
	tests := []struct {
		expr, zone, after string
		want              []string // successive slots: instant and nominal local time
	}{
		// A skipped local time fires once, at the end of the gap.
		{"30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", []string{
			"2026-03-08T07:00:00Z 2026-03-08T02:30", "2026-03-09T06:30:00Z 2026-03-09T02:30"}},
		// Every slot in the gap lands on 03:00 EDT and fires once.
		{"*/30 * * * *", "America/New_York", "2026-03-08T06:45:00Z", []string{
			"2026-03-08T07:00:00Z 2026-03-08T02:00", "2026-03-08T07:30:00Z 2026-03-08T03:30"}},
		// A repeated local time fires once, at its first pass (EDT).
		{"30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", []string{
			"2026-11-01T05:30:00Z 2026-11-01T01:30", "2026-11-02T06:30:00Z 2026-11-02T01:30"}},
		{"0 * * * *", "America/New_York", "2026-11-01T04:30:00Z", []string{
			"2026-11-01T05:00:00Z 2026-11-01T01:00", "2026-11-01T07:00:00Z 2026-11-01T02:00", "2026-11-01T08:00:00Z 2026-11-01T03:00"}},
		{"30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", []string{
			"2026-03-29T01:00:00Z 2026-03-29T02:30", "2026-03-30T00:30:00Z 2026-03-30T02:30"}},
		{"30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", []string{
			"2026-10-25T00:30:00Z 2026-10-25T02:30", "2026-10-26T01:30:00Z 2026-10-26T02:30"}},
		{"0 * * * *", "Europe/Berlin", "2026-10-24T23:30:00Z", []string{
			"2026-10-25T00:00:00Z 2026-10-25T02:00", "2026-10-25T02:00:00Z 2026-10-25T03:00"}},
		// Started inside the second pass of the repeated hour: nothing more
		// in that hour.
		{"*/20 * * * *", "Europe/Berlin", "2026-10-25T01:10:00Z", []string{"2026-10-25T02:00:00Z 2026-10-25T03:00"}},
		{"0 9 * * 1-5", "Europe/Berlin", "2026-12-04T12:00:00Z", []string{"2026-12-07T08:00:00Z 2026-12-07T09:00"}},
		{"@monthly", "", "2026-01-31T00:00:01Z", []string{"2026-02-01T00:00:00Z 2026-02-01T00:00"}},
		{"@daily", "", "2026-06-01T00:00:00Z", []string{"2026-06-02T00:00:00Z 2026-06-02T00:00"}},
		{"0 0 29 2 *", "", "2026-03-01T00:00:00Z", []string{"2028-02-29T00:00:00Z 2028-02-29T00:00"}},
		// Day of month and day of week both restricted: either matches.
		{"0 0 13 * FRI", "", "2026-11-01T00:00:00Z", []string{
			"2026-11-06T00:00:00Z 2026-11-06T00:00", "2026-11-13T00:00:00Z 2026-11-13T00:00", "2026-11-20T00:00:00Z 2026-11-20T00:00"}},
		{"15,45 8-9 * jan-feb 7", "", "2026-01-01T00:00:00Z", []string{
			"2026-01-04T08:15:00Z 2026-01-04T08:15", "2026-01-04T08:45:00Z 2026-01-04T08:45", "2026-01-04T09:15:00Z 2026-01-04T09:15"}},
	}
	for _, tt := range tests {
		var loc *time.Location
		if tt.zone != "" {
			loc = zone(t, tt.zone)
		}
		e, err := Parse(tt.expr, loc)
		if err != nil {
			t.Fatalf("%s: %v", tt.expr, err)
		}
		at := utc(tt.after)
		for i, w := range tt.want {
			s, ok := e.Next(at)
			if !ok {
				t.Fatalf("%s in %s after %s: no slot", tt.expr, tt.zone, at)
			}
			if got := s.Time.Format(time.RFC3339) + " " + s.Local; got != w {
				t.Errorf("%s in %s, slot %d after %s: got %s, want %s", tt.expr, tt.zone, i, tt.after, got, w)
			}
			at = s.Time
		}
	}
}

func TestParseErrors(t *testing.T) {
	for expr, want := range map[string]string{
		"61 * * * *":    "minute \"61\": use 0 to 59",
		"* * *":         "has 3 fields",
		"@sometimes":    "unknown macro",
		"0 0 30 2 *":    "never fires",
		"5-1 * * * *":   "runs backwards",
		"*/0 * * * *":   "step",
		"0 0 * foo *":   "month \"foo\"",
		"0 24 * * *":    "hour \"24\"",
		"0 0 0 * *":     "day of month \"0\"",
		"0 0 * * 8":     "day of week \"8\"",
		"a b c d e f g": "has 7 fields",
	} {
		_, err := Parse(expr, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", expr, err, want)
		}
	}
}

func TestEvery(t *testing.T) {
	ny := zone(t, "America/New_York")
	e := Every{Interval: time.Hour, Anchor: utc("2026-11-01T04:00:00Z"), Loc: ny}
	var got []string
	at := utc("2026-10-01T00:00:00Z") // before the anchor: the anchor is the first slot
	for range 4 {
		s, _ := e.Next(at)
		got = append(got, s.Time.Format(time.RFC3339)+" "+s.Local)
		at = s.Time
	}
	// Elapsed time, not wall-clock time: 01:00 appears twice.
	want := "2026-11-01T04:00:00Z 2026-11-01T00:00|2026-11-01T05:00:00Z 2026-11-01T01:00|2026-11-01T06:00:00Z 2026-11-01T01:00|2026-11-01T07:00:00Z 2026-11-01T02:00"
	if strings.Join(got, "|") != want {
		t.Errorf("got %v\nwant %s", got, want)
	}
	if _, err := ParseEvery("500ms"); err == nil {
		t.Error("ParseEvery(500ms) succeeded; intervals are whole seconds")
	}
	if d, err := ParseEvery("1s"); err != nil || d != time.Second {
		t.Errorf("ParseEvery(1s) = %v, %v", d, err)
	}
}

func TestDelay(t *testing.T) {
	slot := utc("2026-06-01T02:00:00Z")
	seen := map[time.Duration]bool{}
	for id := int64(1); id <= 20; id++ {
		d := Delay(id, slot, time.Minute)
		if d < 0 || d >= time.Minute || d != Delay(id, slot, time.Minute) {
			t.Fatalf("Delay(%d) = %s: want a fixed delay below a minute", id, d)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Errorf("20 schedules share %d delays: want them spread", len(seen))
	}
	if Delay(1, slot, 0) != 0 {
		t.Error("no jitter must mean no delay")
	}
}
