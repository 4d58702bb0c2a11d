package sqlite_test

import (
	"testing"

	"github.com/galley-dev/galley/server/sqlite/sqlitetest"
	"github.com/galley-dev/galley/server/storetest"
)

func TestScheduleConformance(t *testing.T) {
	storetest.ExerciseSchedules(t, func(t *testing.T, clock *storetest.Clock) storetest.ScheduleStore {
		db, ds := sqlitetest.Open(t)
		db.Now = clock.Now
		return struct {
			store
			storetest.Converter
		}{store{db, ds}, storetest.Converter{Store: db}}
	})
}
