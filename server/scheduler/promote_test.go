package scheduler

import (
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/recipe"
)

func TestDecide(t *testing.T) {
	tm := func(id int64, v int) *server.TrainedModel {
		return &server.TrainedModel{ID: id, Model: "m", Version: v}
	}
	run := func(metrics, baseline recipe.Metrics, on, berr string) *server.Run {
		return &server.Run{ID: 9, InputSnapshot: "d@2", Metrics: metrics, Baseline: on, BaselineMetrics: baseline, BaselineError: berr}
	}
	cur, cand := tm(1, 1), tm(2, 2)
	auc := server.Promotion{Alias: "production", Metric: "auc", Tolerance: 0.002}
	tests := []struct {
		rule     server.Promotion
		run      *server.Run
		current  *server.TrainedModel
		promoted bool
		reason   string
		currentV float64 // 0: no current value recorded
	}{
		{auc, run(recipe.Metrics{"auc": 0.7985}, recipe.Metrics{"auc": 0.8}, "m@1", ""), cur, true, "auc 0.7985 >= 0.798, m@1's 0.8 - 0.002, both on the evaluation split of run 9 (d@2)", 0.8},
		{auc, run(recipe.Metrics{"auc": 0.79}, recipe.Metrics{"auc": 0.8}, "m@1", ""), cur, false, "not promoted: auc 0.79 >= 0.798", 0.8},
		{server.Promotion{Alias: "production", Metric: "logloss", Tolerance: 0.01, LowerIsBetter: true}, run(recipe.Metrics{"logloss": 0.405}, recipe.Metrics{"logloss": 0.4}, "m@1", ""), cur, true, "logloss 0.405 <= 0.41", 0.4},
		{server.Promotion{Alias: "production", Metric: "logloss", LowerIsBetter: true}, run(recipe.Metrics{"logloss": 0.5}, recipe.Metrics{"logloss": 0.4}, "m@1", ""), cur, false, "not promoted", 0.4},
		{server.Promotion{Alias: "production", Metric: "f1"}, run(recipe.Metrics{"auc": 0.9}, recipe.Metrics{"auc": 0.8}, "m@1", ""), cur, false, "reported no metric f1", 0},
		{auc, run(recipe.Metrics{"auc": 0.1}, nil, "", ""), nil, true, "pointed at no version", 0},
		// The alias moved while the run trained: its baseline is not what
		// the alias points at now.
		{auc, run(recipe.Metrics{"auc": 0.9}, recipe.Metrics{"auc": 0.8}, "m@3", ""), cur, false, "pointed at m@3 when run 9 started and points at m@1 now", 0},
		{auc, run(recipe.Metrics{"auc": 0.9}, nil, "", ""), cur, false, "pointed at no version when run 9 started", 0},
		{auc, run(recipe.Metrics{"auc": 0.9}, nil, "m@1", "loading the model: boom"), cur, false, "m@1 could not be evaluated on run 9's split: loading the model: boom", 0},
		{auc, run(recipe.Metrics{"auc": 0.9}, recipe.Metrics{"accuracy": 0.8}, "m@1", ""), cur, false, "reported no metric auc on run 9's split", 0},
	}
	for i, tt := range tests {
		d := Decide(&tt.rule, tt.run, cand, tt.current)
		if d.Promoted != tt.promoted || !strings.Contains(d.Reason, tt.reason) || d.Candidate != "m@2" {
			t.Errorf("case %d: %+v; want promoted=%v and a reason containing %q", i, d, tt.promoted, tt.reason)
		}
		if got := d.CurrentValue; tt.currentV != 0 && (got == nil || *got != tt.currentV) || tt.currentV == 0 && got != nil {
			t.Errorf("case %d: current value %v; want %v", i, got, tt.currentV)
		}
	}
}
