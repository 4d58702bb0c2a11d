package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/bitutil"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// This file is ReadCSV's engine. The input is cut into segments at line
// ends; each segment is tokenized and converted straight into typed Go
// slices by one goroutine, with per-column type inference that only widens
// (int64 to float64 to string). A cut may fall inside a quoted field, so
// segments are parsed speculatively: a segment counts only if the one before
// it ended exactly at the cut, and otherwise the two are parsed again as one.
// The typed slices are then merged column by column into Arrow arrays.
// CSVReader keeps the chunked engine in csvparse.go; both implement the same
// grammar, and the fuzz test holds them to the same results.

// csvSegmentBytes is the smallest input cut into segments.
const csvSegmentBytes = 1 << 20

type colKind uint8

const (
	kNone colKind = iota // only nulls so far
	kInt
	kFloat
	kBool
	kTime
	kStr
)

func kindOf(t DType) colKind {
	switch t {
	case Int64:
		return kInt
	case Float64:
		return kFloat
	case Bool:
		return kBool
	case Timestamp:
		return kTime
	}
	return kStr
}

// join is the narrowest kind holding values of both a and b.
func join(a, b colKind) colKind {
	switch {
	case a == b || b == kNone:
		return a
	case a == kNone:
		return b
	case (a == kInt && b == kFloat) || (a == kFloat && b == kInt):
		return kFloat
	}
	return kStr
}

// segCol is one column of one segment.
type segCol struct {
	kind    colKind
	ints    []int64 // int64 and timestamp values
	floats  []float64
	bools   []bool
	valid   []bool // nil while every value is valid
	negZero bool   // an int column holds "-0", which as float64 is -0
	layout  int    // last timestamp layout that matched
	// strings: dictionary codes until the column proves too diverse, then
	// plain bytes with end offsets
	dict  strDict
	codes []int32
	plain bool
	sdata []byte
	sends []int32
	// win is the segment's rows of the column's slab, eight bytes a row,
	// which ints and floats are views of; the slab is made when the first
	// segment needs it
	slab *slab
	win  []byte
	base int // the segment's first row in the slab
	hint int // expected rows, to size the other slices
}

// slab holds a column's numbers, eight bytes a row, each segment writing
// its own window, so that numeric columns become Arrow arrays without a
// copy. Columns of strings and bools never make theirs.
type slab struct {
	once sync.Once
	mem  memory.Allocator
	rows int
	buf  *memory.Buffer
}

func (b *slab) bytes() []byte {
	b.once.Do(func() {
		b.buf = memory.NewResizableBuffer(b.mem)
		b.buf.Resize(8 * b.rows)
	})
	return b.buf.Bytes()
}

// take hands over the buffer, nil when none was made.
func (b *slab) take() *memory.Buffer {
	buf := b.buf
	b.buf = nil
	return buf
}

// reset empties the column as kind k.
func (c *segCol) reset(k colKind) {
	*c = segCol{kind: k, slab: c.slab, win: c.win, base: c.base, hint: c.hint}
	switch k {
	case kInt, kTime, kFloat:
		if c.win == nil {
			c.win = c.slab.bytes()[8*c.base : 8*(c.base+c.hint)]
		}
		if k == kFloat {
			c.floats = view[float64](c.win)[:0]
		} else {
			c.ints = view[int64](c.win)[:0]
		}
	case kBool:
		c.bools = make([]bool, 0, c.hint)
	case kStr:
		c.codes = make([]int32, 0, c.hint)
	}
}

func (c *segCol) n() int {
	switch c.kind {
	case kInt, kTime:
		return len(c.ints)
	case kFloat:
		return len(c.floats)
	case kBool:
		return len(c.bools)
	case kStr:
		if c.plain {
			return len(c.sends)
		}
		return len(c.codes)
	}
	return len(c.valid)
}

// appendNull adds a null value at row r (the column's length).
func (c *segCol) appendNull(r int) {
	if c.valid == nil {
		c.valid = make([]bool, r, max(r+1, 64))
		for i := range c.valid {
			c.valid[i] = true
		}
	}
	c.valid = append(c.valid, false)
	switch c.kind {
	case kInt, kTime:
		c.ints = append(c.ints, 0)
	case kFloat:
		c.floats = append(c.floats, 0)
	case kBool:
		c.bools = append(c.bools, false)
	case kStr:
		if c.plain {
			c.sends = append(c.sends, int32(len(c.sdata)))
		} else {
			c.codes = append(c.codes, 0)
		}
	}
}

// put parses b as the column's kind and appends it, reporting false (and
// appending nothing) when b is not of that kind.
func (c *segCol) put(b []byte) bool {
	if c.valid != nil {
		c.valid = append(c.valid, true)
	}
	ok := true
	switch c.kind {
	case kInt:
		var v int64
		v, ok = parseIntBytes(b)
		if ok {
			if v == 0 && len(b) > 0 && b[0] == '-' {
				c.negZero = true
			}
			c.ints = append(c.ints, v)
		}
	case kFloat:
		var v float64
		v, ok = parseFloatBytes(b)
		if ok {
			c.floats = append(c.floats, v)
		}
	case kBool:
		var v bool
		v, ok = parseBool(strings.TrimSpace(bstr(b)))
		if ok {
			c.bools = append(c.bools, v)
		}
	case kTime:
		var tm time.Time
		tm, ok = parseTime(strings.TrimSpace(bstr(b)), &c.layout)
		if ok {
			c.ints = append(c.ints, tm.UnixMicro())
		}
	case kStr:
		c.putString(b)
	default:
		ok = false
	}
	if !ok && c.valid != nil {
		c.valid = c.valid[:len(c.valid)-1]
	}
	return ok
}

func (c *segCol) putString(b []byte) {
	if c.plain {
		c.sdata = append(c.sdata, b...)
		c.sends = append(c.sends, int32(len(c.sdata)))
		return
	}
	code := c.dict.lookup(b)
	if code < 0 {
		if n := len(c.dict.levels); n >= 1024 && n*2 > len(c.codes) {
			c.toPlain()
			c.putString(b)
			return
		}
		code = c.dict.add(b)
	}
	c.codes = append(c.codes, code)
}

// toPlain gives up the segment's dictionary for plain bytes.
func (c *segCol) toPlain() {
	c.sends = make([]int32, 0, cap(c.codes))
	for i, code := range c.codes {
		if c.valid == nil || c.valid[i] {
			c.sdata = append(c.sdata, c.dict.levels[code]...)
		}
		c.sends = append(c.sends, int32(len(c.sdata)))
	}
	c.plain, c.dict, c.codes = true, strDict{}, nil
}

// firstKind is the kind of the first non-null value of a column.
func firstKind(b []byte) colKind {
	for _, k := range []colKind{kInt, kFloat, kBool, kTime} {
		c := segCol{kind: k}
		if c.put(b) {
			return k
		}
	}
	return kStr
}

// widen is the kind a column of kind k becomes on meeting b, which is not
// of kind k.
func widen(k colKind, b []byte) colKind {
	switch k {
	case kNone:
		return firstKind(b)
	case kInt:
		if _, ok := parseFloatBytes(b); ok {
			return kFloat
		}
	}
	return kStr
}

// parseIntBytes parses a base-10 int64 like strconv.ParseInt after
// strings.TrimSpace, without either for plain digits.
func parseIntBytes(b []byte) (int64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, i = b[0] == '-', 1
	}
	if n := len(b) - i; n > 0 && n <= 18 {
		var v int64
		for ; i < len(b); i++ {
			d := b[i] - '0'
			if d > 9 {
				break
			}
			v = v*10 + int64(d)
		}
		if i == len(b) {
			if neg {
				v = -v
			}
			return v, true
		}
	}
	v, err := strconv.ParseInt(strings.TrimSpace(bstr(b)), 10, 64)
	return v, err == nil
}

var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloatBytes parses a float64 like strconv.ParseFloat after
// strings.TrimSpace. Plain decimals whose digits fit in 2^53 and whose
// exponent is at most 22 are exact as one multiplication or division of
// exactly representable numbers; everything else goes to strconv.
func parseFloatBytes(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg, i = b[0] == '-', 1
	}
	var mant uint64
	digits, exp := 0, 0
	start := i
	for ; i < len(b) && b[i]-'0' <= 9; i++ {
		mant = mant*10 + uint64(b[i]-'0')
		if mant != 0 {
			digits++
		}
	}
	intDigits := i - start
	fracDigits := 0
	if i < len(b) && b[i] == '.' {
		i++
		fs := i
		for ; i < len(b) && b[i]-'0' <= 9; i++ {
			mant = mant*10 + uint64(b[i]-'0')
			if mant != 0 {
				digits++
			}
		}
		fracDigits = i - fs
		exp = -fracDigits
	}
	if i == len(b) && intDigits+fracDigits > 0 && digits <= 19 && mant <= 1<<53 && exp >= -22 {
		f := float64(mant)
		if exp < 0 {
			f /= pow10[-exp]
		}
		if neg {
			f = -f
		}
		return f, true
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(bstr(b)), 64)
	return v, err == nil
}

// view is b as a slice of T.
func view[T int64 | float64](b []byte) []T {
	var zero T
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/int(unsafe.Sizeof(zero)))
}

// startsAt reports whether slice a starts at byte b.
func startsAt[T any](a []T, b []byte) bool {
	return cap(a) > 0 && len(b) > 0 && unsafe.Pointer(unsafe.SliceData(a)) == unsafe.Pointer(&b[0])
}

// csvSeg is one byte range of the input with its parsed rows.
type csvSeg struct {
	lo, hi int
	// base and capRows are the segment's window in the column slabs, in
	// rows; a segment has at most one record more than line ends.
	base, capRows int
	end           int // where parsing stopped; hi when it ended on a record boundary
	line          int // line the range starts on
	rows          []int
	cols          []segCol
	problems      []Problem
	skip          []int // rows (of this segment) that BadRowsSkip drops after conversion
	err           error
}

// recTok splits records into fields.
type recTok struct {
	delim    byte
	noQuotes bool // the text holds no quote character
	fields   [][]byte
	scratch  []byte
}

type recStatus uint8

const (
	recOK recStatus = iota
	recBlank
	recNeedMore
	recUnterminated
)

// next tokenizes the record at buf[pos:], returning where the next one
// starts and how many line ends it spans. It follows csvParser.parse
// exactly: a quote opens a quoted field only at the start of a field, text
// after the closing quote belongs to the field, a lone \r is data.
func (t *recTok) next(buf []byte, pos int, atEOF bool) (int, int, recStatus) {
	n := len(buf)
	t.fields = t.fields[:0]
	if buf[pos] == '\n' {
		return pos + 1, 1, recBlank
	}
	if buf[pos] == '\r' {
		if pos+1 < n && buf[pos+1] == '\n' {
			return pos + 2, 1, recBlank
		}
		if pos+1 == n && !atEOF {
			return pos, 0, recNeedMore
		}
	}
	if t.noQuotes {
		return t.plain(buf, pos, atEOF)
	}
	nl := bytes.IndexByte(buf[pos:], '\n')
	if nl < 0 && !atEOF {
		return pos, 0, recNeedMore
	}
	if nl < 0 {
		nl = len(buf) - pos
	}
	if bytes.IndexByte(buf[pos:pos+nl], '"') < 0 {
		return t.plain(buf, pos, atEOF)
	}
	return t.quoted(buf, pos, atEOF)
}

const (
	ones = 0x0101010101010101
	lo7  = 0x7f7f7f7f7f7f7f7f
)

// zeroBytes sets the high bit of exactly the zero bytes of x.
func zeroBytes(x uint64) uint64 {
	return ^(((x & lo7) + lo7) | x | lo7)
}

// plain is next for a record without quote characters. It looks for
// delimiters and the line end eight bytes at a time.
func (t *recTok) plain(buf []byte, pos int, atEOF bool) (int, int, recStatus) {
	n := len(buf)
	dm, nm := uint64(t.delim)*ones, uint64('\n')*ones
	start, i := pos, pos
	for ; i+8 <= n; i += 8 {
		w := binary.LittleEndian.Uint64(buf[i:])
		for m := zeroBytes(w^dm) | zeroBytes(w^nm); m != 0; m &= m - 1 {
			k := i + bits.TrailingZeros64(m)>>3
			if buf[k] == '\n' {
				return k + 1, 1, t.last(buf, start, k)
			}
			t.fields = append(t.fields, buf[start:k])
			start = k + 1
		}
	}
	for ; i < n; i++ {
		switch buf[i] {
		case '\n':
			return i + 1, 1, t.last(buf, start, i)
		case t.delim:
			t.fields = append(t.fields, buf[start:i])
			start = i + 1
		}
	}
	if !atEOF {
		t.fields = t.fields[:0]
		return pos, 0, recNeedMore
	}
	return n, 0, t.last(buf, start, n)
}

// last adds the record's last field, buf[start:end] less a \r ending the
// line.
func (t *recTok) last(buf []byte, start, end int) recStatus {
	if end > start && buf[end-1] == '\r' {
		end--
	}
	t.fields = append(t.fields, buf[start:end])
	return recOK
}

// quoted is next for a record with quote characters.
func (t *recTok) quoted(buf []byte, pos int, atEOF bool) (int, int, recStatus) {
	n := len(buf)
	delim := t.delim
	t.scratch = t.scratch[:0]
	lines := 0
	for {
		fs := len(t.scratch)
		if pos < n && buf[pos] == '"' {
			var closed bool
			var nl int
			t.scratch, pos, nl, closed = scanQuoted(t.scratch, buf, pos+1, atEOF)
			lines += nl
			if !closed {
				if !atEOF {
					return pos, 0, recNeedMore
				}
				t.fields = append(t.fields, t.scratch[fs:])
				return n, lines, recUnterminated
			}
		}
		s := pos
		pos = scanUnquoted(buf, pos, delim)
		t.scratch = append(t.scratch, buf[s:pos]...)
		t.fields = append(t.fields, t.scratch[fs:])
		if pos >= n || (buf[pos] == '\r' && pos+1 == n) {
			if !atEOF {
				return pos, 0, recNeedMore
			}
			return n, lines, recOK
		}
		if buf[pos] == delim {
			pos++
			continue
		}
		if buf[pos] == '\r' {
			pos++
		}
		return pos + 1, lines + 1, recOK
	}
}

// csvEngine holds what every segment shares.
type csvEngine struct {
	cv    *converter
	buf   []byte
	delim byte
	ncols int
	kinds []colKind // forced kinds, kNone to infer
	slabs []slab    // per column; merge hands them on or releases them
	// nullLens[b] has bit l set when a null token of length l (l < 64)
	// starts with byte b; bit 63 stands for longer tokens.
	nullLens [256]uint64
	fastOK   bool // the delimiter cannot be part of a number or bool
	numNull  bool // some null token starts like a number
}

func newCSVEngine(cv *converter, buf []byte, delim byte) *csvEngine {
	e := &csvEngine{cv: cv, buf: buf, delim: delim, ncols: len(cv.names), kinds: make([]colKind, len(cv.names))}
	for j, t := range cv.forced {
		if t != "" {
			e.kinds[j] = kindOf(t)
		}
	}
	for _, v := range cv.o.NullValues {
		if v != "" {
			e.nullLens[v[0]] |= 1 << min(len(v), 63)
			e.numNull = e.numNull || strings.IndexByte("0123456789+-.", v[0]) >= 0
		}
	}
	e.fastOK = !strings.ContainsRune("0123456789.+-\"\r\n", rune(delim)) &&
		!('a' <= delim|0x20 && delim|0x20 <= 'z')
	return e
}

// null reports whether b is null in a column of kind k (see
// converter.isNull).
func (e *csvEngine) null(b []byte, k colKind) bool {
	if len(b) == 0 {
		return e.cv.empty || k != kStr
	}
	if bits := e.nullLens[b[0]]; bits != 0 && bits&(1<<min(len(b), 63)) != 0 && e.cv.nulls[bstr(b)] {
		return true
	}
	if k != kStr && (b[0] == ' ' || b[0] == '\t') {
		for _, ch := range b {
			if ch != ' ' && ch != '\t' {
				return false
			}
		}
		return true
	}
	return false
}

// parseSeg tokenizes and converts buf[s.lo:s.hi].
func (e *csvEngine) parseSeg(s *csvSeg) {
	buf := e.buf[:s.hi]
	atEOF := s.hi == len(e.buf)
	cv := e.cv
	policy := cv.o.BadRows
	tok := &recTok{delim: e.delim}
	general := 0 // records read by the general path
	// Rows are estimated from the first line's length.
	est := 1024
	if nl := bytes.IndexByte(buf[s.lo:], '\n'); nl > 0 {
		est = min((s.hi-s.lo)/nl+16, s.capRows)
	}
	s.cols = make([]segCol, e.ncols)
	for j := range s.cols {
		c := &s.cols[j]
		c.slab, c.base, c.hint = &e.slabs[j], s.base, s.capRows
		c.reset(e.kinds[j])
	}
	s.rows = make([]int, 0, est)
	retok := &recTok{delim: e.delim}
	line := s.line
	pos := s.lo
	s.end = s.hi
	fast := e.fastOK
	tries, fails := 0, 0
	for pos < len(buf) {
		if fast && buf[pos] != '\n' && buf[pos] != '\r' {
			next := e.fastRow(s, buf, pos)
			if next >= 0 {
				s.rows = append(s.rows, pos-s.lo)
				line++
				pos = next
				continue
			}
			// Give up on the fast path in a segment where it rarely
			// succeeds for other reasons than new strings, which are
			// few or soon make the column plain.
			if next == fastNo {
				fails++
			}
			if tries++; tries >= 256 && fails*4 > tries {
				fast = false
			}
		}
		if general++; general == 64 {
			// Many records for the general path: they split faster when
			// none of the rest is quoted.
			tok.noQuotes = bytes.IndexByte(buf[pos:], '"') < 0
		}
		next, lines, st := tok.next(buf, pos, atEOF)
		if st == recNeedMore {
			s.end = pos
			return
		}
		at := line
		line += lines
		if st == recBlank {
			pos = next
			continue
		}
		if st == recUnterminated {
			if policy == BadRowsError {
				s.err = fmt.Errorf("%s: unterminated quoted field", cv.where(at))
				return
			}
			s.problems = append(s.problems, Problem{File: cv.file, Line: at, Reason: "unterminated quoted field", Action: "skip"})
			pos = next
			continue
		}
		fields := tok.fields
		if nf := len(fields); nf != e.ncols {
			reason := fmt.Sprintf("expected %d fields, got %d", e.ncols, nf)
			switch policy {
			case BadRowsError:
				s.err = fmt.Errorf("%s: %s (set BadRows to BadRowsNull or BadRowsSkip to continue)", cv.where(at), reason)
				return
			case BadRowsSkip:
				s.problems = append(s.problems, Problem{File: cv.file, Line: at, Reason: reason, Action: "skip"})
				pos = next
				continue
			}
			s.problems = append(s.problems, Problem{File: cv.file, Line: at, Reason: reason, Action: "null"})
		}
		r := len(s.rows)
		s.rows = append(s.rows, pos-s.lo)
		skipped := false
		for j := range s.cols {
			c := &s.cols[j]
			if j >= len(fields) {
				c.appendNull(r)
				continue
			}
			b := fields[j]
			if e.null(b, c.kind) {
				c.appendNull(r)
				continue
			}
			if c.put(b) {
				continue
			}
			if e.kinds[j] == kNone {
				e.widen(s, j, b, r, retok)
				continue
			}
			// A forced type met a value it cannot read.
			c.appendNull(r)
			val := string(b)
			if len(val) > 40 {
				val = val[:40] + "…"
			}
			reason := fmt.Sprintf("cannot parse %q as %s", val, cv.forced[j])
			switch policy {
			case BadRowsError:
				s.err = fmt.Errorf("%s: column %q: %s (set CSVOptions.Types to read it as another type, or BadRows to null or skip bad values)",
					cv.where(at), cv.names[j], reason)
				return
			case BadRowsNull:
				s.problems = append(s.problems, Problem{File: cv.file, Line: at, Column: cv.names[j], Value: val, Reason: reason, Action: "null"})
			case BadRowsSkip:
				s.problems = append(s.problems, Problem{File: cv.file, Line: at, Column: cv.names[j], Value: val, Reason: reason, Action: "skip"})
				if !skipped {
					s.skip = append(s.skip, r)
					skipped = true
				}
			}
		}
		pos = next
	}
}

// rawField returns field j of the segment's row r, tokenizing it again;
// ok is false for a field padded in for a short row.
func (e *csvEngine) rawField(s *csvSeg, r, j int, tok *recTok) ([]byte, bool) {
	buf := e.buf[:s.hi]
	tok.next(buf, s.lo+s.rows[r], true)
	if j >= len(tok.fields) {
		return nil, false
	}
	return tok.fields[j], true
}

// widen changes the kind of inferred column j of s for value b of row r,
// which its kind cannot hold, and appends b.
func (e *csvEngine) widen(s *csvSeg, j int, b []byte, r int, tok *recTok) {
	c := &s.cols[j]
	k := widen(c.kind, b)
	if c.kind == kNone && k != kStr {
		// Every earlier value was null, and stays null in kind k.
		valid := c.valid
		c.reset(k)
		for i := range valid {
			c.appendNull(i)
		}
		c.put(b)
		return
	}
	e.rebuild(s, j, k, r+1, tok)
}

// rebuild converts the first n rows of column j of s again as kind k,
// widening further if a value needs it. Inferred columns only.
func (e *csvEngine) rebuild(s *csvSeg, j int, k colKind, n int, tok *recTok) {
	c := &s.cols[j]
	for {
		c.reset(k)
		r := 0
		for ; r < n; r++ {
			b, ok := e.rawField(s, r, j, tok)
			if !ok || e.null(b, k) {
				c.appendNull(r)
				continue
			}
			if !c.put(b) {
				break
			}
		}
		if r == n {
			return
		}
		b, _ := e.rawField(s, r, j, tok)
		k = widen(k, b)
	}
}

// readCSVSegments parses buf[pos:] in segments of at least segBytes.
func readCSVSegments(p *csvParser, cv *converter, buf []byte, pos, segBytes int, g *faultGuard) (*Frame, error) {
	e := newCSVEngine(cv, buf, p.delim)
	segs := cutSegments(buf, pos, segBytes)
	// Line numbers at each cut, valid for cuts that turn out to be record
	// boundaries.
	counts := make([]int, len(segs))
	parallel(len(segs), func(k int) {
		g.do(func() { counts[k] = bytes.Count(buf[segs[k].lo:segs[k].hi], []byte{'\n'}) })
	})
	line, rows := p.line, 0
	for k, s := range segs {
		s.line = line
		line += counts[k]
		s.base, s.capRows = rows, counts[k]+1
		rows += s.capRows
	}
	e.slabs = make([]slab, e.ncols)
	for j := range e.slabs {
		e.slabs[j].mem, e.slabs[j].rows = cv.o.Allocator, rows
	}
	parallel(len(segs), func(k int) { g.do(func() { e.parseSeg(segs[k]) }) })
	if err := g.failed(); err != nil {
		e.releaseSlabs()
		return nil, err
	}
	// Keep the segments that start on a record boundary; parse again
	// those that did not.
	var kept []*csvSeg
	for k := 0; k < len(segs); k++ {
		s := segs[k]
		for s.err == nil && s.end != s.hi {
			// The cut fell inside a quoted field: take the next
			// segment in too.
			k++
			s = &csvSeg{lo: s.lo, hi: segs[k].hi, line: s.line, base: s.base, capRows: segs[k].base + segs[k].capRows - s.base}
			e.parseSeg(s)
		}
		if s.err != nil {
			e.releaseSlabs()
			return nil, s.err
		}
		kept = append(kept, s)
	}
	return e.merge(kept, g)
}

func (e *csvEngine) releaseSlabs() {
	for j := range e.slabs {
		if b := e.slabs[j].take(); b != nil {
			b.Release()
		}
	}
}

// cutSegments cuts buf[pos:] after line ends into about 4 pieces per
// core, none smaller than segBytes.
func cutSegments(buf []byte, pos, segBytes int) []*csvSeg {
	size := len(buf) - pos
	n := max(1, min(4*runtime.GOMAXPROCS(0), size/max(segBytes, 1)))
	var segs []*csvSeg
	lo := pos
	for k := 1; k < n; k++ {
		cut := pos + size*k/n
		if cut <= lo {
			continue
		}
		nl := bytes.IndexByte(buf[cut:], '\n')
		if nl < 0 {
			break
		}
		cut += nl + 1
		if cut >= len(buf) {
			break
		}
		segs = append(segs, &csvSeg{lo: lo, hi: cut})
		lo = cut
	}
	return append(segs, &csvSeg{lo: lo, hi: len(buf)})
}

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
	f, err := newFrame(mem, append([]string(nil), e.cv.names...), cols)
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
