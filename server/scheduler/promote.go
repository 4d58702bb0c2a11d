package scheduler

import (
	"context"
	"fmt"

	"github.com/galley-dev/galley/server"
)

// Decide applies rule to a new trained version, given the version the
// rule's alias points at (nil when none).
//
// Both values are the metrics each version's training run recorded on its
// own evaluation split; Reason says when the two versions were trained on
// different dataset snapshots, whose splits differ.
func Decide(rule *server.Promotion, candidate, current *server.TrainedModel) *server.PromotionDecision {
	d := &server.PromotionDecision{Alias: rule.Alias, Metric: rule.Metric, Candidate: candidate.Ref()}
	cv, ok := candidate.Metrics[rule.Metric]
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
	old, ok := current.Metrics[rule.Metric]
	if !ok {
		d.Reason = fmt.Sprintf("not promoted: the current %s (%s) has no metric %s to compare with", rule.Alias, d.Current, rule.Metric)
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
	d.Reason = fmt.Sprintf("%s: %s %g %s %g, %s's %g %s %g", verdict, rule.Metric, cv, cmp, bound, d.Current, old, sign, rule.Tolerance)
	if candidate.DatasetSnapshot != current.DatasetSnapshot {
		d.Reason += fmt.Sprintf("; evaluated on different snapshots (%s and %s)", candidate.DatasetSnapshot, current.DatasetSnapshot)
	}
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
		d := Decide(sc.Promote, candidate, current)
		if err := s.Store.RecordPromotion(ctx, r.ID, d); err != nil && server.ErrorCode(err) != server.ECONFLICT {
			return err
		}
		s.log().Info("promotion", "schedule", sc.Name, "run", r.ID, "promoted", d.Promoted, "reason", d.Reason)
	}
	return nil
}
