package data

import (
	"errors"
	"fmt"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// This file decodes the common flat columns of a whole-file read straight
// into the Frame's final Arrow buffers, sized from the footer's row count:
// int64 and float64 values in place, strings as dictionary codes. pqarrow's
// record readers, used for every other column, decode into growing
// builders and copy, which for a 10M-row file made gigabytes of garbage.

// readColumn decodes column i of the file read by fr.
func readColumn(fr *pqarrow.FileReader, i int, field arrow.Field, mem memory.Allocator) (arrow.Array, error) {
	pf := fr.ParquetReader()
	switch {
	case flatColumn(pf, i, field.Type):
		return readFlat(pf, i, field.Type, mem)
	case stringColumn(pf, i, field.Type):
		arr, err := readStrings(pf, i, mem)
		if err == nil || !errors.Is(err, errUniqueStrings) {
			return arr, err
		}
	}
	return readParquetColumn(fr, i, field, mem)
}

// flatLeaf reports whether column i is neither repeated nor nested.
func flatLeaf(pf *file.Reader, i int) bool {
	c := pf.MetaData().Schema.Column(i)
	return c.MaxRepetitionLevel() == 0 && c.MaxDefinitionLevel() <= 1
}

// flatColumn reports whether column i holds plain int64 or float64 values
// that pqarrow would read as Arrow type dt, nullable or not.
func flatColumn(pf *file.Reader, i int, dt arrow.DataType) bool {
	if !flatLeaf(pf, i) {
		return false
	}
	switch pf.MetaData().Schema.Column(i).PhysicalType() {
	case parquet.Types.Int64:
		return arrow.TypeEqual(dt, arrow.PrimitiveTypes.Int64)
	case parquet.Types.Double:
		return arrow.TypeEqual(dt, arrow.PrimitiveTypes.Float64)
	}
	return false
}

// flatBatch is how many values readFlat asks for at a time.
const flatBatch = 1 << 16

// readFlat reads a column for which flatColumn holds straight into one
// Arrow buffer: the values are decoded in place, and nulls spread them out
// afterwards. pqarrow's record reader would decode into builders and copy.
func readFlat(pf *file.Reader, i int, dt arrow.DataType, mem memory.Allocator) (arrow.Array, error) {
	n := int(pf.NumRows())
	buf, vals := allocFixed[int64](mem, n)
	var valid *memory.Buffer // made at the first null
	fail := func(err error) (arrow.Array, error) {
		buf.Release()
		if valid != nil {
			valid.Release()
		}
		return nil, fmt.Errorf("column %d: %w", i, err)
	}
	maxDef := pf.MetaData().Schema.Column(i).MaxDefinitionLevel()
	defs := make([]int16, flatBatch)
	row, nulls := 0, 0
	for rg := 0; rg < pf.NumRowGroups(); rg++ {
		cr, err := pf.RowGroup(rg).Column(i)
		if err != nil {
			return fail(err)
		}
		end := row + int(pf.MetaData().RowGroups[rg].GetNumRows())
		if end > n {
			return fail(errors.New("row groups hold more rows than the file"))
		}
		for row < end {
			want := int64(min(flatBatch, end-row))
			var total int64
			var read int
			switch r := cr.(type) {
			case *file.Int64ColumnChunkReader:
				total, read, err = r.ReadBatch(want, vals[row:end], defs, nil)
			case *file.Float64ColumnChunkReader:
				total, read, err = r.ReadBatch(want, view[float64](view8(vals[row:end])), defs, nil)
			default:
				err = fmt.Errorf("unexpected reader %T", cr)
			}
			if err == nil && total == 0 {
				err = fmt.Errorf("row group %d ended after %d of its rows", rg, row)
			}
			if err != nil {
				return fail(err)
			}
			if read < int(total) {
				if valid == nil {
					valid = memory.NewResizableBuffer(mem)
					valid.Resize(int(bitutil.BytesForBits(int64(n))))
					bitutil.SetBitsTo(valid.Bytes(), 0, int64(n), true)
				}
				// Move the dense values out to their rows, last first.
				vb := valid.Bytes()
				k := read - 1
				for r := int(total) - 1; r >= 0; r-- {
					if defs[r] == maxDef {
						vals[row+r] = vals[row+k]
						k--
					} else {
						vals[row+r] = 0
						bitutil.ClearBit(vb, row+r)
						nulls++
					}
				}
			}
			row += int(total)
		}
	}
	if row != n {
		return fail(fmt.Errorf("read %d of %d rows", row, n))
	}
	return makeArray(dt, n, nulls, valid, buf), nil
}

// stringColumn reports whether column i holds flat byte arrays that pqarrow
// would read as a dictionary of strings (see readProps).
func stringColumn(pf *file.Reader, i int, dt arrow.DataType) bool {
	if !flatLeaf(pf, i) || pf.MetaData().Schema.Column(i).PhysicalType() != parquet.Types.ByteArray {
		return false
	}
	d, ok := dt.(*arrow.DictionaryType)
	return ok && arrow.TypeEqual(d, dictType)
}

// errUniqueStrings stops readStrings on a column with so many distinct
// values that a dictionary would not pay; pqarrow then reads it plain.
var errUniqueStrings = errors.New("too many distinct strings for a dictionary")

// readStrings reads a string column into dictionary codes written straight
// into one Arrow buffer, numbering the values across row groups in one
// table, so that no per-row-group dictionary array is built, unified and
// dropped. The values of a batch point into the page they were decoded
// from; only each new level is copied.
func readStrings(pf *file.Reader, i int, mem memory.Allocator) (arrow.Array, error) {
	n := int(pf.NumRows())
	buf, codes := allocFixed[int32](mem, n)
	var valid *memory.Buffer // made at the first null
	fail := func(err error) (arrow.Array, error) {
		buf.Release()
		if valid != nil {
			valid.Release()
		}
		if errors.Is(err, errUniqueStrings) {
			return nil, err
		}
		return nil, fmt.Errorf("column %d: %w", i, err)
	}
	maxDef := pf.MetaData().Schema.Column(i).MaxDefinitionLevel()
	maxLevels := max(16, n/2)
	var levels strDict
	code := func(b []byte) int32 {
		c, _ := levels.find(b)
		if c < 0 {
			c = levels.add(b)
		}
		return c
	}
	defs := make([]int16, flatBatch)
	vals := make([]parquet.ByteArray, flatBatch)
	row, nulls := 0, 0
	for rg := 0; rg < pf.NumRowGroups(); rg++ {
		cr, err := pf.RowGroup(rg).Column(i)
		if err != nil {
			return fail(err)
		}
		br, ok := cr.(*file.ByteArrayColumnChunkReader)
		if !ok {
			return fail(fmt.Errorf("unexpected reader %T", cr))
		}
		end := row + int(pf.MetaData().RowGroups[rg].GetNumRows())
		if end > n {
			return fail(errors.New("row groups hold more rows than the file"))
		}
		for row < end {
			total, read, err := br.ReadBatch(int64(min(flatBatch, end-row)), vals, defs, nil)
			if err == nil && total == 0 {
				err = fmt.Errorf("row group %d ended after %d of its rows", rg, row)
			}
			if err != nil {
				return fail(err)
			}
			out := codes[row : row+int(total)]
			if read == int(total) {
				for k, v := range vals[:read] {
					out[k] = code(v)
				}
			} else {
				if valid == nil {
					valid = memory.NewResizableBuffer(mem)
					valid.Resize(int(bitutil.BytesForBits(int64(n))))
					bitutil.SetBitsTo(valid.Bytes(), 0, int64(n), true)
				}
				vb := valid.Bytes()
				k := 0
				for r := range out {
					if defs[r] == maxDef {
						out[r] = code(vals[k])
						k++
					} else {
						out[r] = 0
						bitutil.ClearBit(vb, row+r)
						nulls++
					}
				}
			}
			if len(levels.levels) > maxLevels {
				return fail(errUniqueStrings)
			}
			row += int(total)
		}
	}
	if row != n {
		return fail(fmt.Errorf("read %d of %d rows", row, n))
	}
	idx := makeArray(arrow.PrimitiveTypes.Int32, n, nulls, valid, buf)
	dict := plainStringArray(mem, levels.levels, nil)
	out := array.NewDictionaryArray(dictType, idx, dict)
	idx.Release()
	dict.Release()
	return out, nil
}
