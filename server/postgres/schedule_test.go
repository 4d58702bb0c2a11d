package postgres_test

import (
	"path/filepath"
	"testing"

	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/postgres"
	"github.com/galley-dev/galley/server/postgres/pgtest"
	"github.com/galley-dev/galley/server/storetest"
)

func TestScheduleConformance(t *testing.T) {
	storetest.ExerciseSchedules(t, func(t *testing.T, clock *storetest.Clock) storetest.ScheduleStore {
		ds, err := datasets.Open(filepath.Join(t.TempDir(), "datasets"))
		if err != nil {
			t.Fatal(err)
		}
		db, err := postgres.Open(pgtest.NewDatabase(t), ds)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.Now = clock.Now
		return newStore(db, ds)
	})
}
