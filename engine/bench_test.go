package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/galley-dev/galley/stdlib/display"
)

// The benchmarks here compare a cell with the same work compiled into Go.
// testdata/bench/suite_cells.py runs them for docs/benchmarks.md.
//
// NativeCall is one call to a CPU-bound standard library function, SHA-256
// over a buffer sized so that the call takes about 100 ms: the cell side
// measures what the interpreter and the cell machinery add around native
// code. CellCost is the same call on a few bytes, which leaves the fixed cost
// of running a cell. Loop is a loop the interpreter itself runs.
//
// Each iteration times the cell and the compiled code once each, in
// alternating order, so that both sides of a pair share the machine's
// conditions; the benchmarks report the medians of both sides and of the
// pairs' ratios.

const (
	// hashBytes is hashed by one sha256.Sum256 call.
	hashBytes = 112 << 20
	// loopN is how many integers the loop benchmarks sum.
	loopN = 10_000_000
)

var (
	sinkSum [32]byte
	sinkInt int
	// loopLimit keeps the compiled loop's bound out of constant folding.
	loopLimit = loopN
)

// benchEngine starts an engine whose output is discarded and runs the
// setup cells on it.
func benchEngine(b *testing.B, setup ...string) *Engine {
	b.Helper()
	e, err := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	for _, code := range setup {
		if _, err := e.Execute(context.Background(), code); err != nil {
			b.Fatalf("setup cell %q: %v", code, err)
		}
	}
	return e
}

// runCell runs a cell that must succeed.
func runCell(b *testing.B, e *Engine, code string) {
	b.Helper()
	if _, err := e.Execute(context.Background(), code); err != nil {
		b.Fatalf("cell %q: %v", code, err)
	}
}

// cellText runs a cell ending in an expression and returns its text/plain.
func cellText(b *testing.B, e *Engine, code string) string {
	b.Helper()
	d, err := e.Execute(context.Background(), code)
	if err != nil {
		b.Fatalf("cell %q: %v", code, err)
	}
	if d == nil {
		b.Fatalf("cell %q showed nothing", code)
	}
	s, _ := d.Bundle[display.MIMEText].(string)
	return s
}

// pairs times cell and compiled once per iteration, the order alternating,
// and reports for each side the median wall time (cell-ns, go-ns), the
// fastest (cell-min-ns, go-min-ns) and the median CPU time of the process
// (cell-cpu-ns, go-cpu-ns), and the medians of the pairs' ratios of wall
// time (cell/go) and of CPU time (cell/go-cpu). On a shared machine CPU time
// is the steadier measure of work: a side that waits for a core is charged
// no CPU for the wait. compiled runs reps times per sample, for work too
// short to time alone; its samples are per run.
func pairs(b *testing.B, reps int, cell, compiled func()) {
	b.Helper()
	type sample struct{ wall, cpu float64 }
	measure := func(n int, f func()) sample {
		c0, _ := processCPU()
		t0 := time.Now()
		for range n {
			f()
		}
		wall := time.Since(t0)
		c1, _ := processCPU()
		return sample{float64(wall.Nanoseconds()) / float64(n), float64(c1-c0) / float64(n)}
	}
	var cells, gos []sample
	for i := 0; b.Loop(); i++ {
		var c, g sample
		if i%2 == 0 {
			c, g = measure(1, cell), measure(reps, compiled)
		} else {
			g, c = measure(reps, compiled), measure(1, cell)
		}
		cells, gos = append(cells, c), append(gos, g)
	}
	field := func(ss []sample, f func(sample) float64) []float64 {
		out := make([]float64, len(ss))
		for i, s := range ss {
			out[i] = f(s)
		}
		return out
	}
	wall := func(s sample) float64 { return s.wall }
	cpu := func(s sample) float64 { return s.cpu }
	ratios := func(f func(sample) float64) []float64 {
		out := make([]float64, len(cells))
		for i := range cells {
			out[i] = f(cells[i]) / f(gos[i])
		}
		return out
	}
	b.ReportMetric(median(field(cells, wall)), "cell-ns")
	b.ReportMetric(median(field(gos, wall)), "go-ns")
	b.ReportMetric(slices.Min(field(cells, wall)), "cell-min-ns")
	b.ReportMetric(slices.Min(field(gos, wall)), "go-min-ns")
	b.ReportMetric(median(ratios(wall)), "cell/go")
	if _, ok := processCPU(); ok {
		b.ReportMetric(median(field(cells, cpu)), "cell-cpu-ns")
		b.ReportMetric(median(field(gos, cpu)), "go-cpu-ns")
		b.ReportMetric(median(ratios(cpu)), "cell/go-cpu")
	}
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func BenchmarkNativeCall(b *testing.B) {
	e := benchEngine(b,
		fmt.Sprintf(`buf := bytes.Repeat([]byte("0123456789abcdef"), %d)`, hashBytes/16),
		`var sum [32]byte`)
	// Both sides hash the cell's buffer: two separately allocated buffers
	// of this size hash several percent apart depending on where in memory
	// they land, which would be mistaken for the interpreter's overhead.
	v, err := e.in.Eval("buf")
	if err != nil {
		b.Fatal(err)
	}
	buf := v.Bytes()
	want := sha256.Sum256(bytes.Repeat([]byte("0123456789abcdef"), hashBytes/16))
	// The cell is exactly one native call: split, type-checked, rewritten,
	// compiled and run anew each time, as when a notebook re-runs it.
	pairs(b, 1,
		func() { runCell(b, e, `sum = sha256.Sum256(buf)`) },
		func() { sinkSum = sha256.Sum256(buf) })
	b.StopTimer()
	if got := cellText(b, e, `hex.EncodeToString(sum[:])`); got != fmt.Sprintf("%q", hex.EncodeToString(want[:])) {
		b.Fatalf("cell hashed to %s, want %x", got, want)
	}
	if sinkSum != want {
		b.Fatalf("compiled Go hashed to %x, want %x", sinkSum, want)
	}
}

func BenchmarkCellCost(b *testing.B) {
	const small = "0123456789abcdef"
	buf := []byte(small)
	want := sha256.Sum256(buf)
	e := benchEngine(b, fmt.Sprintf("buf := []byte(%q)", small), `var sum [32]byte`)
	pairs(b, 1000,
		func() { runCell(b, e, `sum = sha256.Sum256(buf)`) },
		func() { sinkSum = sha256.Sum256(buf) })
	b.StopTimer()
	if got := cellText(b, e, `hex.EncodeToString(sum[:])`); got != fmt.Sprintf("%q", hex.EncodeToString(want[:])) {
		b.Fatalf("cell hashed to %s, want %x", got, want)
	}
}

func BenchmarkLoop(b *testing.B) {
	want := loopN * (loopN - 1) / 2
	e := benchEngine(b, fmt.Sprintf(`n := %d`, loopN), `s := 0`)
	pairs(b, 1,
		func() { runCell(b, e, "s = 0\nfor i := 0; i < n; i++ {\n\ts += i\n}") },
		func() {
			n, s := loopLimit, 0
			for i := 0; i < n; i++ {
				s += i
			}
			sinkInt = s
		})
	b.StopTimer()
	if got := cellText(b, e, `s`); got != fmt.Sprint(want) {
		b.Fatalf("cell summed to %s, want %d", got, want)
	}
	if sinkInt != want {
		b.Fatalf("compiled Go summed to %d, want %d", sinkInt, want)
	}
}
