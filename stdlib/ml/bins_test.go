package ml

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestBinnerBin checks bin against a plain search for the first upper
// bound at or above the value, for bin counts around the powers of two
// where a halving search goes wrong first.
func TestBinnerBin(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, bins := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 100, 127, 128, 129, 254, 255} {
		vals := make([]float64, 5000)
		for i := range vals {
			vals[i] = math.Round(rng.NormFloat64() * 40)
		}
		b := newBinner(vals, bins)
		if b.bins() > bins {
			t.Fatalf("%d bins asked, %d made", bins, b.bins())
		}
		probe := append(vals, math.Inf(-1), math.Inf(1), -1e300, 1e300)
		for _, u := range b.upper {
			probe = append(probe, u, math.Nextafter(u, math.Inf(-1)), math.Nextafter(u, math.Inf(1)))
		}
		for _, x := range probe {
			want := sort.SearchFloat64s(b.upper, x)
			if got := int(b.bin(x)); got != want {
				t.Fatalf("%d bins: bin(%v) = %d, want %d (upper %v)", bins, x, got, want, b.upper)
			}
		}
		if got := int(b.bin(math.NaN())); got != b.missing() {
			t.Errorf("%d bins: NaN goes to bin %d, want the missing bin %d", bins, got, b.missing())
		}
	}
}
