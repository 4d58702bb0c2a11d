package server

import (
	"context"
	"time"
)

// Schedule fires training or scoring runs of a model on a timetable: a cron
// expression or a fixed interval, in a time zone. Every nominal fire time
// ("slot") is recorded exactly once, with the run it started or the reason
// it did not run.
type Schedule struct {
	ID   int64   `json:"id"`
	Name string  `json:"name"`
	Kind RunKind `json:"kind"`
	// Model is the model a train schedule trains, or the trained model a
	// score schedule scores with: "model", "model@N" or "model@alias",
	// resolved when each slot fires.
	Model string `json:"model"`
	// Input is a score schedule's dataset: "name" (its latest version when
	// a slot fires) or "name@N"; Output is the dataset it writes.
	Input  string `json:"input,omitempty"`
	Output string `json:"output,omitempty"`
	// Profile: a score schedule's runs upsert their scores into this
	// profile set.
	Profile *ProfileTarget `json:"profile,omitempty"`
	// Force lets Output be a dataset a model trains on.
	Force bool `json:"force,omitempty"`
	// Params override the model's values for train schedules.
	Params map[string]string `json:"params,omitempty"`
	Timing Timing            `json:"schedule"`
	// Overlap is what a slot does while an earlier run of the schedule is
	// still queued or running (one of OverlapPolicies).
	Overlap string `json:"overlap"`
	// CatchUp is what happens to slots that came due while no scheduler
	// was running (one of CatchUpPolicies); CatchUpWindow bounds how late a
	// slot may start ("" for no bound).
	CatchUp       string `json:"catch_up"`
	CatchUpWindow string `json:"catch_up_window,omitempty"`
	// PauseAfterFailures pauses the schedule after that many runs in a row
	// failed (0: never).
	PauseAfterFailures int `json:"pause_after_failures,omitempty"`
	// BackfillConcurrency is how many backfill runs may be queued or
	// running at once (default 1).
	BackfillConcurrency int `json:"backfill_concurrency,omitempty"`
	// Promote, on a train schedule, moves an alias to each new trained
	// version whose metric holds up against the alias's current version.
	Promote *Promotion    `json:"promote,omitempty"`
	State   ScheduleState `json:"state"`
	// Reason says why the schedule is paused or ended.
	Reason string `json:"reason,omitempty"`
	// NextFire is the UTC instant of the next slot, NextLocal its nominal
	// local time; nil when the schedule has ended.
	NextFire  *time.Time `json:"next_fire,omitempty"`
	NextLocal string     `json:"next_local,omitempty"`
	// LastSnapshot is the newest input snapshot version an on-new-data
	// schedule has seen.
	LastSnapshot int `json:"last_snapshot,omitempty"`
	// Fired counts the slots that started a run.
	Fired int `json:"fired"`
	// NextDue is when the next slot's run starts: NextFire plus jitter.
	NextDue *time.Time `json:"-"`
	// Version counts changes; the scheduler applies a step only to the
	// version it planned from.
	Version   int64     `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Timing is when a schedule fires: exactly one of Cron and Every.
type Timing struct {
	// Cron is five fields (minute hour day-of-month month day-of-week) or
	// one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly,
	// @annually, read in TimeZone.
	Cron string `json:"cron,omitempty"`
	// Every is a fixed interval such as 15m or 1h, counted from StartTime
	// (or the creation time).
	Every string `json:"every,omitempty"`
	// TimeZone is an IANA zone name such as Europe/Berlin; "" means UTC.
	TimeZone string `json:"time_zone,omitempty"`
	// StartTime and EndTime bound the slots (inclusive, exclusive).
	StartTime *time.Time `json:"start_time,omitempty"`
	EndTime   *time.Time `json:"end_time,omitempty"`
	// MaxRuns ends the schedule after that many slots started runs (0: no
	// limit).
	MaxRuns int `json:"max_runs,omitempty"`
	// Jitter delays each slot's run by a fixed pseudo-random amount below
	// it (such as 30s), the same in every server process.
	Jitter string `json:"jitter,omitempty"`
	// OnNewData fires a slot for every new snapshot of the input dataset
	// (a score schedule's input, a train schedule's model dataset), in
	// addition to Cron or Every, or instead of them.
	OnNewData bool `json:"on_new_data,omitempty"`
}

// Promotion is a train schedule's rule for moving an alias: the new
// version gets Alias when its Metric is at least the current version's
// minus Tolerance (at most plus Tolerance when LowerIsBetter), or when
// Alias points nowhere yet.
type Promotion struct {
	Alias         string  `json:"alias"`
	Metric        string  `json:"metric"`
	Tolerance     float64 `json:"tolerance"`
	LowerIsBetter bool    `json:"lower_is_better,omitempty"`
}

// PromotionDecision is what a promotion rule decided for a training run,
// recorded on the run with both metric values.
type PromotionDecision struct {
	Alias  string `json:"alias"`
	Metric string `json:"metric"`
	// Candidate is the run's trained version; Current the version the
	// alias pointed at ("" when none) and its metric value.
	Candidate      string   `json:"candidate"`
	CandidateValue *float64 `json:"candidate_value,omitempty"`
	Current        string   `json:"current,omitempty"`
	CurrentValue   *float64 `json:"current_value,omitempty"`
	Promoted       bool     `json:"promoted"`
	Reason         string   `json:"reason"`
}

// ScheduleState is whether a schedule fires.
type ScheduleState string

const (
	ScheduleActive ScheduleState = "active"
	SchedulePaused ScheduleState = "paused"
	// ScheduleEnded schedules passed their EndTime or MaxRuns.
	ScheduleEnded ScheduleState = "ended"
)

// Overlap policies.
const (
	OverlapSkip        = "skip"
	OverlapBufferOne   = "buffer-one"
	OverlapBufferAll   = "buffer-all"
	OverlapCancelOther = "cancel-other"
	OverlapAllow       = "allow"
)

// Catch-up policies.
const (
	CatchUpNone   = "none"
	CatchUpLatest = "latest"
	CatchUpAll    = "all"
)

// OverlapPolicies and CatchUpPolicies list the accepted values, defaults
// first.
var (
	OverlapPolicies = []string{OverlapSkip, OverlapBufferOne, OverlapBufferAll, OverlapCancelOther, OverlapAllow}
	CatchUpPolicies = []string{CatchUpLatest, CatchUpNone, CatchUpAll}
)

// SlotStatus is what became of a slot.
type SlotStatus string

const (
	// SlotFired slots started a run.
	SlotFired SlotStatus = "fired"
	// SlotPending slots wait to start a run: buffered behind a running one
	// (overlap buffer-one or buffer-all) or queued by a backfill.
	SlotPending SlotStatus = "pending"
	// SlotSkipped slots never ran; Reason says why.
	SlotSkipped SlotStatus = "skipped"
)

// Slot is one nominal fire time of a schedule. (Schedule, Time) is unique:
// no slot ever starts two runs.
type Slot struct {
	Schedule string `json:"schedule"`
	// Time is the UTC instant the slot stands for; Local is its nominal
	// wall-clock time in the schedule's zone ("2026-03-08T02:30").
	Time   time.Time  `json:"time"`
	Local  string     `json:"local"`
	Status SlotStatus `json:"status"`
	// Reason explains a skipped or pending slot, or says a run was started
	// late (catch-up) or by a backfill.
	Reason string `json:"reason,omitempty"`
	// Backfill marks slots a backfill asked for.
	Backfill bool `json:"backfill,omitempty"`
	// Snapshot is the input snapshot ("name@N") whose arrival fired an
	// on-new-data slot; Time is then when it landed.
	Snapshot string `json:"snapshot,omitempty"`
	RunID    int64  `json:"run_id,omitempty"`
	// EarlierRuns are the runs the slot started before it was re-run,
	// oldest first; RunID is always its newest.
	EarlierRuns []int64 `json:"earlier_runs,omitempty"`
	// RunState is the state of the slot's run, when it has one.
	RunState  RunState  `json:"run_state,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// ScheduleUpdate changes a schedule. Nil fields are left alone. Changing
// the timing recomputes the next slot from now: an edit never backfills.
type ScheduleUpdate struct {
	Timing             *Timing `json:"schedule,omitempty"`
	Overlap            *string `json:"overlap,omitempty"`
	CatchUp            *string `json:"catch_up,omitempty"`
	CatchUpWindow      *string `json:"catch_up_window,omitempty"`
	PauseAfterFailures *int    `json:"pause_after_failures,omitempty"`
}

// Backfill asks for the slots between From and To (inclusive) to run now.
type Backfill struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Rerun asks for one recorded slot to run again.
type Rerun struct {
	// Slot is the slot's time (its UTC instant).
	Slot time.Time `json:"slot"`
}

// BackfillResult lists what a backfill did with each slot.
type BackfillResult struct {
	// Queued slots will start runs, at most the schedule's
	// BackfillConcurrency at a time; Existing slots already had a run and
	// are left alone.
	Queued   []*Slot `json:"queued"`
	Existing []*Slot `json:"existing"`
}

// MaxBackfillSlots bounds the slots one backfill may queue.
const MaxBackfillSlots = 1000

// ScheduleFilter selects schedules, ordered by "name" (default) or
// "created_at".
type ScheduleFilter struct {
	Model string
	State ScheduleState
	Page
}

// ScheduleOrders are the fields schedule lists order by.
var ScheduleOrders = []string{"name", "created_at"}

// SlotOrders are the fields slot lists order by; the default is newest
// first ("-time").
var SlotOrders = []string{"time"}

// ScheduleService manages schedules. The scheduler (package scheduler)
// fires them.
type ScheduleService interface {
	// CreateSchedule validates s and stores it with its first slot after
	// max(now, StartTime). EINVALID for a bad cron expression, interval,
	// zone, policy, parameter or an EndTime not after StartTime;
	// ENOTFOUND for an unknown model or input dataset; EINVALID for a
	// score schedule on a model with no trained version matching Model;
	// ECONFLICT when the name is taken. Nothing is stored on error.
	CreateSchedule(ctx context.Context, s *Schedule) error
	FindSchedule(ctx context.Context, name string) (*Schedule, error)
	FindSchedules(ctx context.Context, f ScheduleFilter) ([]*Schedule, int, error)
	// UpdateSchedule applies u. Slots between the old next slot and now
	// are not run.
	UpdateSchedule(ctx context.Context, name string, u ScheduleUpdate) (*Schedule, error)
	// PauseSchedule stops a schedule from starting runs; its slots are
	// still recorded, as skipped because paused. ECONFLICT for an ended
	// schedule.
	PauseSchedule(ctx context.Context, name, reason string) (*Schedule, error)
	// ResumeSchedule starts firing again from the next slot after now:
	// slots missed while paused stay skipped.
	ResumeSchedule(ctx context.Context, name string) (*Schedule, error)
	// DeleteSchedule removes a schedule and its slots; its runs remain.
	DeleteSchedule(ctx context.Context, name string) error
	// NextSlots lists the next n slots (1 to 100) after now.
	NextSlots(ctx context.Context, name string, n int) ([]*Slot, error)
	// ScheduleSlots lists recorded slots, newest first by default.
	ScheduleSlots(ctx context.Context, name string, p Page) ([]*Slot, int, error)
	// BackfillSchedule queues the slots in [b.From, b.To] that have no run
	// yet. EINVALID when To is before From or the range holds more than
	// MaxBackfillSlots slots.
	BackfillSchedule(ctx context.Context, name string, b Backfill) (*BackfillResult, error)
	// RerunSlot queues a recorded slot to run again, as a backfill does
	// (at most BackfillConcurrency at once, waiting out a pause): the slot
	// keeps its time, so the new run has the same nominal time, and a
	// scoring run replaces the output snapshot of the slot's earlier run
	// instead of adding one. The earlier run stays in the slot's
	// EarlierRuns. ENOTFOUND when the schedule has no slot at that time;
	// ECONFLICT while the slot waits to run or its run is queued or
	// running.
	RerunSlot(ctx context.Context, name string, r Rerun) (*Slot, error)
}

// ScheduleActivity is what the scheduler reads about a schedule before it
// decides its due slots.
type ScheduleActivity struct {
	// Active are the schedule's queued or running runs started by its
	// timetable; ActiveBackfill counts those started by backfills.
	Active         []int64
	ActiveBackfill int
	// Pending are the slots waiting to start a run, oldest first.
	Pending []*Slot
	// Recent are the final states of the schedule's latest runs that
	// finished since it was created or last resumed, newest first.
	Recent []RunState
	// ResumedAt is when the schedule was last resumed: slots before it
	// came due while it was paused.
	ResumedAt *time.Time
	// Unpromoted are succeeded training runs of a schedule with a
	// promotion rule that have no decision yet.
	Unpromoted []*Run
	// NewSnapshots are the input snapshots newer than the schedule's
	// LastSnapshot, oldest first, for on-new-data schedules.
	NewSnapshots []*DatasetVersion
}

// SlotChange records a slot: a new one, or a pending one that now fires or
// is skipped. Run, when set, is created for it in the same transaction.
type SlotChange struct {
	Slot *Slot
	New  bool
	Run  *Run
}

// Advance is one step of the scheduler on a schedule, applied in one
// transaction only if the schedule's Version is still the one the step was
// planned from; otherwise the store returns ECONFLICT and changes nothing.
type Advance struct {
	ScheduleID int64
	Version    int64
	// NextFire, NextLocal and NextDue are the new next slot and when it
	// comes due (its time plus jitter); NextFire nil ends the schedule.
	NextFire  *time.Time
	NextLocal string
	NextDue   *time.Time
	Changes   []SlotChange
	// Cancel lists runs to cancel (overlap cancel-other).
	Cancel []int64
	// LastSnapshot is the schedule's LastSnapshot after the step.
	LastSnapshot int
	// State and Reason are the schedule's state after the step.
	State  ScheduleState
	Reason string
}

// ScheduleQueue is the scheduler's side of schedules. Stores implement it
// alongside ScheduleService.
type ScheduleQueue interface {
	// DueSchedules lists schedules with a slot due at now or a pending
	// slot.
	DueSchedules(ctx context.Context, now time.Time) ([]*Schedule, error)
	ScheduleActivity(ctx context.Context, s *Schedule) (*ScheduleActivity, error)
	// PrepareRun resolves a schedule's model, trained model and input as
	// they are now into a run to create; it stores nothing. A non-empty
	// snapshot ("name@N") is the input version to read instead.
	PrepareRun(ctx context.Context, s *Schedule, snapshot string) (*Run, error)
	// AdvanceSchedule applies a step; see Advance.
	AdvanceSchedule(ctx context.Context, a *Advance) error
	// FindTrainedModel resolves a trained model, for promotion decisions.
	FindTrainedModel(ctx context.Context, ref string) (*TrainedModel, error)
	// RecordPromotion records d on training run id and, when d.Promoted,
	// points d.Alias at d.Candidate, in one transaction. ECONFLICT when the
	// run has a decision already.
	RecordPromotion(ctx context.Context, id int64, d *PromotionDecision) error
}
