package recipe

import (
	"testing"
	"time"
)

func TestNominalTime(t *testing.T) {
	c := NewConfig("in.csv")
	if !c.NominalTime().IsZero() {
		t.Errorf("unscheduled config has nominal time %s", c.NominalTime())
	}
	slot := time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC)
	d := c.WithNominalTime(slot).With("k", 1)
	if !d.NominalTime().Equal(slot) || !c.NominalTime().IsZero() || d.Input() != "in.csv" {
		t.Errorf("WithNominalTime: got %s (original %s)", d.NominalTime(), c.NominalTime())
	}
}
