package scheduler

import (
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
)

func TestDecide(t *testing.T) {
	tm := func(id int64, v int, snap string, m map[string]float64) *server.TrainedModel {
		return &server.TrainedModel{ID: id, Model: "m", Version: v, DatasetSnapshot: snap, Metrics: m}
	}
	cur := tm(1, 1, "d@1", map[string]float64{"auc": 0.8, "logloss": 0.40})
	tests := []struct {
		rule      server.Promotion
		candidate *server.TrainedModel
		current   *server.TrainedModel
		promoted  bool
		reason    string
	}{
		{server.Promotion{Alias: "production", Metric: "auc", Tolerance: 0.002}, tm(2, 2, "d@1", map[string]float64{"auc": 0.7985}), cur, true, "auc 0.7985 >= 0.798, m@1's 0.8 - 0.002"},
		{server.Promotion{Alias: "production", Metric: "auc", Tolerance: 0.002}, tm(2, 2, "d@2", map[string]float64{"auc": 0.79}), cur, false, "different snapshots (d@2 and d@1)"},
		{server.Promotion{Alias: "production", Metric: "logloss", Tolerance: 0.01, LowerIsBetter: true}, tm(2, 2, "d@1", map[string]float64{"logloss": 0.405}), cur, true, "logloss 0.405 <= 0.41"},
		{server.Promotion{Alias: "production", Metric: "logloss", LowerIsBetter: true}, tm(2, 2, "d@1", map[string]float64{"logloss": 0.5}), cur, false, "not promoted"},
		{server.Promotion{Alias: "production", Metric: "f1"}, tm(2, 2, "d@1", map[string]float64{"auc": 0.9}), cur, false, "reported no metric f1"},
		{server.Promotion{Alias: "production", Metric: "auc"}, tm(2, 2, "d@1", map[string]float64{"auc": 0.1}), nil, true, "pointed at no version"},
	}
	for i, tt := range tests {
		d := Decide(&tt.rule, tt.candidate, tt.current)
		if d.Promoted != tt.promoted || !strings.Contains(d.Reason, tt.reason) || d.Candidate != "m@2" {
			t.Errorf("case %d: %+v; want promoted=%v and a reason containing %q", i, d, tt.promoted, tt.reason)
		}
	}
}
