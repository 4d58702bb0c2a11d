package storetest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
)

// ProfileWriter is the part of a store the profile benchmark drives.
type ProfileWriter interface {
	UpsertProfiles(ctx context.Context, w *server.ProfileWrite) (server.ProfileWriteResult, error)
}

// BenchmarkProfileUpsert writes GALLEY_BENCH_PROFILES profiles (default
// 1,000,000) into an empty set as one scoring run does, then again with
// new scores from a later run, each as one UpsertProfiles call, and
// reports both rates in rows per second. Each iteration uses its own set.
func BenchmarkProfileUpsert(b *testing.B, s ProfileWriter) {
	n := 1_000_000
	if v := os.Getenv("GALLEY_BENCH_PROFILES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("GALLEY_BENCH_PROFILES=%q: want a positive count", v)
		}
	}
	write := func(set string, run int64, shift float64) *server.ProfileWrite {
		w := &server.ProfileWrite{Set: set, Model: "churn", TrainedModel: fmt.Sprintf("churn@%d", run), RunID: run,
			ScoreNames: []string{"churn_probability"}, Rows: make([]server.ProfileRow, n)}
		for i := range w.Rows {
			class := "No"
			p := float64((i*7919+int(shift*1000))%10007) / 10007
			if p >= 0.5 {
				class = "Yes"
			}
			w.Rows[i] = server.ProfileRow{ID: fmt.Sprintf("%04d-%07d", i%9973, i), Scores: []float64{p}, Class: class}
		}
		return w
	}
	var insert, update time.Duration
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		set := fmt.Sprintf("bench%d", it)
		first, second := write(set, 1, 0), write(set, 2, 0.5)
		b.StartTimer()
		start := time.Now()
		res, err := s.UpsertProfiles(ctx, first)
		if err != nil {
			b.Fatal(err)
		}
		insert += time.Since(start)
		if res.Created != n || res.Changed != n {
			b.Fatalf("first write = %+v, want %d profiles created", res, n)
		}
		start = time.Now()
		if res, err = s.UpsertProfiles(ctx, second); err != nil {
			b.Fatal(err)
		}
		update += time.Since(start)
		if res.Changed != n || res.Created != 0 {
			b.Fatalf("second write = %+v, want %d profiles changed", res, n)
		}
	}
	b.ReportMetric(float64(n*b.N)/insert.Seconds(), "insert-rows/s")
	b.ReportMetric(float64(n*b.N)/update.Seconds(), "update-rows/s")
	b.ReportMetric(float64(n), "profiles")
}
