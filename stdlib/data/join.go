package data

import (
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
)

// InnerJoin matches rows of f and right with equal values in the on
// columns and keeps matched pairs. Null keys match nothing. Right columns
// whose names clash with f's get the suffix "_right".
//
//	orders.InnerJoin(customers, "customerID")
func (f *Frame) InnerJoin(right *Frame, on ...string) (*Frame, error) {
	return f.join(right, false, on)
}

// LeftJoin is InnerJoin that also keeps unmatched rows of f, with nulls in
// the right columns.
func (f *Frame) LeftJoin(right *Frame, on ...string) (*Frame, error) {
	return f.join(right, true, on)
}

func (f *Frame) join(r *Frame, left bool, on []string) (*Frame, error) {
	if err := f.live(); err != nil {
		return nil, err
	}
	if err := r.live(); err != nil {
		return nil, err
	}
	if len(on) == 0 {
		return nil, fmt.Errorf("join: name at least one key column")
	}
	li, err := f.indexes(on)
	if err != nil {
		return nil, fmt.Errorf("join, left side: %w", err)
	}
	ri, err := r.indexes(on)
	if err != nil {
		return nil, fmt.Errorf("join, right side: %w", err)
	}
	codes := make([][]int32, len(on))
	cards := make([]int, len(on))
	errs := make([]error, len(on))
	parallel(len(on), func(k int) {
		codes[k], cards[k], errs[k] = codeKeys([]arrow.Array{f.cols[li[k]], r.cols[ri[k]]})
	})
	for k, e := range errs {
		if e != nil {
			return nil, fmt.Errorf("join key %q: %w", on[k], e)
		}
	}
	keys, nk := combine(codes, cards, false)
	lk, rk := keys[:f.nrows], keys[f.nrows:]

	// Chain right rows by key: head[key] is the first row, next links on.
	head := make([]int32, nk)
	for i := range head {
		head[i] = -1
	}
	next := make([]int32, len(rk))
	for i := len(rk) - 1; i >= 0; i-- {
		if k := rk[i]; k >= 0 {
			next[i] = head[k]
			head[k] = int32(i)
		}
	}
	lrows := make([]int32, 0, f.nrows)
	rrows := make([]int32, 0, f.nrows)
	for i, k := range lk {
		j := int32(-1)
		if k >= 0 {
			j = head[k]
		}
		if j < 0 {
			if left {
				lrows = append(lrows, int32(i))
				rrows = append(rrows, -1)
			}
			continue
		}
		for ; j >= 0; j = next[j] {
			lrows = append(lrows, int32(i))
			rrows = append(rrows, j)
		}
	}

	isKey := map[string]bool{}
	for _, k := range on {
		isKey[k] = true
	}
	names := f.Names()
	taken := map[string]bool{}
	for _, n := range names {
		taken[n] = true
	}
	var rcols []int
	for j, fl := range r.schema {
		if isKey[fl.Name] {
			continue
		}
		name := fl.Name
		for taken[name] {
			name += "_right"
		}
		taken[name] = true
		names = append(names, name)
		rcols = append(rcols, j)
	}
	cols := make([]arrow.Array, len(f.cols)+len(rcols))
	parallel(len(cols), func(k int) {
		if k < len(f.cols) {
			cols[k] = take(f.mem, f.cols[k], lrows)
		} else {
			cols[k] = take(f.mem, r.cols[rcols[k-len(f.cols)]], rrows)
		}
	})
	return f.derive(names, cols)
}
