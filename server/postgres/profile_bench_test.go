package postgres_test

import (
	"testing"

	"github.com/galley-dev/galley/server/storetest"
)

// BenchmarkProfileUpsert: testdata/bench/suite_profiles.py runs it for
// `make bench`.
func BenchmarkProfileUpsert(b *testing.B) {
	storetest.BenchmarkProfileUpsert(b, open(b))
}
