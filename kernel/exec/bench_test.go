package exec

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"testing"

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

// hashInput is the buffer every side hashes: a deterministic pattern,
// built by native code so that preparing it costs no benchmark time to
// speak of.
func hashInput() []byte {
	return bytes.Repeat([]byte("0123456789abcdef"), hashBytes/16)
}

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

func BenchmarkNativeCall(b *testing.B) {
	want := sha256.Sum256(hashInput())
	b.Run("cell", func(b *testing.B) {
		e := benchEngine(b,
			fmt.Sprintf(`buf := bytes.Repeat([]byte("0123456789abcdef"), %d)`, hashBytes/16),
			`var sum [32]byte`)
		// The measured cell is exactly one native call: type-checked,
		// rewritten, compiled and run anew each time, as a notebook
		// re-running the cell would.
		ctx := context.Background()
		for b.Loop() {
			if _, err := e.Execute(ctx, `sum = sha256.Sum256(buf)`); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if got := cellText(b, e, `hex.EncodeToString(sum[:])`); got != fmt.Sprintf("%q", hex.EncodeToString(want[:])) {
			b.Fatalf("cell hashed to %s, want %x", got, want)
		}
	})
	b.Run("go", func(b *testing.B) {
		buf := hashInput()
		for b.Loop() {
			sinkSum = sha256.Sum256(buf)
		}
		b.StopTimer()
		if sinkSum != want {
			b.Fatalf("hashed to %x, want %x", sinkSum, want)
		}
	})
}

func BenchmarkCellCost(b *testing.B) {
	const small = "0123456789abcdef"
	want := sha256.Sum256([]byte(small))
	b.Run("cell", func(b *testing.B) {
		e := benchEngine(b, fmt.Sprintf("buf := []byte(%q)", small), `var sum [32]byte`)
		ctx := context.Background()
		for b.Loop() {
			if _, err := e.Execute(ctx, `sum = sha256.Sum256(buf)`); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if got := cellText(b, e, `hex.EncodeToString(sum[:])`); got != fmt.Sprintf("%q", hex.EncodeToString(want[:])) {
			b.Fatalf("cell hashed to %s, want %x", got, want)
		}
	})
	b.Run("go", func(b *testing.B) {
		buf := []byte(small)
		for b.Loop() {
			sinkSum = sha256.Sum256(buf)
		}
		b.StopTimer()
		if sinkSum != want {
			b.Fatalf("hashed to %x, want %x", sinkSum, want)
		}
	})
}

func BenchmarkLoop(b *testing.B) {
	want := loopN * (loopN - 1) / 2
	b.Run("cell", func(b *testing.B) {
		e := benchEngine(b, fmt.Sprintf(`n := %d`, loopN), `s := 0`)
		const cell = "s = 0\nfor i := 0; i < n; i++ {\n\ts += i\n}"
		ctx := context.Background()
		for b.Loop() {
			if _, err := e.Execute(ctx, cell); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if got := cellText(b, e, `s`); got != fmt.Sprint(want) {
			b.Fatalf("cell summed to %s, want %d", got, want)
		}
	})
	b.Run("go", func(b *testing.B) {
		n := loopLimit
		for b.Loop() {
			s := 0
			for i := 0; i < n; i++ {
				s += i
			}
			sinkInt = s
		}
		b.StopTimer()
		if sinkInt != want {
			b.Fatalf("summed to %d, want %d", sinkInt, want)
		}
	})
}
