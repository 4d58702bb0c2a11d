package ml

import (
	"math"
	"math/rand/v2"
	"slices"
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

// The table-driven binIndex must put every value in the bin the binary
// search of binner.bin finds, bounds themselves, their neighbours and the
// odd values (zeros of both signs, infinities, NaN, subnormals) included.
func TestBinIndexMatchesBinarySearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	odd := []float64{0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), math.NaN(), 5e-324, -5e-324,
		math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64 * 7, 1, -1}
	for trial := 0; trial < 40; trial++ {
		n := 1 + rng.IntN(3000)
		vals := make([]float64, n)
		for i := range vals {
			switch trial % 4 {
			case 0:
				vals[i] = rng.NormFloat64()
			case 1:
				vals[i] = math.Round(rng.NormFloat64() * 4)
			case 2:
				vals[i] = rng.ExpFloat64() * math.Pow(10, float64(rng.IntN(40)-20))
			default:
				vals[i] = odd[rng.IntN(len(odd))]
			}
		}
		b := newBinner(vals, 2+rng.IntN(254))
		ix := newBinIndex(b.upper)
		if ix == nil {
			if !slices.ContainsFunc(b.upper, math.IsNaN) {
				t.Fatalf("trial %d: no index for ordered bounds %v", trial, b.upper)
			}
			continue
		}
		probe := append(slices.Clone(odd), vals...)
		for _, u := range b.upper {
			probe = append(probe, u, math.Nextafter(u, math.Inf(-1)), math.Nextafter(u, math.Inf(1)))
		}
		for _, x := range probe {
			if got, want := ix.bin(x), b.bin(x); got != want {
				t.Fatalf("trial %d: value %v in bin %d, binary search says %d (bounds %v)", trial, x, got, want, b.upper)
			}
		}
	}
}

// radixSort must order keys as slices.Sort does, whether bytes are shared
// by all keys (passes skipped) or not, and below its cut-over length.
func TestRadixSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 5, 1023, 1024, 5000, 70_000} {
		for _, mask := range []uint64{^uint64(0), 0xFFFF_0000_0000_00FF, 0x00FF_FF00} {
			keys := make([]uint64, n)
			for i := range keys {
				keys[i] = rng.Uint64()&mask | 0x4000_0000_0000_0000
			}
			want := slices.Clone(keys)
			slices.Sort(want)
			if got := radixSort(keys); !slices.Equal(got, want) {
				t.Fatalf("n=%d mask %x: radix order differs from slices.Sort", n, mask)
			}
		}
	}
}
