package data

import (
	"fmt"
	"math/bits"
	"sort"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// A join is a hash join built on the right frame and probed with the left
// one. Right rows are chained by key (head[code] leads to the first row with that
// key, next links the rest in row order), so the output lists each left row's
// matches in right-row order, left rows in order. Probing reads the table
// only, so row ranges of the left frame are probed in parallel and their
// results joined end to end.

// joinChunkRows is the left-side row range one probe task covers.
const joinChunkRows = 1 << 16

// joinBlockRows is how many left rows a probe task codes at a time.
const joinBlockRows = 1 << 10

// matchRows returns the row pairs of the join of f and r on columns li and
// ri; rrows holds -1 for a left row without a match (left joins only).
func matchRows(f, r *Frame, li, ri []int, left bool) ([]int32, []int32, error) {
	if len(li) == 1 {
		if lv, rv, ok := intKeys(f.col(li[0]), r.col(ri[0])); ok {
			lrows, rrows := intJoin(f.col(li[0]), lv, r.col(ri[0]), rv, left)
			return lrows, rrows, nil
		}
	}
	codes := make([][]int32, len(li))
	cards := make([]int, len(li))
	errs := make([]error, len(li))
	parallel(len(li), func(k int) {
		codes[k], cards[k], errs[k] = codeKeys([]arrow.Array{f.col(li[k]), r.col(ri[k])})
	})
	for k, e := range errs {
		if e != nil {
			return nil, nil, fmt.Errorf("%q: %w", f.schema[li[k]].Name, e)
		}
	}
	keys, nk := codes[0], cards[0]
	if len(codes) > 1 {
		keys, nk = combine(codes, cards, false)
	}
	lk, rk := keys[:f.nrows], keys[f.nrows:]
	head, next := chainRows(nk, len(rk), func(i int) int32 { return rk[i] })
	lrows, rrows := probe(f.nrows, left, head, next, func(lo int, dst []int32) { copy(dst, lk[lo:]) })
	return lrows, rrows, nil
}

// intKeys returns the values of two int64 or two timestamp key columns.
func intKeys(l, r arrow.Array) ([]int64, []int64, bool) {
	switch a := l.(type) {
	case *array.Int64:
		if b, ok := r.(*array.Int64); ok {
			return a.Int64Values(), b.Int64Values(), true
		}
	case *array.Timestamp:
		if b, ok := r.(*array.Timestamp); ok {
			return tsInts(a.TimestampValues()), tsInts(b.TimestampValues()), true
		}
	}
	return nil, nil, false
}

// tsInts views timestamps as the int64s they are.
func tsInts(ts []arrow.Timestamp) []int64 {
	return unsafe.Slice((*int64)(unsafe.Pointer(unsafe.SliceData(ts))), len(ts))
}

// intJoin joins on one integer key without coding the left side. When
// both keys are ascending and have no nulls (ids, dates, a table sorted
// by its key), they are merged, with no table at all. Otherwise, when
// the right keys span a range not much wider than the two frames are long,
// a key indexes the chain heads directly, and left keys in order (ids,
// dates) read the heads in order too. Otherwise the right keys go into an
// intTable, fronted by a bitmap of their hashes that turns away most left
// keys without a match while the bitmap still fits in cache.
func intJoin(la arrow.Array, lv []int64, ra arrow.Array, rv []int64, left bool) ([]int32, []int32) {
	rnull, lnull := ra.NullN() > 0, la.NullN() > 0
	if !rnull && !lnull && ascending(rv) && ascending(lv) {
		return mergeJoin(lv, rv, left)
	}
	lo, hi, found := int64(0), int64(-1), false
	for i, x := range rv {
		if rnull && ra.IsNull(i) {
			continue
		}
		if !found {
			lo, hi, found = x, x, true
		}
		lo, hi = min(lo, x), max(hi, x)
	}
	if span := uint64(hi - lo); found && span < uint64(max(1<<16, 2*(len(lv)+len(rv)))) {
		head, next := chainRows(int(span)+1, len(rv), func(i int) int32 {
			if rnull && ra.IsNull(i) {
				return -1
			}
			return int32(rv[i] - lo)
		})
		return probe(len(lv), left, head, next, func(at int, dst []int32) {
			for k := range dst {
				x := lv[at+k] - lo
				if uint64(x) > span || (lnull && la.IsNull(at+k)) {
					dst[k] = -1
					continue
				}
				dst[k] = int32(x)
			}
		})
	}
	t := newIntTable(len(rv))
	rcodes := make([]int32, len(rv))
	filter := newHashFilter(len(rv))
	for i, x := range rv {
		if rnull && ra.IsNull(i) {
			rcodes[i] = -1
			continue
		}
		rcodes[i] = t.code(uint64(x))
		filter.add(uint64(x))
	}
	head, next := chainRows(int(t.n), len(rv), func(i int) int32 { return rcodes[i] })
	return probe(len(lv), left, head, next, func(at int, dst []int32) {
		for k := range dst {
			x := uint64(lv[at+k])
			if !filter.has(x) || (lnull && la.IsNull(at+k)) {
				dst[k] = -1
				continue
			}
			dst[k] = t.lookup(x)
		}
	})
}

// ascending reports whether v never decreases; it stops at the first
// place it does, so an unsorted key costs little to check.
func ascending(v []int64) bool {
	for i := 1; i < len(v); i++ {
		if v[i] < v[i-1] {
			return false
		}
	}
	return true
}

// mergeJoin joins two ascending keys without a table: ranges of the left
// rows are merged with the right keys in parallel, each range starting at
// the first right key not below its own first key. Equal right keys are
// adjacent and in row order, so the pairs come out in the order probe
// gives them.
func mergeJoin(lv, rv []int64, left bool) ([]int32, []int32) {
	return probeRanges(len(lv), func(lo, hi int) (lrows, rrows []int32) {
		j := sort.Search(len(rv), func(j int) bool { return rv[j] >= lv[lo] })
		for i := lo; i < hi; i++ {
			x := lv[i]
			for j < len(rv) && rv[j] < x {
				j++
			}
			if j == len(rv) || rv[j] != x {
				if left {
					lrows = append(lrows, int32(i))
					rrows = append(rrows, -1)
				}
				continue
			}
			for k := j; k < len(rv) && rv[k] == x; k++ {
				lrows = append(lrows, int32(i))
				rrows = append(rrows, int32(k))
			}
		}
		return lrows, rrows
	})
}

// hashFilter is a one-hash Bloom filter of 16 bits per key: about one key
// in sixteen without a match gets through to the table.
type hashFilter struct {
	bits  []uint64
	shift uint8
}

func newHashFilter(n int) hashFilter {
	size := 1 << 10
	for size < 16*n {
		size *= 2
	}
	return hashFilter{bits: make([]uint64, size/64), shift: uint8(64 - bits.TrailingZeros(uint(size)))}
}

func (h hashFilter) add(k uint64) {
	b := hashInt(k) * 0xbf58476d1ce4e5b9 >> h.shift
	h.bits[b/64] |= 1 << (b % 64)
}

func (h hashFilter) has(k uint64) bool {
	b := hashInt(k) * 0xbf58476d1ce4e5b9 >> h.shift
	return h.bits[b/64]&(1<<(b%64)) != 0
}

// chainRows links the rows of each code: head[c] is one more than the
// first row with code c and next[row] one more than the following one, 0
// ending a chain (so that fresh, zeroed slices start every chain empty).
func chainRows(nk, n int, code func(i int) int32) (head, next []int32) {
	head = make([]int32, nk)
	next = make([]int32, n)
	for i := n - 1; i >= 0; i-- {
		if c := code(i); c >= 0 {
			next[i] = head[c]
			head[c] = int32(i) + 1
		}
	}
	return head, next
}

// probe codes ranges of the n left rows in parallel: codes fills dst with
// the right-side codes (-1 for none) of the rows from lo on. The pairs of
// all ranges are joined in row order.
func probe(n int, left bool, head, next []int32, codes func(lo int, dst []int32)) ([]int32, []int32) {
	return probeRanges(n, func(lo, hi int) (lrows, rrows []int32) {
		// Codes are taken a block at a time into one small buffer that
		// stays in cache, rather than into a buffer the size of the range.
		var block [joinBlockRows]int32
		for at := lo; at < hi; at += joinBlockRows {
			cs := block[:min(joinBlockRows, hi-at)]
			codes(at, cs)
			for k, c := range cs {
				j := int32(0)
				if c >= 0 {
					j = head[c]
				}
				if j == 0 {
					if left {
						lrows = append(lrows, int32(at+k))
						rrows = append(rrows, -1)
					}
					continue
				}
				for ; j > 0; j = next[j-1] {
					lrows = append(lrows, int32(at+k))
					rrows = append(rrows, j-1)
				}
			}
		}
		return lrows, rrows
	})
}

// probeRanges joins the left rows range by range in parallel, match giving
// the pairs of the rows from lo to hi, and joins the ranges' pairs in row
// order.
func probeRanges(n int, match func(lo, hi int) (lrows, rrows []int32)) ([]int32, []int32) {
	parts := (n + joinChunkRows - 1) / joinChunkRows
	lparts := make([][]int32, parts)
	rparts := make([][]int32, parts)
	parallel(parts, func(p int) {
		lparts[p], rparts[p] = match(p*joinChunkRows, min(n, (p+1)*joinChunkRows))
	})
	total := 0
	for _, p := range lparts {
		total += len(p)
	}
	lrows := make([]int32, 0, total)
	rrows := make([]int32, 0, total)
	for p := range lparts {
		lrows = append(lrows, lparts[p]...)
		rrows = append(rrows, rparts[p]...)
	}
	return lrows, rrows
}
