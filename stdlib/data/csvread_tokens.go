package data

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

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
