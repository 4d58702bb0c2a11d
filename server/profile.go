package server

import (
	"context"
	"math"
	"regexp"
	"time"
)

// A profile set is a named collection of profiles ("customers"), each
// keyed by an identity within the set (a customer id). Scoring runs that
// target the set write one attribute group per model into each scored
// profile: the latest scores, predicted class and where they came from.
// Writes are upserts by identity; every change of a profile's attributes
// is kept in its history, within the store's ProfileRetention.

// ProfileTarget is where a scoring run writes its scores: profile set
// Name, keyed by the scoring output's column ID.
type ProfileTarget struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// ProfileSet is a named set of profiles.
type ProfileSet struct {
	Name string `json:"name"`
	// Profiles counts the identities in the set.
	Profiles int `json:"profiles"`
	// Models are the models whose scores the set holds.
	Models    []string  `json:"models"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Profile is one identity's profile: its attributes per model.
type Profile struct {
	// Name is the profile set (the identity's namespace), ID the identity.
	Name string `json:"name"`
	ID   string `json:"id"`
	// Attributes hold the latest scoring output of each model that scored
	// this identity, ordered by model name.
	Attributes []ProfileAttributes `json:"attributes"`
}

// ProfileAttributes are what one model's scoring run wrote into a profile.
type ProfileAttributes struct {
	Model string `json:"model"`
	// Scores are the numeric columns of the scoring output, by name (such
	// as churn_probability).
	Scores map[string]float64 `json:"scores"`
	// Class is the predicted class: the scoring output's first text
	// column besides the identity, "" when it has none.
	Class string `json:"class,omitempty"`
	// Drivers are the top drivers of the scores, most influential first,
	// as the scoring output's explanation columns (driver_N,
	// driver_N_value, driver_N_contribution) give them; none when it has
	// no such columns.
	Drivers []Driver `json:"drivers,omitempty"`
	// TrainedModel is the trained version that scored ("churn@3").
	TrainedModel string `json:"trained_model"`
	RunID        int64  `json:"run_id"`
	// Schedule and NominalTime name the schedule slot of a scheduled run.
	Schedule    string     `json:"schedule,omitempty"`
	NominalTime *time.Time `json:"nominal_time,omitempty"`
	// ScoredAt is when these values were written: a later run that
	// computes the same values changes nothing, its time included.
	ScoredAt time.Time `json:"scored_at"`
}

// Driver is one input column's part in a score: the column, the
// identity's value of it (as text) and its contribution to the model's
// raw score (log-odds for a binary classifier).
type Driver struct {
	Feature      string  `json:"feature"`
	Value        string  `json:"value"`
	Contribution float64 `json:"contribution"`
}

// Limits of the drivers a profile keeps per model.
const (
	// MaxProfileDrivers bounds the drivers of one score row.
	MaxProfileDrivers = 20
	// MaxDriverText bounds a driver's feature name and value, in bytes.
	MaxDriverText = 200
)

// CheckDrivers refuses drivers a profile cannot keep: too many, without a
// feature name, with text over MaxDriverText or a contribution that is not
// a finite number.
func CheckDrivers(ds []Driver) error {
	if len(ds) > MaxProfileDrivers {
		return Errorf(EINVALID, "%d drivers for one score: profiles keep at most %d; write fewer (the recipe's drivers parameter)", len(ds), MaxProfileDrivers)
	}
	for i, d := range ds {
		switch {
		case d.Feature == "":
			return Errorf(EINVALID, "driver %d names no input column", i+1)
		case len(d.Feature) > MaxDriverText || len(d.Value) > MaxDriverText:
			return Errorf(EINVALID, "driver %d (%.40s) is longer than %d bytes", i+1, d.Feature, MaxDriverText)
		case math.IsNaN(d.Contribution) || math.IsInf(d.Contribution, 0):
			return Errorf(EINVALID, "driver %d (%s) has contribution %v: give a finite number", i+1, d.Feature, d.Contribution)
		}
	}
	return nil
}

// ProfileChange is one change of a profile's attributes: the values a
// run wrote and when.
type ProfileChange struct {
	Seq int64 `json:"seq"`
	ProfileAttributes
}

// ProfileRetention bounds the history kept per profile and model.
type ProfileRetention struct {
	// MaxChanges keeps that many newest changes per profile and model
	// (0: DefaultProfileHistory).
	MaxChanges int
	// MaxAge drops changes older than this (0: kept whatever their age),
	// except each profile's newest change per model.
	MaxAge time.Duration
}

// DefaultProfileHistory is how many changes a profile keeps per model
// unless the server is told otherwise.
const DefaultProfileHistory = 20

// ProfileWrite is a scoring run's output, to be upserted into a profile
// set by identity.
type ProfileWrite struct {
	Set          string
	Model        string
	TrainedModel string
	RunID        int64
	Schedule     string
	NominalTime  *time.Time
	ScoredAt     time.Time
	// ScoreNames name the values of each row's Scores, in order.
	ScoreNames []string
	Rows       []ProfileRow
}

// ProfileRow is one identity's scores in a ProfileWrite.
type ProfileRow struct {
	ID      string
	Scores  []float64
	Class   string
	Drivers []Driver
}

// ProfileWriteResult counts what an upsert did.
type ProfileWriteResult struct {
	// Changed rows wrote new attribute values (and a history entry);
	// Unchanged rows held what the profile already had, or came from an
	// earlier run than the one it had.
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	// Created counts identities new to the set.
	Created int `json:"created"`
}

// ProfileFilter selects profiles of a set. With Score set, only profiles
// whose Model attributes hold that score within [Min, Max] (either bound
// may be nil) are listed, ordered by the score, highest first; otherwise
// profiles are ordered by id.
type ProfileFilter struct {
	Set   string
	Model string
	Score string
	Min   *float64
	Max   *float64
	// After lists only ids greater than it, for reading a whole set page
	// by page without offsets (ordered by id; not with Score).
	After string
	Page
}

// ProfileService reads profiles. Profiles are written by scoring runs
// (RunQueue.FinishRun with RunResult.Profile).
type ProfileService interface {
	FindProfileSets(ctx context.Context, p Page) ([]*ProfileSet, int, error)
	// FindProfile returns one identity's profile. ENOTFOUND for an
	// unknown set or identity.
	FindProfile(ctx context.Context, set, id string) (*Profile, error)
	// FindProfiles lists a set's profiles. EINVALID for a score filter
	// without a model, or bad names; ENOTFOUND for an unknown set.
	FindProfiles(ctx context.Context, f ProfileFilter) ([]*Profile, int, error)
	// ProfileHistory lists an identity's attribute changes, newest first.
	ProfileHistory(ctx context.Context, set, id string, p Page) ([]*ProfileChange, int, error)
}

// MaxProfileIDLength bounds identities.
const MaxProfileIDLength = 200

var scoreNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,99}$`)

// CheckScoreName refuses score names that cannot be filtered on.
func CheckScoreName(name string) error {
	if !scoreNameRE.MatchString(name) {
		return Errorf(EINVALID, "score name %q is invalid: use 1 to 100 letters, digits, '_', '.' or '-', starting with a letter or '_'", name)
	}
	return nil
}

// CheckProfileID refuses identities that are empty, too long or hold
// control characters or slashes.
func CheckProfileID(id string) error {
	if id == "" || len(id) > MaxProfileIDLength {
		return Errorf(EINVALID, "profile id %q is invalid: use 1 to %d characters", id, MaxProfileIDLength)
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f || r == '/' {
			return Errorf(EINVALID, "profile id %q is invalid: it holds a control character or '/'", id)
		}
	}
	return nil
}
