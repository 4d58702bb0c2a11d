package data

import (
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// merge joins the segments' columns into a frame.
func (e *csvEngine) merge(segs []*csvSeg, g *faultGuard) (*Frame, error) {
	mem := e.cv.o.Allocator
	total := 0
	for _, s := range segs {
		total += len(s.rows)
	}
	cols := make([]arrow.Array, e.ncols)
	parallel(e.ncols, func(j int) {
		k := e.kinds[j]
		if k == kSkip {
			return
		}
		if k == kNone {
			for _, s := range segs {
				k = join(k, s.cols[j].kind)
			}
			if k == kNone {
				k = kStr
			}
		}
		tok := &recTok{delim: e.delim}
		g.do(func() { e.unify(segs, j, k, tok) })
		if g.failed() != nil {
			if b := e.slabs[j].take(); b != nil {
				b.Release()
			}
			return
		}
		cols[j] = buildColumn(mem, segs, j, k, total, e.slabs[j].take())
	})
	if err := g.failed(); err != nil {
		releaseAll(cols)
		return nil, err
	}
	var problems []Problem
	var skip []int32
	base := 0
	for _, s := range segs {
		problems = append(problems, s.problems...)
		for _, r := range s.skip {
			skip = append(skip, int32(base+r))
		}
		base += len(s.rows)
	}
	var names []string
	kept := cols[:0]
	for j, a := range cols {
		if e.kinds[j] != kSkip {
			names = append(names, e.cv.names[j])
			kept = append(kept, a)
		}
	}
	f, err := newFrame(mem, names, kept)
	if err != nil {
		return nil, err
	}
	if len(skip) > 0 {
		keep := make([]int32, 0, total-len(skip))
		for i, si := 0, 0; i < total; i++ {
			if si < len(skip) && skip[si] == int32(i) {
				si++
				continue
			}
			keep = append(keep, int32(i))
		}
		g := f.take(keep)
		f.Release()
		f = g
	}
	f.problems = problems
	return f, nil
}

// unify brings column j of every segment to kind k.
func (e *csvEngine) unify(segs []*csvSeg, j int, k colKind, tok *recTok) {
	for _, s := range segs {
		c := &s.cols[j]
		switch {
		case c.kind == k:
		case c.kind == kInt && k == kFloat && !c.negZero:
			// In place: each float replaces its int.
			fs := c.ints[:len(c.ints):len(c.ints)]
			c.floats = unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(fs))), len(fs))
			for i, v := range fs {
				c.floats[i] = float64(v)
			}
			c.kind, c.ints = kFloat, nil
		case c.kind == kNone && k != kStr:
			c.kind = k
			c.valid = make([]bool, len(s.rows))
		default:
			e.rebuild(s, j, k, len(s.rows), tok)
		}
	}
}

// segValidity packs the segments' validity of column j into a bitmap.
func segValidity(mem memory.Allocator, segs []*csvSeg, j, total int) (*memory.Buffer, int) {
	nulls := 0
	for _, s := range segs {
		for _, v := range s.cols[j].valid {
			if !v {
				nulls++
			}
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(total))))
	b := buf.Bytes()
	for i := range b {
		b[i] = 0
	}
	row := 0
	for _, s := range segs {
		c := &s.cols[j]
		n := len(s.rows)
		if c.valid == nil {
			bitutil.SetBitsTo(b, int64(row), int64(n), true)
		} else {
			for i, v := range c.valid {
				if v {
					bitutil.SetBit(b, row+i)
				}
			}
		}
		row += n
	}
	return buf, nulls
}

// buildColumn makes column j, of kind k, from the segments and the
// column's slab, which it takes over (nil when no segment made it).
func buildColumn(mem memory.Allocator, segs []*csvSeg, j int, k colKind, total int, slab *memory.Buffer) arrow.Array {
	if slab != nil && (k == kBool || k == kStr) {
		slab.Release()
		slab = nil
	}
	switch k {
	case kInt, kTime, kFloat:
		if slab == nil {
			slab = memory.NewResizableBuffer(mem)
			slab.Resize(8 * total)
		}
		packFixed(slab, segs, j)
		vb, nulls := segValidity(mem, segs, j, total)
		dt := arrow.DataType(arrow.PrimitiveTypes.Int64)
		switch k {
		case kTime:
			dt = tsType
		case kFloat:
			dt = arrow.PrimitiveTypes.Float64
		}
		return makeArray(dt, total, nulls, vb, slab)
	case kBool:
		buf := memory.NewResizableBuffer(mem)
		buf.Resize(int(bitutil.BytesForBits(int64(total))))
		b := buf.Bytes()
		for i := range b {
			b[i] = 0
		}
		row := 0
		for _, s := range segs {
			for i, v := range s.cols[j].bools {
				if v {
					bitutil.SetBit(b, row+i)
				}
			}
			row += len(s.rows)
		}
		vb, nulls := segValidity(mem, segs, j, total)
		return makeArray(arrow.FixedWidthTypes.Boolean, total, nulls, vb, buf)
	}
	return buildStrings(mem, segs, j, total)
}

// packFixed moves each segment's eight-byte values of column j from its
// window of the slab down to its first row, and cuts the slab to the rows.
// A segment's window starts at or after its first row and ends before the
// next segment's rows, so nothing is overwritten before it is moved.
func packFixed(slab *memory.Buffer, segs []*csvSeg, j int) {
	dst := slab.Bytes()
	row := 0
	for _, s := range segs {
		c := &s.cols[j]
		n := len(s.rows)
		var src []byte
		switch c.kind {
		case kInt, kTime:
			src = view8(c.ints)
		case kFloat:
			src = view8(c.floats)
		}
		d := dst[8*row : 8*(row+n)]
		if len(src) != len(d) || !startsAt(src, d) {
			// Rows of a segment that held only nulls read as zero.
			clear(d[copy(d, src):])
		}
		row += n
	}
	slab.Resize(8 * row)
}

// view8 is the bytes of a slice of eight-byte values.
func view8[T int64 | float64](a []T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(a))), 8*len(a))
}

// buildStrings dictionary-encodes a string column when at most half its
// values are distinct and it has at least 16 rows, as stringArray does.
func buildStrings(mem memory.Allocator, segs []*csvSeg, j, total int) arrow.Array {
	limit := total / 2
	useDict := total >= 16
	anyPlain := false
	for _, s := range segs {
		anyPlain = anyPlain || s.cols[j].plain
	}
	var levels []string
	var remap [][]int32
	if useDict {
		seen := make(map[string]int32)
		remap = make([][]int32, len(segs))
	count:
		for k, s := range segs {
			c := &s.cols[j]
			if c.plain {
				start := int32(0)
				for i, end := range c.sends {
					if c.valid == nil || c.valid[i] {
						v := bstr(c.sdata[start:end])
						if _, ok := seen[v]; !ok {
							if len(levels) >= limit {
								useDict = false
								break count
							}
							seen[v] = int32(len(levels))
							levels = append(levels, v)
						}
					}
					start = end
				}
				continue
			}
			remap[k] = make([]int32, len(c.dict.levels))
			for i, v := range c.dict.levels {
				g, ok := seen[v]
				if !ok {
					if len(levels) >= limit {
						useDict = false
						break count
					}
					g = int32(len(levels))
					seen[v] = g
					levels = append(levels, v)
				}
				remap[k][i] = g
			}
		}
		if useDict && anyPlain {
			// Codes for plain segments come from the finished map.
			for k, s := range segs {
				c := &s.cols[j]
				if !c.plain {
					continue
				}
				codes := make([]int32, len(c.sends))
				start := int32(0)
				for i, end := range c.sends {
					if c.valid == nil || c.valid[i] {
						codes[i] = seen[bstr(c.sdata[start:end])]
					}
					start = end
				}
				c.codes = codes
				remap[k] = nil
			}
		}
	}
	if len(levels) == 0 {
		// Every value is null: there is nothing to code, and the codes of
		// the null rows would index an empty dictionary.
		useDict = false
	}
	vb, nulls := segValidity(mem, segs, j, total)
	if useDict {
		ibuf, dst := allocFixed[int32](mem, total)
		row := 0
		for k, s := range segs {
			c := &s.cols[j]
			if m := remap[k]; m != nil {
				for i, code := range c.codes {
					dst[row+i] = m[code]
				}
			} else {
				copy(dst[row:], c.codes)
			}
			row += len(s.rows)
		}
		idx := makeArray(arrow.PrimitiveTypes.Int32, total, nulls, vb, ibuf)
		dict := plainStringArray(mem, levels, nil)
		out := array.NewDictionaryArray(dictType, idx, dict)
		idx.Release()
		dict.Release()
		return out
	}
	size := 0
	for _, s := range segs {
		c := &s.cols[j]
		if c.plain {
			size += len(c.sdata)
			continue
		}
		for i, code := range c.codes {
			if c.valid == nil || c.valid[i] {
				size += len(c.dict.levels[code])
			}
		}
	}
	size = min(size, 1<<31-1)
	offBuf, offs := allocFixed[int32](mem, total+1)
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(size)
	db := dataBuf.Bytes()
	row, at := 0, 0
	for _, s := range segs {
		c := &s.cols[j]
		if c.plain {
			base := int32(at)
			at += copy(db[at:], c.sdata)
			for i, end := range c.sends {
				offs[row+i+1] = base + end
			}
		} else {
			for i, code := range c.codes {
				if c.valid == nil || c.valid[i] {
					at += copy(db[at:], c.dict.levels[code])
				}
				offs[row+i+1] = int32(at)
			}
		}
		row += len(s.rows)
	}
	offs[0] = 0
	return makeArray(arrow.BinaryTypes.String, total, nulls, vb, offBuf, dataBuf)
}
