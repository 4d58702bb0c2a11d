package data

import (
	"fmt"
	"math/bits"
	"time"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// This file holds the native building blocks every operation uses: building
// Arrow arrays straight from Go slices, reading them back as slices, and
// gathering rows by index.

// allocFixed returns a buffer of n values of T and a slice viewing it, so
// callers fill Arrow memory directly instead of copying from a Go slice.
func allocFixed[T int64 | float64 | int32](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	var zero T
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n * int(unsafe.Sizeof(zero)))
	if n == 0 {
		return buf, nil
	}
	return buf, unsafe.Slice((*T)(unsafe.Pointer(&buf.Bytes()[0])), n)
}

// validityBuf packs valid into an Arrow bitmap. It returns nil and 0 when
// every value is valid.
func validityBuf(mem memory.Allocator, valid []bool, n int) (*memory.Buffer, int) {
	if valid == nil {
		return nil, 0
	}
	nulls := 0
	for _, v := range valid[:n] {
		if !v {
			nulls++
		}
	}
	if nulls == 0 {
		return nil, 0
	}
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	b := buf.Bytes()
	for i := range b {
		b[i] = 0
	}
	for i, v := range valid[:n] {
		if v {
			bitutil.SetBit(b, i)
		}
	}
	return buf, nulls
}

// makeArray wraps buffers as an array and drops the caller's references.
func makeArray(dt arrow.DataType, n int, nulls int, bufs ...*memory.Buffer) arrow.Array {
	d := array.NewData(dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	arr := array.MakeFromData(d)
	d.Release()
	return arr
}

func fixedArray[T int64 | float64 | int32](mem memory.Allocator, dt arrow.DataType, vals []T, valid []bool) arrow.Array {
	buf, dst := allocFixed[T](mem, len(vals))
	copy(dst, vals)
	vb, nulls := validityBuf(mem, valid, len(vals))
	return makeArray(dt, len(vals), nulls, vb, buf)
}

func boolArray(mem memory.Allocator, vals []bool, valid []bool) arrow.Array {
	n := len(vals)
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	b := buf.Bytes()
	for i := range b {
		b[i] = 0
	}
	for i, v := range vals {
		if v {
			bitutil.SetBit(b, i)
		}
	}
	vb, nulls := validityBuf(mem, valid, n)
	return makeArray(arrow.FixedWidthTypes.Boolean, n, nulls, vb, buf)
}

// plainStringArray builds a non-dictionary string array.
func plainStringArray(mem memory.Allocator, vals []string, valid []bool) arrow.Array {
	n := len(vals)
	total := 0
	for _, s := range vals {
		total += len(s)
	}
	if total > 1<<31-1 {
		// Beyond 32-bit offsets; callers split work into chunks before this.
		total = 1<<31 - 1
	}
	offBuf, offs := allocFixed[int32](mem, n+1)
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(total)
	db := dataBuf.Bytes()
	pos := 0
	for i, s := range vals {
		offs[i] = int32(pos)
		if valid == nil || valid[i] {
			pos += copy(db[pos:], s)
		}
	}
	offs[n] = int32(pos)
	vb, nulls := validityBuf(mem, valid, n)
	return makeArray(arrow.BinaryTypes.String, n, nulls, vb, offBuf, dataBuf)
}

// dictArray builds a dictionary<int32, string> array from codes and levels.
// Null rows must carry a valid code (any) and valid[i] false.
func dictArray(mem memory.Allocator, codes []int32, levels []string, valid []bool) arrow.Array {
	idx := fixedArray(mem, arrow.PrimitiveTypes.Int32, codes, valid)
	dict := plainStringArray(mem, levels, nil)
	out := array.NewDictionaryArray(dictType, idx, dict)
	idx.Release()
	dict.Release()
	return out
}

// stringArray builds a string column, dictionary-encoding it when at most
// half the values are distinct (and there are enough rows for it to pay).
func stringArray(mem memory.Allocator, vals []string, valid []bool) arrow.Array {
	n := len(vals)
	if n >= 16 {
		if codes, levels, ok := encodeDict(vals, valid, n/2); ok {
			return dictArray(mem, codes, levels, valid)
		}
	}
	return plainStringArray(mem, vals, valid)
}

// encodeDict assigns codes to distinct values, giving up once more than
// limit distinct values are seen.
func encodeDict(vals []string, valid []bool, limit int) ([]int32, []string, bool) {
	codes := make([]int32, len(vals))
	seen := make(map[string]int32)
	var levels []string
	for i, s := range vals {
		if valid != nil && !valid[i] {
			continue
		}
		c, ok := seen[s]
		if !ok {
			if len(levels) >= limit {
				return nil, nil, false
			}
			c = int32(len(levels))
			seen[s] = c
			levels = append(levels, s)
		}
		codes[i] = c
	}
	return codes, levels, true
}

// validOf returns the validity of arr as bools, or nil when nothing is null.
func validOf(arr arrow.Array) []bool {
	if arr.NullN() == 0 {
		return nil
	}
	n := arr.Len()
	out := make([]bool, n)
	bm := arr.NullBitmapBytes()
	off := arr.Data().Offset()
	if bm == nil {
		return nil
	}
	for i := range out {
		out[i] = bitutil.BitIsSet(bm, off+i)
	}
	return out
}

// stringsOf returns the values of a string or dictionary column as Go
// strings. The strings alias Arrow memory and live as long as arr.
func stringsOf(arr arrow.Array) []string {
	n := arr.Len()
	out := make([]string, n)
	switch a := arr.(type) {
	case *array.String:
		for i := range out {
			if a.IsValid(i) {
				out[i] = a.Value(i)
			}
		}
	case *array.Dictionary:
		codes, levels := codesOf(a)
		for i, c := range codes {
			if c >= 0 {
				out[i] = levels[c]
			}
		}
	}
	return out
}

// codesOf returns per-row codes (-1 for null) and the levels of a string or
// dictionary column.
func codesOf(arr arrow.Array) ([]int32, []string) {
	switch a := arr.(type) {
	case *array.Dictionary:
		dict := a.Dictionary().(*array.String)
		levels := make([]string, dict.Len())
		for i := range levels {
			levels[i] = dict.Value(i)
		}
		codes := make([]int32, a.Len())
		idx := a.Indices().(*array.Int32).Int32Values()
		copy(codes, idx)
		if a.NullN() > 0 {
			for i := range codes {
				if a.IsNull(i) {
					codes[i] = -1
				}
			}
		}
		return codes, levels
	case *array.String:
		codes := make([]int32, a.Len())
		seen := make(map[string]int32)
		var levels []string
		for i := range codes {
			if a.IsNull(i) {
				codes[i] = -1
				continue
			}
			s := a.Value(i)
			c, ok := seen[s]
			if !ok {
				c = int32(len(levels))
				seen[s] = c
				levels = append(levels, s)
			}
			codes[i] = c
		}
		return codes, levels
	}
	return nil, nil
}

// take gathers rows idx from arr; an index of -1 yields null.
func take(mem memory.Allocator, arr arrow.Array, idx []int32) arrow.Array {
	return takeRows(mem, arr, idx, hasNeg(idx))
}

// takeRows is take for callers that know whether idx holds a -1, so that
// gathering many columns by one index scans it once. Values and validity
// are gathered straight into Arrow buffers.
func takeRows(mem memory.Allocator, arr arrow.Array, idx []int32, neg bool) arrow.Array {
	n := len(idx)
	vb, nulls := takeValidity(mem, arr, idx, neg)
	switch a := arr.(type) {
	case *array.Int64:
		return makeArray(arr.DataType(), n, nulls, vb, gather(mem, a.Int64Values(), idx, neg))
	case *array.Timestamp:
		return makeArray(arr.DataType(), n, nulls, vb, gather(mem, tsInts(a.TimestampValues()), idx, neg))
	case *array.Float64:
		return makeArray(arr.DataType(), n, nulls, vb, gather(mem, a.Float64Values(), idx, neg))
	case *array.Boolean:
		return makeArray(arr.DataType(), n, nulls, vb, gatherBits(mem, a, idx))
	case *array.String:
		if vb != nil {
			vb.Release()
		}
		var valid []bool
		if nulls > 0 {
			valid = make([]bool, n)
		}
		vals := make([]string, n)
		for j, i := range idx {
			if i >= 0 && a.IsValid(int(i)) {
				vals[j] = a.Value(int(i))
				if valid != nil {
					valid[j] = true
				}
			}
		}
		return plainStringArray(mem, vals, valid)
	case *array.Dictionary:
		codes := a.Indices().(*array.Int32).Int32Values()
		ia := makeArray(arrow.PrimitiveTypes.Int32, n, nulls, vb, gather(mem, codes, idx, neg))
		out := array.NewDictionaryArray(a.DataType(), ia, a.Dictionary())
		ia.Release()
		return out
	}
	if vb != nil {
		vb.Release()
	}
	panic(fmt.Sprintf("data: take on unsupported type %s", arr.DataType()))
}

// gather returns a buffer of src[idx[j]], zero where idx[j] is -1.
func gather[T int64 | float64 | int32](mem memory.Allocator, src []T, idx []int32, neg bool) *memory.Buffer {
	buf, dst := allocFixed[T](mem, len(idx))
	dst = dst[:len(idx)]
	if !neg {
		for j, i := range idx {
			dst[j] = src[i]
		}
		return buf
	}
	for j, i := range idx {
		if i >= 0 {
			dst[j] = src[i]
		}
	}
	return buf
}

// gatherBits gathers the value bits of a boolean array a byte at a time.
func gatherBits(mem memory.Allocator, a *array.Boolean, idx []int32) *memory.Buffer {
	n := len(idx)
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	dst := buf.Bytes()
	src := a.Data().Buffers()[1].Bytes()
	off := a.Data().Offset()
	for b := range dst {
		var x byte
		lo := b * 8
		for k, i := range idx[lo:min(lo+8, n)] {
			if i >= 0 && bitutil.BitIsSet(src, off+int(i)) {
				x |= 1 << k
			}
		}
		dst[b] = x
	}
	return buf
}

// takeValidity gathers arr's validity for idx, -1 counting as null; it
// returns nil when every gathered value is valid.
func takeValidity(mem memory.Allocator, arr arrow.Array, idx []int32, neg bool) (*memory.Buffer, int) {
	if arr.NullN() == 0 && !neg {
		return nil, 0
	}
	n := len(idx)
	src := arr.NullBitmapBytes()
	off := arr.Data().Offset()
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	dst := buf.Bytes()
	valid := 0
	for b := range dst {
		var x byte
		lo := b * 8
		for k, i := range idx[lo:min(lo+8, n)] {
			if i >= 0 && (src == nil || bitutil.BitIsSet(src, off+int(i))) {
				x |= 1 << k
			}
		}
		dst[b] = x
		valid += bits.OnesCount8(x)
	}
	if valid == n {
		buf.Release()
		return nil, 0
	}
	return buf, n - valid
}

func hasNeg(idx []int32) bool {
	for _, i := range idx {
		if i < 0 {
			return true
		}
	}
	return false
}

// normalize converts an array from a foreign source (Parquet, IPC, a caller's
// record) to one of the Arrow types a Frame holds. It always returns a new
// reference the caller owns.
func normalize(mem memory.Allocator, name string, arr arrow.Array) (arrow.Array, error) {
	n := arr.Len()
	switch a := arr.(type) {
	case *array.Int64, *array.Float64, *array.String, *array.Boolean:
		arr.Retain()
		return arr, nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		if unit == arrow.Microsecond {
			arr.Retain()
			return arr, nil
		}
		src := a.TimestampValues()
		buf, dst := allocFixed[int64](mem, n)
		for i, v := range src {
			dst[i] = toMicros(int64(v), unit)
		}
		vb, nulls := validityBuf(mem, validOf(arr), n)
		return makeArray(tsType, n, nulls, vb, buf), nil
	case *array.Dictionary:
		dt := a.DataType().(*arrow.DictionaryType)
		if dt.IndexType.ID() == arrow.INT32 && dt.ValueType.ID() == arrow.STRING {
			arr.Retain()
			return arr, nil
		}
		if dt.ValueType.ID() == arrow.STRING || dt.ValueType.ID() == arrow.LARGE_STRING {
			vals := make([]string, n)
			for i := range vals {
				if a.IsValid(i) {
					vals[i] = a.ValueStr(i)
				}
			}
			return stringArray(mem, vals, validOf(arr)), nil
		}
	case *array.LargeString:
		vals := make([]string, n)
		for i := range vals {
			if a.IsValid(i) {
				vals[i] = a.Value(i)
			}
		}
		return plainStringArray(mem, vals, validOf(arr)), nil
	case *array.Float32:
		vals := make([]float64, n)
		for i, v := range a.Float32Values() {
			vals[i] = float64(v)
		}
		return fixedArray(mem, arrow.PrimitiveTypes.Float64, vals, validOf(arr)), nil
	case *array.Date32:
		vals := make([]int64, n)
		for i, v := range a.Date32Values() {
			vals[i] = int64(v) * 86400 * 1e6
		}
		return fixedArray(mem, tsType, vals, validOf(arr)), nil
	case *array.Date64:
		vals := make([]int64, n)
		for i, v := range a.Date64Values() {
			vals[i] = int64(v) * 1000
		}
		return fixedArray(mem, tsType, vals, validOf(arr)), nil
	}
	if ints, ok := intsOf(arr); ok {
		return fixedArray(mem, arrow.PrimitiveTypes.Int64, ints, validOf(arr)), nil
	}
	return nil, fmt.Errorf("column %q: unsupported Arrow type %s", name, arr.DataType())
}

func intsOf(arr arrow.Array) ([]int64, bool) {
	out := make([]int64, arr.Len())
	switch a := arr.(type) {
	case *array.Int8:
		for i, v := range a.Int8Values() {
			out[i] = int64(v)
		}
	case *array.Int16:
		for i, v := range a.Int16Values() {
			out[i] = int64(v)
		}
	case *array.Int32:
		for i, v := range a.Int32Values() {
			out[i] = int64(v)
		}
	case *array.Uint8:
		for i, v := range a.Uint8Values() {
			out[i] = int64(v)
		}
	case *array.Uint16:
		for i, v := range a.Uint16Values() {
			out[i] = int64(v)
		}
	case *array.Uint32:
		for i, v := range a.Uint32Values() {
			out[i] = int64(v)
		}
	case *array.Uint64:
		for i, v := range a.Uint64Values() {
			out[i] = int64(v)
		}
	default:
		return nil, false
	}
	return out, true
}

func toMicros(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1e6
	case arrow.Millisecond:
		return v * 1e3
	case arrow.Nanosecond:
		return v / 1e3
	}
	return v
}

func microsToTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

func arrayOfNull(mem memory.Allocator, dt arrow.DataType) arrow.Array {
	return array.MakeArrayOfNull(mem, dt, 0)
}
