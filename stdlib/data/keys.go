package data

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// Grouping, joining, unique and value counts all reduce key columns to one
// dense int32 code per row. Each key column is coded on its own, then the
// codes of successive keys are combined pairwise and re-densified, so any
// number of keys works without overflow.

// codeKeys codes the rows of several arrays laid end to end (one array for
// grouping, left and right for a join). Nulls get code -1.
func codeKeys(parts []arrow.Array) ([]int32, int, error) {
	total := 0
	for _, p := range parts {
		total += p.Len()
	}
	out := make([]int32, total)
	t0, _ := dtypeOf(parts[0].DataType())
	for _, p := range parts[1:] {
		if t, _ := dtypeOf(p.DataType()); t != t0 {
			return nil, 0, fmt.Errorf("key types differ: %s and %s", t0, t)
		}
	}
	switch t0 {
	case String:
		ids := map[string]int32{}
		off := 0
		for _, p := range parts {
			codes, levels := codesOf(p)
			remap := make([]int32, len(levels))
			for k, l := range levels {
				id, ok := ids[l]
				if !ok {
					id = int32(len(ids))
					ids[l] = id
				}
				remap[k] = id
			}
			for i, c := range codes {
				if c >= 0 {
					out[off+i] = remap[c]
				} else {
					out[off+i] = -1
				}
			}
			off += len(codes)
		}
		return out, len(ids), nil
	case Bool:
		off := 0
		for _, p := range parts {
			a := p.(*array.Boolean)
			for i := 0; i < a.Len(); i++ {
				switch {
				case a.IsNull(i):
					out[off+i] = -1
				case a.Value(i):
					out[off+i] = 1
				}
			}
			off += a.Len()
		}
		return out, 2, nil
	}
	// Integer keys without nulls in a compact range index a table directly.
	if t0 == Int64 {
		var all [][]int64
		nulls := false
		for _, p := range parts {
			all = append(all, p.(*array.Int64).Int64Values())
			nulls = nulls || p.NullN() > 0
		}
		if lo, hi, ok := smallRangeAll(all, total); ok && !nulls {
			return denseSmall(all, lo, hi, out)
		}
	}
	// Numbers and timestamps: code by 64-bit pattern.
	ids := newIntTable(1024)
	off := 0
	for _, p := range parts {
		var bits func(i int) uint64
		switch a := p.(type) {
		case *array.Int64:
			v := a.Int64Values()
			bits = func(i int) uint64 { return uint64(v[i]) }
		case *array.Timestamp:
			v := a.TimestampValues()
			bits = func(i int) uint64 { return uint64(v[i]) }
		case *array.Float64:
			v := a.Float64Values()
			bits = func(i int) uint64 {
				x := v[i]
				if x == 0 {
					x = 0 // fold -0 into 0
				}
				if math.IsNaN(x) {
					return math.Float64bits(math.NaN())
				}
				return math.Float64bits(x)
			}
		default:
			return nil, 0, fmt.Errorf("cannot use %s as a key", p.DataType())
		}
		nulls := p.NullN() > 0
		for i := 0; i < p.Len(); i++ {
			if nulls && p.IsNull(i) {
				out[off+i] = -1
				continue
			}
			out[off+i] = ids.code(bits(i))
		}
		off += p.Len()
	}
	return out, int(ids.n), nil
}

func smallRangeAll(vals [][]int64, total int) (int64, int64, bool) {
	first := true
	var lo, hi int64
	for _, v := range vals {
		for _, x := range v {
			if first {
				lo, hi, first = x, x, false
			}
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	if first {
		return 0, 0, false
	}
	return lo, hi, uint64(hi-lo) < uint64(max(1<<16, 2*total))
}

func denseSmall(vals [][]int64, lo, hi int64, out []int32) ([]int32, int, error) {
	table := make([]int32, hi-lo+1)
	for i := range table {
		table[i] = -1
	}
	n := int32(0)
	off := 0
	for _, v := range vals {
		for i, x := range v {
			k := x - lo
			if table[k] < 0 {
				table[k] = n
				n++
			}
			out[off+i] = table[k]
		}
		off += len(v)
	}
	return out, int(n), nil
}

// combine merges the codes of several keys into one dense code per row.
// With nullGroups, a null is a value of its own; otherwise a row with any
// null key gets -1.
func combine(codes [][]int32, cards []int, nullGroups bool) ([]int32, int) {
	n := len(codes[0])
	cur := make([]int32, n)
	card := cards[0]
	copy(cur, codes[0])
	if nullGroups {
		for i, c := range cur {
			if c < 0 {
				cur[i] = int32(card)
			}
		}
		card++
	}
	first := true
	for k := 1; k < len(codes) || first; k++ {
		first = false
		var next []int32
		nk := 1
		if k < len(codes) {
			next, nk = codes[k], cards[k]
			if nullGroups {
				nk++
			}
		}
		width := int64(card) * int64(nk)
		comp := func(i int) int64 {
			a := int64(cur[i])
			if a < 0 {
				return -1
			}
			if next == nil {
				return a
			}
			b := int64(next[i])
			if b < 0 {
				if !nullGroups {
					return -1
				}
				b = int64(nk - 1)
			}
			return a*int64(nk) + b
		}
		out := make([]int32, n)
		dense := int32(0)
		if width <= int64(max(1<<20, 4*n)) {
			table := make([]int32, width)
			for i := range table {
				table[i] = -1
			}
			for i := range out {
				c := comp(i)
				if c < 0 {
					out[i] = -1
					continue
				}
				if table[c] < 0 {
					table[c] = dense
					dense++
				}
				out[i] = table[c]
			}
		} else {
			m := make(map[int64]int32)
			for i := range out {
				c := comp(i)
				if c < 0 {
					out[i] = -1
					continue
				}
				id, ok := m[c]
				if !ok {
					id = dense
					m[c] = id
					dense++
				}
				out[i] = id
			}
		}
		cur, card = out, int(dense)
	}
	return cur, card
}

// groupRows codes f's rows by the key columns; nulls form their own group.
func (f *Frame) groupRows(keys []string) ([]int32, int, error) {
	idx, err := f.indexes(keys)
	if err != nil {
		return nil, 0, err
	}
	if len(idx) == 0 {
		return make([]int32, f.nrows), min(1, f.nrows), nil
	}
	codes := make([][]int32, len(idx))
	cards := make([]int, len(idx))
	errs := make([]error, len(idx))
	parallel(len(idx), func(k int) {
		codes[k], cards[k], errs[k] = codeKeys([]arrow.Array{f.col(idx[k])})
	})
	for k, e := range errs {
		if e != nil {
			return nil, 0, fmt.Errorf("key %q: %w", keys[k], e)
		}
	}
	g, n := combine(codes, cards, true)
	return g, n, nil
}

// firstRows returns the first row of each group.
func firstRows(groups []int32, n int) []int32 {
	first := make([]int32, n)
	for i := range first {
		first[i] = -1
	}
	for i, g := range groups {
		if first[g] < 0 {
			first[g] = int32(i)
		}
	}
	return first
}

// groupCodes codes f's rows by the key columns like groupRows, but numbers
// the groups in no particular order, which lets dictionary-encoded keys be
// combined arithmetically from their indices without hashing a row.
func (f *Frame) groupCodes(keys []string) ([]int32, int, error) {
	idx, err := f.indexes(keys)
	if err != nil {
		return nil, 0, err
	}
	if len(idx) == 0 {
		return f.groupRows(keys)
	}
	width := 1
	for _, i := range idx {
		d, ok := f.col(i).(*array.Dictionary)
		if !ok {
			return f.groupRows(keys)
		}
		width *= d.Dictionary().Len() + 1
		if width > max(1<<16, f.nrows) {
			return f.groupRows(keys)
		}
	}
	groups := make([]int32, f.nrows)
	card := 1
	for _, i := range idx {
		d := f.col(i).(*array.Dictionary)
		remap, nl := dedupeLevels(d)
		codes := d.Indices().(*array.Int32).Int32Values()
		nulls := d.NullN() > 0
		stride := int32(nl + 1) // the last code is the null group
		for r, c := range codes {
			var v int32
			if nulls && d.IsNull(r) {
				v = int32(nl)
			} else {
				v = remap[c]
			}
			groups[r] = groups[r]*stride + v
		}
		card *= nl + 1
	}
	// Renumber the groups that occur densely.
	table := make([]int32, card)
	for _, g := range groups {
		table[g] = 1
	}
	ng := int32(0)
	for g, seen := range table {
		if seen != 0 {
			table[g] = ng
			ng++
		}
	}
	for r, g := range groups {
		groups[r] = table[g]
	}
	return groups, int(ng), nil
}

// dedupeLevels maps each dictionary index of d to the first index with the
// same string, so a dictionary with repeated levels still groups by value,
// and returns the number of distinct levels' slots (the largest code + 1).
func dedupeLevels(d *array.Dictionary) ([]int32, int) {
	dict := d.Dictionary().(*array.String)
	remap := make([]int32, dict.Len())
	seen := make(map[string]int32, dict.Len())
	for k := range remap {
		s := dict.Value(k)
		c, ok := seen[s]
		if !ok {
			c = int32(k)
			seen[s] = c
		}
		remap[k] = c
	}
	return remap, dict.Len()
}
