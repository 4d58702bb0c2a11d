package data

import (
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
)

// pendingRows is a filter's selection not yet gathered into every column:
// each column is gathered the first time something reads it, so a filter
// followed by a group-by copies only the columns the group-by reads, and a
// filter whose result is only counted or selected from copies no more.
type pendingRows struct {
	src  []arrow.Array // the source's columns, one reference each until gathered
	idx  []int32       // the rows kept, none of them -1
	once []sync.Once
}

// col returns column i, gathering it first if f holds a pending selection.
func (f *Frame) col(i int) arrow.Array {
	if p := f.pending; p != nil {
		p.once[i].Do(func() {
			f.cols[i] = takeRows(f.mem, p.src[i], p.idx, false)
			p.src[i].Release()
			p.src[i] = nil
		})
	}
	return f.cols[i]
}

// arrays returns every column, gathering those still pending in parallel.
func (f *Frame) arrays() []arrow.Array {
	if f.pending != nil {
		parallel(len(f.cols), func(k int) { f.col(k) })
	}
	return f.cols
}

// selectRows returns the rows idx of f (positions, no -1) as a frame whose
// columns are gathered on first use.
func (f *Frame) selectRows(idx []int32) *Frame {
	if len(f.schema) == 0 || f.pending != nil {
		// A selection of a selection gathers the first one; nothing to
		// defer for a frame without columns.
		return f.take(idx)
	}
	src := make([]arrow.Array, len(f.cols))
	for k, a := range f.cols {
		a.Retain()
		src[k] = a
	}
	out := &Frame{mem: f.mem, schema: append(Schema(nil), f.schema...), cols: make([]arrow.Array, len(src)),
		nrows: len(idx), pending: &pendingRows{src: src, idx: idx, once: make([]sync.Once, len(src))}}
	out.refs.Store(1)
	return out
}

// release drops the source columns never gathered.
func (p *pendingRows) release() {
	if p == nil {
		return
	}
	for k := range p.src {
		p.once[k].Do(func() {})
		if p.src[k] != nil {
			p.src[k].Release()
			p.src[k] = nil
		}
	}
}
