package data

import (
	"encoding/binary"
	"math/bits"
)

// The fast path of parseSeg: a record whose fields are all plain values of
// their columns' current kinds (no quotes, no \r, no null tokens other than
// empty fields, no new dictionary level, no widening) is split and converted
// in one pass over its bytes. Anything else makes fastRow undo the record's
// values and leave it to the general path, which reaches the same result
// for every record the fast path accepts.

// Results of fastField besides a terminator's index.
const (
	fastNo       = -1 // the general path must read the field
	fastNewLevel = -2 // the field is a string without a code yet
	skipMore     = -3 // skipFields: go on to the next field
)

// fastRow converts the record at buf[pos:] and returns where the next one
// starts, or fastNo or fastNewLevel with s unchanged.
func (e *csvEngine) fastRow(s *csvSeg, buf []byte, pos int) int {
	cols := s.cols
	last := len(cols) - 1
	p := pos
	for j := 0; j < len(cols); j++ {
		c := &cols[j]
		var q int
		if c.kind == kSkip {
			// A run of columns nobody reads is passed over at once.
			k := e.skipRun[j]
			q = e.skipFields(buf, p, k, j+k-1 == last)
			j += k - 1
		} else {
			end := e.delim
			if j == last {
				end = '\n'
			}
			q = e.fastField(c, buf, p, end)
		}
		if q < 0 {
			for k := 0; k < j; k++ {
				cols[k].pop()
			}
			return q
		}
		p = q + 1
	}
	return p
}

// fastField appends the field at buf[p:] to c and returns the index of the
// terminator end that follows it, or -1 (appending nothing) when the field needs the
// general path.
func (e *csvEngine) fastField(c *segCol, buf []byte, p int, end byte) int {
	n := len(buf)
	if p >= n {
		return fastNo
	}
	if q := ends(buf, p, end); q >= 0 {
		// An empty field.
		if c.kind == kStr && !e.cv.empty {
			return fastNo
		}
		c.appendNull(c.n())
		return q
	}
	var q int
	switch c.kind {
	case kInt:
		i, neg := p, buf[p] == '-'
		if neg {
			i++
		}
		start := i
		var u uint64
		i, u = scanDigits(buf, i, 0)
		if nd := i - start; nd == 0 || nd > 18 || (neg && u == 0) {
			return fastNo
		}
		v := int64(u)
		if neg {
			v = -v
		}
		if q = ends(buf, i, end); q < 0 || (e.numNull && e.nullToken(buf[p:i])) {
			return fastNo
		}
		c.ints = append(c.ints, v)
	case kFloat:
		i, neg := p, buf[p] == '-'
		if neg {
			i++
		}
		start := i
		var mant uint64
		i, mant = scanDigits(buf, i, 0)
		digits, frac := i-start, 0
		if i < n && buf[i] == '.' && digits <= 19 {
			i++
			fs := i
			i, mant = scanDigits(buf, i, mant)
			frac = i - fs
			digits += frac
		}
		// Digits that fit in 2^53 and a power of ten up to 22 are both
		// exact as float64, so one correctly rounded division gives the
		// correctly rounded value, as strconv's own fast path reasons.
		if digits == 0 || digits > 19 || frac > 22 || mant > 1<<53 {
			return fastNo
		}
		if q = ends(buf, i, end); q < 0 || (e.numNull && e.nullToken(buf[p:i])) {
			return fastNo
		}
		f := float64(mant)
		if frac > 0 {
			f /= pow10[frac]
		}
		if neg {
			f = -f
		}
		c.floats = append(c.floats, f)
	case kStr:
		i := e.fieldEnd(buf, p)
		if q = ends(buf, i, end); q < 0 {
			return fastNo
		}
		b := buf[p:i]
		if c.plain {
			if e.nullToken(b) {
				return fastNo
			}
			c.sdata = append(c.sdata, b...)
			c.sends = append(c.sends, int32(len(c.sdata)))
			break
		}
		// A string with a code is no null token: the general path gave
		// it the code after checking.
		code := c.dict.lookup(b)
		if code < 0 {
			return fastNewLevel
		}
		c.codes = append(c.codes, code)
	case kBool:
		i := e.fieldEnd(buf, p)
		if q = ends(buf, i, end); q < 0 {
			return fastNo
		}
		b := buf[p:i]
		v, ok := parseBool(bstr(b))
		if !ok || e.nullToken(b) {
			return fastNo
		}
		c.bools = append(c.bools, v)
	default:
		return fastNo
	}
	if c.valid != nil {
		c.valid = append(c.valid, true)
	}
	return q
}

// skipFields returns the index of the terminator after the k fields at
// buf[p:], the last of them ending the record when atEnd, or fastNo when
// one of them holds a quote or a \r, or the record has other fields than
// that: the general path then reads them.
func (e *csvEngine) skipFields(buf []byte, p, k int, atEnd bool) int {
	dm, nm := uint64(e.delim)*ones, uint64('\n')*ones
	const qm, rm = uint64('"') * ones, uint64('\r') * ones
	at := func(i int) int {
		switch buf[i] {
		case e.delim:
			if k--; k > 0 {
				return skipMore
			}
			if atEnd {
				return fastNo
			}
			return i
		case '\n':
			if k == 1 && atEnd {
				return i
			}
		case '\r':
			if k == 1 && atEnd && i+1 < len(buf) && buf[i+1] == '\n' {
				return i + 1
			}
		}
		return fastNo
	}
	i := p
	for ; i+8 <= len(buf); i += 8 {
		w := binary.LittleEndian.Uint64(buf[i:])
		for m := zeroBytes(w^dm) | zeroBytes(w^nm) | zeroBytes(w^qm) | zeroBytes(w^rm); m != 0; m &= m - 1 {
			if q := at(i + bits.TrailingZeros64(m)>>3); q != skipMore {
				return q
			}
		}
	}
	for ; i < len(buf); i++ {
		switch buf[i] {
		case e.delim, '\n', '"', '\r':
			if q := at(i); q != skipMore {
				return q
			}
		}
	}
	return fastNo
}

// ends returns the index of the terminator end at buf[i], taking \r\n for
// a line end, or -1 when the field does not end at i.
func ends(buf []byte, i int, end byte) int {
	if i < len(buf) {
		if buf[i] == end {
			return i
		}
		if end == '\n' && buf[i] == '\r' && i+1 < len(buf) && buf[i+1] == '\n' {
			return i + 1
		}
	}
	return -1
}

// nullToken reports whether b may be one of the null tokens.
func (e *csvEngine) nullToken(b []byte) bool {
	return e.nullLens[b[0]]&(1<<min(len(b), 63)) != 0
}

// fieldEnd returns the index of the first delimiter, line end, quote or \r
// at or after p, or len(buf).
func (e *csvEngine) fieldEnd(buf []byte, p int) int {
	dm, nm := uint64(e.delim)*ones, uint64('\n')*ones
	const qm, rm = uint64('"') * ones, uint64('\r') * ones
	i := p
	for ; i+8 <= len(buf); i += 8 {
		w := binary.LittleEndian.Uint64(buf[i:])
		if m := zeroBytes(w^dm) | zeroBytes(w^nm) | zeroBytes(w^qm) | zeroBytes(w^rm); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(buf); i++ {
		switch buf[i] {
		case e.delim, '\n', '"', '\r':
			return i
		}
	}
	return i
}

// pop removes the column's last value.
func (c *segCol) pop() {
	if c.valid != nil {
		c.valid = c.valid[:len(c.valid)-1]
	}
	switch c.kind {
	case kInt, kTime:
		c.ints = c.ints[:len(c.ints)-1]
	case kFloat:
		c.floats = c.floats[:len(c.floats)-1]
	case kBool:
		c.bools = c.bools[:len(c.bools)-1]
	case kStr:
		if c.plain {
			c.sends = c.sends[:len(c.sends)-1]
			c.sdata = c.sdata[:0]
			if k := len(c.sends); k > 0 {
				c.sdata = c.sdata[:c.sends[k-1]]
			}
		} else {
			c.codes = c.codes[:len(c.codes)-1]
		}
	}
}

var pow10u = [...]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// scanDigits reads the decimal digits at buf[i:] eight at a time into v
// (v*10 + d for each digit d) and returns the index after them. v wraps
// around past 19 digits; callers count the digits.
func scanDigits(buf []byte, i int, v uint64) (int, uint64) {
	for i+8 <= len(buf) {
		w := binary.LittleEndian.Uint64(buf[i:])
		// A byte is a digit when its high nibble is 3, also after adding
		// 6. Carries out of a byte only reach the bytes above it, so the
		// lowest non-digit byte is found exactly.
		x := (w&0xf0f0f0f0f0f0f0f0 ^ 0x3030303030303030) |
			((w+0x0606060606060606)&0xf0f0f0f0f0f0f0f0 ^ 0x3030303030303030)
		k := 8
		if x != 0 {
			k = bits.TrailingZeros64(x) >> 3
			if k == 0 {
				return i, v
			}
		}
		// The k digits, first one in the lowest byte, moved to the top so
		// the bytes below read as leading zeros, then combined pairwise.
		d := (w & 0x0f0f0f0f0f0f0f0f) << (8 * uint(8-k))
		d = (d*10 + d>>8) & 0x00ff00ff00ff00ff
		d = (d*100 + d>>16) & 0x0000ffff0000ffff
		d = (d*10000 + d>>32) & 0xffffffff
		v = v*pow10u[k] + d
		i += k
		if k < 8 {
			return i, v
		}
	}
	for ; i < len(buf); i++ {
		d := buf[i] - '0'
		if d > 9 {
			break
		}
		v = v*10 + uint64(d)
	}
	return i, v
}
