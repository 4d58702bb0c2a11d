package data

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// Filter keeps the rows where cond is true (null counts as false). Each
// column of the result is gathered when first used, so a group-by or
// Select after a filter copies only the columns it reads.
//
//	churned, err := f.Filter(data.Col("Churn").Eq("Yes"))
func (f *Frame) Filter(cond *Expr) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	v, err := cond.eval(f)
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	if v.t != Bool {
		return nil, fmt.Errorf("filter: %s is %s, not a condition", cond, v.t)
	}
	v = v.broadcast(f.nrows)
	return f.selectRows(selected(v.b, v.valid)), nil
}

// selected lists the rows where keep (and valid, when not nil) hold. Every
// row is written and the count advances by the test, so a condition true
// for a random half of the rows costs no mispredicted branches.
func selected(keep, valid []bool) []int32 {
	idx := make([]int32, len(keep)+1)
	k := 0
	for i, b := range keep {
		if valid != nil {
			b = b && valid[i]
		}
		idx[k] = int32(i)
		k += int(*(*uint8)(unsafe.Pointer(&b)))
	}
	return idx[:k:k]
}

// With adds (or replaces) column name computed from e.
//
//	f.With("annual", data.Col("MonthlyCharges").Mul(12))
func (f *Frame) With(name string, e *Expr) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	v, err := e.eval(f)
	if err != nil {
		return nil, fmt.Errorf("with %q: %w", name, err)
	}
	return f.withArray(name, v.array(f.mem, f.nrows))
}

// FillNull replaces the nulls of column col with value.
func (f *Frame) FillNull(col string, value any) (*Frame, error) {
	return f.With(col, Col(col).FillNull(value))
}

// DropNulls drops rows with a null in any of cols (any column when none
// are named).
func (f *Frame) DropNulls(cols ...string) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		cols = f.Names()
	}
	idx, err := f.indexes(cols)
	if err != nil {
		return nil, err
	}
	keep := make([]int32, 0, f.nrows)
	for i := 0; i < f.nrows; i++ {
		ok := true
		for _, k := range idx {
			if f.col(k).IsNull(i) {
				ok = false
				break
			}
		}
		if ok {
			keep = append(keep, int32(i))
		}
	}
	return f.take(keep), nil
}

// Sort orders rows by the given columns; prefix a name with "-" for
// descending order. Nulls sort last. The sort is stable.
//
//	f.Sort("Contract", "-MonthlyCharges")
func (f *Frame) Sort(keys ...string) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	perm, err := f.sortPerm(keys)
	if err != nil {
		return nil, err
	}
	return f.take(perm), nil
}

func (f *Frame) sortPerm(keys []string) ([]int32, error) {
	type key struct {
		cmp  func(a, b int32) int
		desc bool
		arr  arrow.Array
	}
	ks := make([]key, len(keys))
	for k, name := range keys {
		desc := false
		if f.schema.Index(name) < 0 && strings.HasPrefix(name, "-") {
			name, desc = name[1:], true
		}
		i := f.schema.Index(name)
		if i < 0 {
			return nil, f.missing(name)
		}
		arr := f.col(i)
		ks[k] = key{desc: desc, arr: arr}
		switch a := arr.(type) {
		case *array.Int64:
			v := a.Int64Values()
			ks[k].cmp = func(x, y int32) int { return cmp.Compare(v[x], v[y]) }
		case *array.Timestamp:
			v := a.TimestampValues()
			ks[k].cmp = func(x, y int32) int { return cmp.Compare(v[x], v[y]) }
		case *array.Float64:
			v := a.Float64Values()
			ks[k].cmp = func(x, y int32) int { return cmp.Compare(v[x], v[y]) }
		case *array.Boolean:
			ks[k].cmp = func(x, y int32) int { return boolCmp(a.Value(int(x)), a.Value(int(y))) }
		default:
			// Rank dictionary levels once, then compare ranks.
			codes, levels := codesOf(arr)
			order := make([]int, len(levels))
			for j := range order {
				order[j] = j
			}
			sort.Slice(order, func(x, y int) bool { return levels[order[x]] < levels[order[y]] })
			rank := make([]int32, len(levels))
			for r, j := range order {
				rank[j] = int32(r)
			}
			ks[k].cmp = func(x, y int32) int { return cmp.Compare(rank[codes[x]], rank[codes[y]]) }
		}
	}
	perm := make([]int32, f.nrows)
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortStableFunc(perm, func(x, y int32) int {
		for _, k := range ks {
			xn, yn := k.arr.IsNull(int(x)), k.arr.IsNull(int(y))
			switch {
			case xn && yn:
				continue
			case xn:
				return 1
			case yn:
				return -1
			}
			c := k.cmp(x, y)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return perm, nil
}

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

// Sample returns n rows drawn without replacement, reproducibly for a seed.
// When n exceeds the rows, all rows are returned shuffled.
func (f *Frame) Sample(n int, seed uint64) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("sample size %d is negative", n)
	}
	perm := rng(seed).Perm(f.nrows)
	idx := make([]int32, min(n, f.nrows))
	for i := range idx {
		idx[i] = int32(perm[i])
	}
	return f.take(idx), nil
}

// Split divides rows at random into train and test sets, with a testFrac
// share in test. Rows keep their original order within each set.
func (f *Frame) Split(testFrac float64, seed uint64) (train, test *Frame, err error) {
	return f.split("", testFrac, seed)
}

// StratifiedSplit is Split drawing testFrac of each value of label, so both
// sets keep the label's class balance.
func (f *Frame) StratifiedSplit(label string, testFrac float64, seed uint64) (train, test *Frame, err error) {
	return f.split(label, testFrac, seed)
}

func (f *Frame) split(label string, frac float64, seed uint64) (*Frame, *Frame, error) {
	if err := f.live(); err != nil {
		return nil, nil, err
	}
	if frac < 0 || frac > 1 {
		return nil, nil, fmt.Errorf("test fraction %g is outside [0, 1]", frac)
	}
	var groups []int32
	ng := 1
	if label != "" {
		var err error
		if groups, ng, err = f.groupRows([]string{label}); err != nil {
			return nil, nil, err
		}
	} else {
		groups = make([]int32, f.nrows)
	}
	members := make([][]int32, ng)
	for i, g := range groups {
		members[g] = append(members[g], int32(i))
	}
	r := rng(seed)
	inTest := make([]bool, f.nrows)
	for _, m := range members {
		r.Shuffle(len(m), func(i, j int) { m[i], m[j] = m[j], m[i] })
		k := int(float64(len(m))*frac + 0.5)
		for _, i := range m[:k] {
			inTest[i] = true
		}
	}
	var tr, te []int32
	for i, t := range inTest {
		if t {
			te = append(te, int32(i))
		} else {
			tr = append(tr, int32(i))
		}
	}
	return f.take(tr), f.take(te), nil
}

// Unique returns the distinct rows over cols (all columns when none),
// keeping the first occurrence of each, in order.
func (f *Frame) Unique(cols ...string) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		cols = f.Names()
	}
	g, err := f.Select(cols...)
	if err != nil {
		return nil, err
	}
	defer g.Release()
	groups, ng, err := g.groupRows(cols)
	if err != nil {
		return nil, err
	}
	return g.take(firstRows(groups, ng)), nil
}

// ValueCounts counts each distinct value of col, most frequent first, in
// columns col and "count".
func (f *Frame) ValueCounts(col string) (*Frame, error) {
	g, err := f.GroupBy(col).Agg(Count())
	if err != nil {
		return nil, err
	}
	defer g.Release()
	return g.Sort("-count")
}

// Concat stacks frames with the same column names and types.
func Concat(frames ...*Frame) (*Frame, error) {
	if len(frames) == 0 {
		return nil, fmt.Errorf("concat: no frames")
	}
	f0 := frames[0]
	for k, f := range frames {
		if err := f.live(); err != nil {
			return nil, err
		}
		if !sameSchema(f.schema, f0.schema) {
			return nil, fmt.Errorf("concat: frame %d has columns (%s), frame 0 has (%s)", k, f.schema, f0.schema)
		}
	}
	cols := make([]arrow.Array, len(f0.schema))
	errs := make([]error, len(cols))
	parallel(len(cols), func(j int) {
		parts := make([]arrow.Array, len(frames))
		for k, f := range frames {
			parts[k] = f.col(j)
		}
		if f0.schema[j].Type == String {
			// Dictionaries differ between frames; rebuild from values.
			var vals []string
			var valid []bool
			nulls := false
			for _, p := range parts {
				vals = append(vals, stringsOf(p)...)
				v := validOf(p)
				if v == nil {
					v = make([]bool, p.Len())
					for i := range v {
						v[i] = true
					}
				} else {
					nulls = true
				}
				valid = append(valid, v...)
			}
			if !nulls {
				valid = nil
			}
			cols[j] = stringArray(f0.mem, vals, valid)
			return
		}
		cols[j], errs[j] = array.Concatenate(parts, f0.mem)
	})
	for _, err := range errs {
		if err != nil {
			releaseAll(cols)
			return nil, fmt.Errorf("concat: %w", err)
		}
	}
	return f0.derive(f0.Names(), cols)
}
