package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
	"github.com/apache/arrow/go/v15/parquet"
	"github.com/apache/arrow/go/v15/parquet/compress"
	"github.com/apache/arrow/go/v15/parquet/file"
	"github.com/apache/arrow/go/v15/parquet/pqarrow"
)

// ParquetOptions controls Parquet reading and writing.
type ParquetOptions struct {
	// Compression is "snappy" (default), "zstd", "gzip", "brotli" or "none".
	Compression string
	// RowGroupRows caps the rows per row group when writing (default 1<<20).
	RowGroupRows int
	// BatchRows is the chunk size of a ParquetReader (default 65536).
	BatchRows int
	// Metadata is stored in the file footer as key-value pairs.
	Metadata  map[string]string
	Allocator memory.Allocator
}

func pqOpts(opts []ParquetOptions) ParquetOptions {
	var o ParquetOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = 1 << 20
	}
	if o.BatchRows <= 0 {
		o.BatchRows = 65536
	}
	return o
}

func codec(name string) (compress.Compression, error) {
	switch strings.ToLower(name) {
	case "", "snappy":
		return compress.Codecs.Snappy, nil
	case "zstd":
		return compress.Codecs.Zstd, nil
	case "gzip":
		return compress.Codecs.Gzip, nil
	case "brotli":
		return compress.Codecs.Brotli, nil
	case "none", "uncompressed":
		return compress.Codecs.Uncompressed, nil
	}
	return 0, fmt.Errorf("unknown compression %q (want snappy, zstd, gzip, brotli or none)", name)
}

// ReadParquet reads a whole Parquet file, decoding columns in parallel.
func ReadParquet(path string, opts ...ParquetOptions) (*Frame, error) {
	o := pqOpts(opts)
	f, err := readParquet(path, o.Allocator)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// readParquet decodes every column of the file, one column per core at a
// time and the biggest first, so the cores finish together and only a few
// columns' pages are live at once (pqarrow's own parallel read starts all
// columns together). Each core has its own reader of the file, whose page
// buffers are recycled from one column to the next.
func readParquet(path string, mem memory.Allocator) (*Frame, error) {
	workers := runtime.GOMAXPROCS(0)
	open := func() (*pqarrow.FileReader, *pageArena, error) {
		arena := &pageArena{}
		pf, err := file.OpenParquetFile(path, false, file.WithReadProps(readerProps(arena)))
		if err != nil {
			return nil, nil, err
		}
		fr, err := pqarrow.NewFileReader(pf, readProps(pf, 1<<20), mem)
		if err != nil {
			pf.Close()
			return nil, nil, err
		}
		return fr, arena, nil
	}
	fr, arena, err := open()
	if err != nil {
		return nil, err
	}
	defer fr.ParquetReader().Close()
	pf := fr.ParquetReader()
	sc, err := fr.Schema()
	if err != nil {
		return nil, err
	}
	n := len(sc.Fields())
	if n != pf.MetaData().Schema.NumColumns() {
		// Nested columns: let pqarrow assemble them.
		fr.Props.Parallel = true
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			return nil, err
		}
		defer tbl.Release()
		return fromTable(mem, tbl)
	}
	size := make([]int64, n)
	for _, rg := range pf.MetaData().RowGroups {
		for i, cc := range rg.GetColumns() {
			if i < n {
				size[i] += cc.GetMetaData().GetTotalUncompressedSize()
			}
		}
	}
	next := make(chan int, n)
	for _, i := range sortedBy(size) {
		next <- i
	}
	close(next)
	names := make([]string, n)
	cols := make([]arrow.Array, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	var openErr error
	for w := 0; w < min(workers, n); w++ {
		wfr, warena := fr, arena
		if w > 0 {
			if wfr, warena, openErr = open(); openErr != nil {
				break
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if w > 0 {
				defer wfr.ParquetReader().Close()
			}
			for i := range next {
				names[i] = sc.Field(i).Name
				cols[i], errs[i] = readColumn(wfr, i, sc.Field(i), mem)
				warena.columnDone()
				reclaim()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(append(errs, openErr)...); err != nil {
		releaseAll(cols)
		return nil, err
	}
	return newFrame(mem, names, cols)
}

// readParquetColumn reads column i with pqarrow.
func readParquetColumn(fr *pqarrow.FileReader, i int, field arrow.Field, mem memory.Allocator) (arrow.Array, error) {
	rdr, err := fr.GetColumn(context.Background(), i)
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	col, err := rdr.NextBatch(fr.ParquetReader().NumRows())
	if err != nil {
		return nil, err
	}
	defer col.Release()
	return flatten(mem, field.Name, col)
}

// sortedBy returns the indices of size from the biggest to the smallest.
func sortedBy(size []int64) []int {
	order := make([]int, len(size))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return size[order[a]] > size[order[b]] })
	return order
}

// pageArena allocates the decompressed pages of one reader's columns.
// pqarrow v15 frees a page's buffer while the page is still being decoded,
// and a dictionary decoder keeps its page until the column ends, so a freed
// buffer is reused only once its column is done, and then without zeroing:
// every page is written whole before it is read.
type pageArena struct {
	mu    sync.Mutex // Free may come from a finalizer
	free  [][]byte   // buffers of finished columns
	freed [][]byte   // buffers the current column has freed
}

func (a *pageArena) Allocate(n int) []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, b := range a.free {
		if cap(b) >= n {
			a.free[k] = a.free[len(a.free)-1]
			a.free = a.free[:len(a.free)-1]
			return b[:n]
		}
	}
	return memory.DefaultAllocator.Allocate(n)
}

func (a *pageArena) Reallocate(n int, b []byte) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	nb := a.Allocate(n)
	copy(nb, b)
	a.Free(b)
	return nb
}

func (a *pageArena) Free(b []byte) {
	if cap(b) > 0 {
		a.mu.Lock()
		a.freed = append(a.freed, b)
		a.mu.Unlock()
	}
}

// columnDone makes the buffers freed so far reusable, keeping a few dozen:
// a column's pages are much alike, and the rest can go to the collector.
func (a *pageArena) columnDone() {
	a.mu.Lock()
	for _, b := range a.freed {
		if len(a.free) < 64 {
			a.free = append(a.free, b)
		}
	}
	clear(a.freed)
	a.freed = a.freed[:0]
	a.mu.Unlock()
}

// fromTable flattens each chunked column into one array.
func fromTable(mem memory.Allocator, tbl arrow.Table) (*Frame, error) {
	n := int(tbl.NumCols())
	names := make([]string, n)
	cols := make([]arrow.Array, n)
	errs := make([]error, n)
	parallel(n, func(i int) {
		col := tbl.Column(i)
		names[i] = col.Name()
		cols[i], errs[i] = flatten(mem, names[i], col.Data())
	})
	if err := errors.Join(errs...); err != nil {
		releaseAll(cols)
		return nil, err
	}
	return newFrame(mem, names, cols)
}

// flatten joins a chunked column into one array of a Frame's types.
func flatten(mem memory.Allocator, name string, col *arrow.Chunked) (arrow.Array, error) {
	chunks := col.Chunks()
	var arr arrow.Array
	switch len(chunks) {
	case 0:
		arr = array.MakeArrayOfNull(mem, col.DataType(), 0)
	case 1:
		arr = chunks[0]
		arr.Retain()
	default:
		if dt, ok := col.DataType().(*arrow.DictionaryType); ok && dt.ValueType.ID() == arrow.STRING {
			// Each row group has its own dictionary, and
			// array.Concatenate in Arrow v15 misplaces the codes after a
			// null when it unifies them: unify them here.
			if u, ok := unifyDicts(mem, chunks, col.NullN() > 0); ok {
				arr = u
				break
			}
			var vals []string
			var valid []bool
			for _, c := range chunks {
				vals = append(vals, stringsOf(c)...)
				v := validOf(c)
				if v == nil {
					v = make([]bool, c.Len())
					for i := range v {
						v[i] = true
					}
				}
				valid = append(valid, v...)
			}
			if col.NullN() == 0 {
				valid = nil
			}
			arr = stringArray(mem, vals, valid)
			break
		}
		var err error
		if arr, err = array.Concatenate(chunks, mem); err != nil {
			return nil, err
		}
	}
	out, err := normalize(mem, name, arr)
	arr.Release()
	if err != nil {
		return nil, err
	}
	// Unique-ish strings gain nothing from a dictionary.
	if d, ok := out.(*array.Dictionary); ok && d.Dictionary().Len() > max(16, d.Len()/2) {
		plain := plainStringArray(mem, stringsOf(d), validOf(d))
		d.Release()
		out = plain
	}
	return out, nil
}

// ParquetReader reads a Parquet file in chunks of at most BatchRows rows,
// decoding one row group at a time, so memory use is bounded by the row
// group size the writer chose.
type ParquetReader struct {
	pf    *file.Reader
	fr    *pqarrow.FileReader
	mem   memory.Allocator
	path  string
	batch int
	rg    int    // next row group to decode
	cur   *Frame // decoded row group being handed out
	off   int
	cols  []int // the columns to decode; nil for all
}

// project limits decoding to the named columns of a flat file (names it
// does not have are left for the caller to miss).
func (r *ParquetReader) project(names map[string]bool) {
	sc := r.pf.MetaData().Schema
	as, err := r.fr.Schema()
	if err != nil || len(as.Fields()) != sc.NumColumns() {
		return
	}
	var cols []int
	for i, fl := range as.Fields() {
		if names[fl.Name] {
			cols = append(cols, i)
		}
	}
	if len(cols) > 0 {
		r.cols = cols
	}
}

// OpenParquet opens path for chunked reading.
func OpenParquet(path string, opts ...ParquetOptions) (*ParquetReader, error) {
	o := pqOpts(opts)
	pf, err := file.OpenParquetFile(path, false, file.WithReadProps(parquet.NewReaderProperties(o.Allocator)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	fr, err := pqarrow.NewFileReader(pf, readProps(pf, 1<<20), o.Allocator)
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &ParquetReader{pf: pf, fr: fr, mem: o.Allocator, path: path, batch: o.BatchRows}, nil
}

// NumRows returns the total rows in the file.
func (r *ParquetReader) NumRows() int64 { return r.pf.NumRows() }

// Next returns the next chunk, or io.EOF at the end.
func (r *ParquetReader) Next() (*Frame, error) {
	for r.cur == nil || r.off >= r.cur.nrows {
		if r.cur != nil {
			r.cur.Release()
			r.cur = nil
		}
		if r.rg >= r.pf.NumRowGroups() {
			return nil, io.EOF
		}
		cols := r.cols
		if cols == nil {
			cols = make([]int, r.pf.MetaData().Schema.NumColumns())
			for i := range cols {
				cols[i] = i
			}
		}
		tbl, err := r.fr.ReadRowGroups(context.Background(), cols, []int{r.rg})
		if err != nil {
			return nil, fmt.Errorf("%s: row group %d: %w", r.path, r.rg, err)
		}
		r.rg++
		f, err := fromTable(r.mem, tbl)
		tbl.Release()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.path, err)
		}
		r.cur, r.off = f, 0
	}
	out := r.cur.Slice(r.off, r.off+r.batch)
	r.off += r.batch
	return out, nil
}

// Close releases the reader and closes the file.
func (r *ParquetReader) Close() error {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	return r.pf.Close()
}

// ParquetInfo describes a Parquet file without reading its data.
type ParquetInfo struct {
	Rows     int64
	Schema   Schema
	Metadata map[string]string
}

// ReadParquetInfo reads the footer of a Parquet file.
func ReadParquetInfo(path string) (ParquetInfo, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return ParquetInfo{}, fmt.Errorf("%s: %w", path, err)
	}
	defer pf.Close()
	info := ParquetInfo{Rows: pf.NumRows(), Metadata: map[string]string{}}
	kv := pf.MetaData().KeyValueMetadata()
	for i, k := range kv.Keys() {
		if k == "ARROW:schema" {
			continue
		}
		info.Metadata[k] = kv.Values()[i]
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return info, fmt.Errorf("%s: %w", path, err)
	}
	as, err := fr.Schema()
	if err != nil {
		return info, fmt.Errorf("%s: %w", path, err)
	}
	for _, fl := range as.Fields() {
		t, dict := dtypeOf(fl.Type)
		if t == "" {
			t = foreignDType(fl.Type)
		}
		info.Schema = append(info.Schema, Field{Name: fl.Name, Type: t, Dict: dict})
	}
	return info, nil
}

// foreignDType names the DType a foreign Arrow type normalizes to.
func foreignDType(dt arrow.DataType) DType {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return Int64
	case arrow.FLOAT32:
		return Float64
	case arrow.LARGE_STRING:
		return String
	case arrow.DATE32, arrow.DATE64:
		return Timestamp
	}
	return DType(dt.String())
}

// readerProps streams column chunks through a small buffer instead of
// reading each whole chunk into a fresh allocation first; mem allocates
// the pages.
func readerProps(mem memory.Allocator) *parquet.ReaderProperties {
	props := parquet.NewReaderProperties(mem)
	props.BufferedStreamEnabled = true
	props.BufferSize = 1 << 20
	return props
}

// readProps asks for string columns as dictionary arrays, decoded straight
// from Parquet's dictionary pages.
func readProps(pf *file.Reader, batch int64) pqarrow.ArrowReadProperties {
	props := pqarrow.ArrowReadProperties{Parallel: true, BatchSize: batch}
	sc := pf.MetaData().Schema
	for i := 0; i < sc.NumColumns(); i++ {
		if sc.Column(i).LogicalType().String() == "String" {
			props.SetReadDict(i, true)
		}
	}
	return props
}

// unifyDicts joins string dictionary chunks, each with its own dictionary,
// into one dictionary array: each chunk's levels are looked up once in a
// shared table and its codes remapped, so no row's string is touched.
func unifyDicts(mem memory.Allocator, chunks []arrow.Array, nulls bool) (arrow.Array, bool) {
	n := 0
	for _, c := range chunks {
		d, ok := c.(*array.Dictionary)
		if !ok {
			return nil, false
		}
		if _, ok := d.Indices().(*array.Int32); !ok {
			return nil, false
		}
		if _, ok := d.Dictionary().(*array.String); !ok {
			return nil, false
		}
		n += c.Len()
	}
	var levels strDict
	buf, codes := allocFixed[int32](mem, n)
	var valid []bool
	if nulls {
		valid = make([]bool, n)
	}
	off := 0
	for _, c := range chunks {
		d := c.(*array.Dictionary)
		dict := d.Dictionary().(*array.String)
		remap := make([]int32, dict.Len())
		for k := range remap {
			b := []byte(dict.Value(k))
			code := levels.lookup(b)
			if code < 0 {
				code = levels.add(b)
			}
			remap[k] = code
		}
		chunkNulls := d.NullN() > 0
		for i, x := range d.Indices().(*array.Int32).Int32Values() {
			if chunkNulls && d.IsNull(i) {
				codes[off+i] = 0
				continue
			}
			codes[off+i] = remap[x]
			if valid != nil {
				valid[off+i] = true
			}
		}
		off += d.Len()
	}
	vb, nn := validityBuf(mem, valid, n)
	idx := makeArray(arrow.PrimitiveTypes.Int32, n, nn, vb, buf)
	dict := plainStringArray(mem, levels.levels, nil)
	out := array.NewDictionaryArray(dictType, idx, dict)
	idx.Release()
	dict.Release()
	return out, true
}
