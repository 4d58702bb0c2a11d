package data

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
)

// This file is ReadCSV's engine. The input is cut into segments at line
// ends; each segment is tokenized and converted straight into typed Go
// slices by one goroutine, with per-column type inference that only widens
// (int64 to float64 to string). A cut may fall inside a quoted field, so
// segments are parsed speculatively: a segment counts only if the one before
// it ended exactly at the cut, and otherwise the two are parsed again as one.
// The typed slices are then merged column by column into Arrow arrays.
// CSVReader runs the same engine over one window of its input at a time;
// the last record of a window that does not end the input may be cut off,
// and is left for the next window.
//
// Its parts: typed segment columns and the value parsers in
// csvread_columns.go, the record tokenizer in csvread_tokens.go, and the
// merge into Arrow arrays in csvread_merge.go.

// csvSegmentBytes is the smallest input cut into segments.
const csvSegmentBytes = 1 << 20

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
	atEOF    bool // buf ends the input (else its last record may be cut off)
	// skipRun[j] counts the columns from j on, up to the first one
	// read, that are not read (kSkip)
	skipRun []int
	// src, when set, holds buf; each segment is dropped from memory once
	// read, so a big file's pages do not all stay resident beside the
	// frame built from them.
	src *fileBytes
}

// done drops buf[lo:hi] from memory when buf is a mapped file.
func (e *csvEngine) done(lo, hi int) {
	if e.src != nil {
		e.src.drop(e.buf[lo:hi])
	}
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
	atEOF := s.hi == len(e.buf) && e.atEOF
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
			reason := raggedReason(cv.names, nf)
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
			if c.kind == kSkip {
				continue
			}
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

// raggedReason says how a record of nf fields misses the columns.
func raggedReason(names []string, nf int) string {
	if nf < len(names) {
		return fmt.Sprintf("expected %d fields, got %d: no value for column %q", len(names), nf, names[nf])
	}
	return fmt.Sprintf("expected %d fields, got %d: field %d is past the last column %q", len(names), nf, len(names)+1, names[len(names)-1])
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

// readCSVSegments parses e.buf[pos:], whose first record starts on line
// line, in segments of at least segBytes. It returns the frame and where
// parsing stopped: the end of e.buf, or (unless e.atEOF) the start of a
// last record that continues past it.
func readCSVSegments(e *csvEngine, line, pos, segBytes int, g *faultGuard) (*Frame, int, error) {
	buf, cv := e.buf, e.cv
	e.skipRun = make([]int, e.ncols)
	for j := e.ncols - 1; j >= 0; j-- {
		if e.kinds[j] == kSkip {
			e.skipRun[j] = 1
			if j+1 < e.ncols {
				e.skipRun[j] += e.skipRun[j+1]
			}
		}
	}
	segs := cutSegments(buf, pos, segBytes)
	// Line numbers at each cut, valid for cuts that turn out to be record
	// boundaries.
	counts := make([]int, len(segs))
	parallel(len(segs), func(k int) {
		g.do(func() { counts[k] = bytes.Count(buf[segs[k].lo:segs[k].hi], []byte{'\n'}) })
		e.done(segs[k].lo, segs[k].hi)
	})
	rows := 0
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
	parallel(len(segs), func(k int) {
		g.do(func() { e.parseSeg(segs[k]) })
		e.done(segs[k].lo, segs[k].hi)
	})
	if err := g.failed(); err != nil {
		e.releaseSlabs()
		return nil, 0, err
	}
	// Keep the segments that start on a record boundary; parse again
	// those that did not. Only the last may stop short, when its last
	// record continues past buf.
	var kept []*csvSeg
	for k := 0; k < len(segs); k++ {
		s := segs[k]
		for s.err == nil && s.end != s.hi && k+1 < len(segs) {
			// The cut fell inside a quoted field: take the next
			// segment in too.
			k++
			s = &csvSeg{lo: s.lo, hi: segs[k].hi, line: s.line, base: s.base, capRows: segs[k].base + segs[k].capRows - s.base}
			e.parseSeg(s)
		}
		if s.err != nil {
			e.releaseSlabs()
			return nil, 0, s.err
		}
		kept = append(kept, s)
	}
	f, err := e.merge(kept, g)
	return f, kept[len(kept)-1].end, err
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
