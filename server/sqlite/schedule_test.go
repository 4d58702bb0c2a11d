package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/storetest"
)

func TestScheduleConformance(t *testing.T) {
	storetest.ExerciseSchedules(t, func(t *testing.T, clock *storetest.Clock) storetest.ScheduleStore {
		dir := t.TempDir()
		ds, err := datasets.Open(filepath.Join(dir, "datasets"))
		if err != nil {
			t.Fatal(err)
		}
		db, err := sqlite.Open(filepath.Join(dir, "galley.db"), ds)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.Now = clock.Now
		return struct {
			store
			storetest.Converter
		}{store{db, ds}, storetest.Converter{Store: db}}
	})
}
