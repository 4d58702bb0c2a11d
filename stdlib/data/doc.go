// Package data is galley's table library: a Frame of typed, nullable
// columns stored as Arrow arrays, with readers and writers for CSV, Parquet
// and Arrow IPC, and native operations for filtering, deriving columns,
// sorting, grouping and joining.
//
// Every operation runs over whole columns in Go, so cells interpreted by the
// kernel stay fast: no per-row callback ever reaches interpreted code.
//
// # Building and reading frames
//
//	f, err := data.New(
//		data.Strings("plan", []string{"basic", "pro", "basic"}),
//		data.Float64s("monthly", []float64{20, 55.5, 19}),
//		data.Ints("tenure", []int{3, 40, 12}),
//	)
//	rows, cols := f.Shape()
//	fmt.Println(f.Schema()) // plan: string, monthly: float64, tenure: int64
//
// Column types are Int64, Float64, String, Bool and Timestamp; every column
// admits nulls (Series.WithValid). Repetitive string columns are stored
// dictionary-encoded, which is invisible to readers but makes grouping,
// joining and comparing cheap.
//
// Native consumers (model training, plotting) read columns directly:
//
//	c, err := f.Column("monthly")
//	xs, err := c.Float64s()   // zero-copy view of the Arrow buffer
//	ok := c.Valid()           // nil when there are no nulls
//	fs, err := c.ToFloat64s() // any numeric column as a copy, NaN for null
//	codes, levels, err := c.Codes() // string column as categorical codes
//
// # Reading and writing
//
//	f, err := data.ReadCSV("telco.csv")                    // types inferred
//	f, err := data.ReadCSV("bank.csv", data.CSVOptions{    // ';' is detected
//		Types:   map[string]data.DType{"y": data.Int64},
//		BadRows: data.BadRowsSkip, // or BadRowsNull; default BadRowsError
//	})
//	for _, p := range f.Problems() { fmt.Println(p) } // file:line: column: reason
//	err = f.WriteParquet("out.parquet", data.ParquetOptions{Compression: "zstd"})
//	g, err := data.ReadParquet("out.parquet")
//	err = f.WriteArrow("out.arrow", "zstd") // Arrow IPC / Feather v2
//
// Blank and whitespace-only fields, and the DefaultNullValues, read as null
// in numeric columns. Bad rows are never dropped silently: they stop the read
// with an error naming file, line and column, or are nulled or skipped and
// listed in Frame.Problems.
//
// Files larger than memory stream in chunks: OpenCSV and OpenParquet return
// readers whose Next yields frames of a bounded number of rows (io.EOF at
// the end), and CreateCSV and CreateParquet return writers that append.
//
// # Streams
//
// ScanCSV and ScanParquet wrap those readers as a Stream: filters,
// selections and derived columns apply to each chunk as it passes, and one
// consuming call runs the whole file through in bounded memory (a chunk,
// plus one row per group for a group-by), with a live progress bar in the
// notebook:
//
//	s, err := data.ScanCSV("events.csv", data.CSVOptions{ChunkRows: 100_000})
//	err = s.Progress(data.ShowProgress(0)).WriteParquet("events.parquet") // CSV to Parquet
//
//	s, err = data.ScanParquet("events.parquet")
//	daily, err := s.Filter(data.Col("amount").Gt(0)).
//		GroupBy("day").Agg(data.Count(), data.Mean("amount"), data.Max("amount"))
//
// A stream's group-by combines Count, Sum, Mean, Min and Max across chunks
// and gives the same result as the in-memory GroupBy (float sums may differ
// in the last bits, being added in another order); NUnique, Median, Quantile
// and Std need a whole group at once and are refused. Collect gathers a
// stream filtered down to what fits in memory into one frame.
//
// Every chunk of a CSV stream is parsed by ReadCSV's engine on all cores:
// the reader takes in the next ChunkRows lines, the engine cuts them into
// segments at line ends (parsing again as one any two whose cut fell inside
// a quoted field), and a record cut off at the end of the window waits for
// the next one. A stream decodes only the columns its steps and its
// consumer read: a Parquet stream reads no others, a CSV stream splits
// them off without converting them.
//
// # Operations
//
//	adults, err := f.Filter(data.Col("tenure").Gt(12).And(data.Col("Contract").Eq("Month-to-month")))
//	g, err := f.With("annual", data.Col("MonthlyCharges").Mul(12))
//	g, err = g.With("band", data.When(data.Col("tenure").Lt(12), "new").Otherwise("existing"))
//	s, err := f.Sort("Contract", "-MonthlyCharges")
//	agg, err := f.GroupBy("Contract").Agg(data.Count(), data.Mean("MonthlyCharges"), data.Quantile("tenure", 0.9))
//	j, err := f.LeftJoin(other, "customerID")
//	train, test, err := f.StratifiedSplit("Churn", 0.2, 42)
//
// Also: Select, Drop, Rename, Head, Tail, Slice, Take, Sample, FillNull,
// DropNulls, Unique, ValueCounts, Concat, and Profile for an EDA report.
//
// # Speed
//
// Joins build a hash table on the right frame and probe it from the left in
// parallel row ranges; a single integer key within a compact range indexes
// the table directly. Group-by keys that are dictionary-encoded strings
// combine their codes arithmetically, without hashing a row. Filters and
// joins gather each column straight into its Arrow buffer, a column per
// core. Parquet row groups are encoded a column per core, and dictionary
// columns keep their codes as the Parquet dictionary indices. Parquet files
// carry statistics for every column, snappy compression and row groups of
// 1Mi rows by default.
//
// # Memory
//
// A Frame owns Arrow memory. Operations return new frames that share
// unchanged columns by reference counting. Release frees a frame's share;
// Retain adds one. Frames on the default Go allocator are also reclaimed by
// the garbage collector, so notebooks need not release, but programs that
// pass their own allocator to NewWith or a reader must.
//
// Bulk reads and writes keep their peak near what they keep: Parquet
// columns decode straight into buffers sized from the footer, a mapped CSV
// file's pages leave memory once parsed, and between the columns of a
// Parquet read or write the engine runs the collector when the garbage made
// since the last collection passes an eighth of the live heap (and 64 MiB),
// instead of letting the heap grow to twice its live size as the default
// GOGC=100 pacing would. The process's GOGC and memory limit are left as
// they are.
//
// # Display
//
// A Frame renders in a notebook as an HTML table with its shape and column
// types; String gives the same as aligned text.
package data
