package data

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/metadata"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// WriteParquet writes f to path in one go (see ParquetWriter to append).
func (f *Frame) WriteParquet(path string, opts ...ParquetOptions) error {
	w, err := CreateParquet(path, opts...)
	if err != nil {
		return err
	}
	if err := w.Write(f); err != nil {
		w.abort()
		return err
	}
	return w.Close()
}

// ParquetWriter appends frames to a Parquet file; the first frame fixes the
// schema. Each row group's columns are encoded and compressed in parallel,
// one column per core at a time, and written in order when the row group
// is complete, so a writer holds one compressed row group in memory.
type ParquetWriter struct {
	fh     *os.File
	dst    io.Writer
	o      ParquetOptions
	fw     *file.Writer
	aprops pqarrow.ArrowWriterProperties
	schema Schema
}

// CreateParquet creates (or truncates) path for writing.
func CreateParquet(path string, opts ...ParquetOptions) (*ParquetWriter, error) {
	if _, err := codec(pqOpts(opts).Compression); err != nil {
		return nil, err
	}
	fh, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := NewParquetWriter(fh, opts...)
	w.fh = fh
	return w, nil
}

// NewParquetWriter writes Parquet to dst.
func NewParquetWriter(dst io.Writer, opts ...ParquetOptions) *ParquetWriter {
	return &ParquetWriter{dst: dst, o: pqOpts(opts)}
}

// start sets the file's schema, properties and footer metadata from f.
func (w *ParquetWriter) start(f *Frame) error {
	c, err := codec(w.o.Compression)
	if err != nil {
		return err
	}
	// Dictionary pages pay for strings; for numbers, hashing every
	// value costs more write time than it saves space. Statistics are
	// on for every column, as the Parquet writers of pyarrow and Spark
	// default to.
	popts := []parquet.WriterProperty{
		parquet.WithCompression(c),
		parquet.WithAllocator(w.o.Allocator),
		parquet.WithMaxRowGroupLength(int64(w.o.RowGroupRows)),
		parquet.WithDictionaryDefault(false),
		parquet.WithStats(true),
	}
	for _, fl := range f.schema {
		if fl.Type == String {
			popts = append(popts, parquet.WithDictionaryFor(fl.Name, true))
		}
	}
	props := parquet.NewWriterProperties(popts...)
	w.aprops = pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(w.o.Allocator))
	as := plainSchema(f.arrowSchema())
	pqschema, err := pqarrow.ToParquet(as, props, w.aprops)
	if err != nil {
		return err
	}
	// The Arrow schema goes in the footer as pqarrow's own writer stores it,
	// so Arrow readers get the exact column types back.
	var ser bytes.Buffer
	iw := ipc.NewWriter(&ser, ipc.WithSchema(as), ipc.WithAllocator(w.o.Allocator))
	if err := iw.Close(); err != nil {
		return err
	}
	meta := metadata.KeyValueMetadata{}
	keys := make([]string, 0, len(w.o.Metadata))
	for k := range w.o.Metadata {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		meta.Append(k, w.o.Metadata[k])
	}
	meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(ser.Bytes()))
	w.fw = file.NewParquetWriter(w.dst, pqschema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(meta))
	w.schema = f.Schema()
	return nil
}

// Write appends f as one or more row groups.
func (w *ParquetWriter) Write(f *Frame) error {
	if err := f.live(); err != nil {
		return err
	}
	if w.fw == nil {
		if err := w.start(f); err != nil {
			return err
		}
	} else if got := f.Schema(); !sameSchema(got, w.schema) {
		return fmt.Errorf("frame schema (%s) differs from the file's (%s)", got, w.schema)
	}
	for lo := 0; lo < f.nrows || (lo == 0 && f.nrows == 0); lo += w.o.RowGroupRows {
		part := f.Slice(lo, lo+w.o.RowGroupRows)
		err := w.writeRowGroup(part)
		part.Release()
		if err != nil {
			return err
		}
		if f.nrows == 0 {
			break
		}
	}
	return nil
}

// writeRowGroup encodes f's columns in parallel into one buffered row
// group and writes it out.
func (w *ParquetWriter) writeRowGroup(f *Frame) error {
	rgw := w.fw.AppendBufferedRowGroup()
	// Def levels of a column without nulls are all 1; the columns share
	// one read-only slice of them.
	ones := make([]int16, f.nrows)
	for i := range ones {
		ones[i] = 1
	}
	errs := make([]error, len(f.schema))
	parallel(len(f.schema), func(i int) {
		cw, err := rgw.Column(i)
		if err != nil {
			errs[i] = err
			return
		}
		errs[i] = w.writeColumn(cw, f.col(i), ones)
		if errs[i] != nil {
			errs[i] = fmt.Errorf("column %q: %w", f.schema[i].Name, errs[i])
		}
		reclaim()
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	err := rgw.Close()
	reclaim()
	return err
}

// directDictBytes bounds the levels of a dictionary column written as its
// own Parquet dictionary: far below the writer's 1 MiB dictionary page
// limit, so the page never overflows into pqarrow v15's fallback to plain
// encoding midway through a column, which it mishandles.
const directDictBytes = 256 << 10

// writeColumn encodes one column chunk. A dictionary column with a small
// dictionary keeps its codes, written as the pages' dictionary indices,
// so no value is hashed again; others are written as plain strings, which
// Parquet dictionary-encodes itself. Readers ask for dictionary arrays back
// either way.
func (w *ParquetWriter) writeColumn(cw file.ColumnChunkWriter, arr arrow.Array, ones []int16) error {
	if d, ok := arr.(*array.Dictionary); ok {
		if dict := d.Dictionary().(*array.String); len(dict.ValueBytes())+4*dict.Len() <= directDictBytes {
			arr = unsliced(w.o.Allocator, d)
		} else {
			arr = plainStringArray(w.o.Allocator, stringsOf(arr), validOf(arr))
		}
		defer arr.Release()
	}
	defs := ones
	if arr.NullN() > 0 {
		defs = make([]int16, arr.Len())
		bm := arr.NullBitmapBytes()
		off := arr.Data().Offset()
		for i := range defs {
			if bitutil.BitIsSet(bm, off+i) {
				defs[i] = 1
			}
		}
	}
	// A write context holds scratch buffers, so each column has its own.
	ctx := pqarrow.NewArrowWriteContext(context.Background(), &w.aprops)
	return pqarrow.WriteArrowToColumn(ctx, cw, arr, defs, nil, true)
}

// unsliced returns d (retained) or, when d is a slice of a longer array, a
// copy starting at offset 0, as pqarrow v15 fails on sliced dictionary
// arrays.
func unsliced(mem memory.Allocator, d *array.Dictionary) arrow.Array {
	if d.Data().Offset() == 0 {
		d.Retain()
		return d
	}
	idx := make([]int32, d.Len())
	for i := range idx {
		idx[i] = int32(i)
	}
	return takeRows(mem, d, idx, false)
}

func sameSchema(a, b Schema) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Type != b[i].Type {
			return false
		}
	}
	return true
}

// Close writes the footer and closes the file made by CreateParquet.
func (w *ParquetWriter) Close() error {
	var err error
	if w.fw != nil {
		err = w.fw.Close() // closes dst when it is an io.Closer
	} else if w.fh != nil {
		err = errors.New("parquet: nothing written")
		w.fh.Close()
	}
	return err
}

func (w *ParquetWriter) abort() {
	if w.fw != nil {
		w.fw.Close()
	} else if w.fh != nil {
		w.fh.Close()
	}
}

func plainSchema(s *arrow.Schema) *arrow.Schema {
	fields := s.Fields()
	for i, fl := range fields {
		if fl.Type.ID() == arrow.DICTIONARY {
			fields[i].Type = arrow.BinaryTypes.String
		}
	}
	return arrow.NewSchema(fields, nil)
}
