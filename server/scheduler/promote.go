package scheduler

import (
	"context"
	"fmt"

	"github.com/galley-dev/galley/server"
)

// Decide applies rule to the version training run run produced
// (candidate), given the version the rule's alias points at now (current,
// nil when none).
//
// Both values come from the same evaluation split: the run's own metrics
// for the candidate, and for the current version the run's re-evaluation
// of its Baseline (the version the alias pointed at when the slot fired)
// on that split. When the alias has moved since, or the baseline could not
// be evaluated, nothing comparable exists and the candidate is not
// promoted; the reason says why.
func Decide(rule *server.Promotion, run *server.Run, candidate, current *server.TrainedModel) *server.PromotionDecision {
	d := &server.PromotionDecision{Alias: rule.Alias, Metric: rule.Metric, Candidate: candidate.Ref()}
	cv, ok := run.Metrics[rule.Metric]
	if !ok {
		d.Reason = fmt.Sprintf("not promoted: %s reported no metric %s", d.Candidate, rule.Metric)
		return d
	}
	d.CandidateValue = &cv
	if current == nil {
		d.Promoted = true
		d.Reason = fmt.Sprintf("promoted: %s pointed at no version yet", rule.Alias)
		return d
	}
	d.Current = current.Ref()
	if current.ID == candidate.ID {
		d.Reason = fmt.Sprintf("%s already points at %s", rule.Alias, d.Candidate)
		return d
	}
	if run.Baseline != d.Current {
		was := "pointed at no version"
		if run.Baseline != "" {
			was = "pointed at " + run.Baseline
		}
		d.Reason = fmt.Sprintf("not promoted: %s %s when run %d started and points at %s now, which the run did not evaluate on its split; train again to compare with it",
			rule.Alias, was, run.ID, d.Current)
		return d
	}
	if run.BaselineError != "" {
		d.Reason = fmt.Sprintf("not promoted: %s could not be evaluated on run %d's split: %s", d.Current, run.ID, run.BaselineError)
		return d
	}
	old, ok := run.BaselineMetrics[rule.Metric]
	if !ok {
		d.Reason = fmt.Sprintf("not promoted: the current %s (%s) reported no metric %s on run %d's split", rule.Alias, d.Current, rule.Metric, run.ID)
		return d
	}
	d.CurrentValue = &old
	bound, cmp := old-rule.Tolerance, ">="
	d.Promoted = cv >= bound
	if rule.LowerIsBetter {
		bound, cmp = old+rule.Tolerance, "<="
		d.Promoted = cv <= bound
	}
	verdict := "promoted"
	if !d.Promoted {
		verdict = "not promoted"
	}
	sign := map[bool]string{false: "-", true: "+"}[rule.LowerIsBetter]
	d.Reason = fmt.Sprintf("%s: %s %.6g %s %.6g, %s's %.6g %s %g, both on the evaluation split of run %d (%s)",
		verdict, rule.Metric, cv, cmp, bound, d.Current, old, sign, rule.Tolerance, run.ID, run.InputSnapshot)
	return d
}

// promote decides the schedule's finished training runs that await a
// decision, oldest first.
func (s *Scheduler) promote(ctx context.Context, sc *server.Schedule, runs []*server.Run) error {
	for _, r := range runs {
		candidate, err := s.Store.FindTrainedModel(ctx, r.TrainedModel)
		if err != nil {
			return err
		}
		current, err := s.Store.FindTrainedModel(ctx, candidate.Model+"@"+sc.Promote.Alias)
		if server.ErrorCode(err) == server.ENOTFOUND {
			current, err = nil, nil
		}
		if err != nil {
			return err
		}
		d := Decide(sc.Promote, r, candidate, current)
		if err := s.Store.RecordPromotion(ctx, r.ID, d); err != nil && server.ErrorCode(err) != server.ECONFLICT {
			return err
		}
		s.log().Info("promotion", "schedule", sc.Name, "run", r.ID, "promoted", d.Promoted, "reason", d.Reason)
	}
	return nil
}
