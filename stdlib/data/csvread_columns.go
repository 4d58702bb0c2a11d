package data

import (
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

type colKind uint8

const (
	kNone colKind = iota // only nulls so far
	kInt
	kFloat
	kBool
	kTime
	kStr
	kSkip // not decoded: a stream's steps do not need the column
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
