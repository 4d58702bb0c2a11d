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
	lrows, rrows, err := matchRows(f, r, li, ri, left)
	if err != nil {
		return nil, fmt.Errorf("join key %w", err)
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
	// Left rows are always matched rows; right rows are -1 only for the
	// unmatched rows of a left join. Both are scanned once, not per column.
	rneg := left && hasNeg(rrows)
	cols := make([]arrow.Array, len(f.schema)+len(rcols))
	parallel(len(cols), func(k int) {
		if k < len(f.schema) {
			cols[k] = takeRows(f.mem, f.col(k), lrows, false)
		} else {
			cols[k] = takeRows(f.mem, r.col(rcols[k-len(f.schema)]), rrows, rneg)
		}
	})
	return f.derive(names, cols)
}
