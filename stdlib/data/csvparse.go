package data

import (
	"fmt"
)

// rawChunk holds parsed but unconverted CSV records: the unescaped bytes of
// every field back to back, where field k spans ends[k-1]..ends[k].
type rawChunk struct {
	data  []byte
	ends  []uint32
	lines []int32 // line number each row starts on
	null  map[int]bool
	nrows int
	ncols int
}

func (c *rawChunk) field(r, j int) []byte {
	k := r*c.ncols + j
	var s uint32
	if k > 0 {
		s = c.ends[k-1]
	}
	return c.data[s:c.ends[k]]
}

// forcedNull reports whether a cell was padded in for a short row.
func (c *rawChunk) forcedNull(r, j int) bool {
	return c.null != nil && c.null[r*c.ncols+j]
}

// maxChunkBytes keeps field offsets within uint32.
const maxChunkBytes = 3 << 30

// csvParser splits CSV text into records. It is a hand-written state machine
// rather than encoding/csv so that it can report lines, apply the bad-row
// policy and copy fields straight into a chunk.
type csvParser struct {
	delim    byte
	file     string
	line     int // line the next record starts on
	policy   BadRows
	problems []Problem
}

func (p *csvParser) where(line int) string {
	if p.file == "" {
		return fmt.Sprintf("line %d", line)
	}
	return fmt.Sprintf("%s:%d", p.file, line)
}

// parse appends records from buf to c until c holds maxRows rows or buf
// runs out. Unless atEOF, it stops before a record that may continue past
// buf. It returns the bytes consumed.
func (p *csvParser) parse(buf []byte, atEOF bool, c *rawChunk, maxRows int) (int, error) {
	pos := 0
	delim := p.delim
	n := len(buf)
	for c.nrows < maxRows && pos < n && len(c.data) < maxChunkBytes {
		start := pos
		dataMark, endsMark := len(c.data), len(c.ends)
		// Blank lines separate nothing; skip them.
		if buf[pos] == '\n' {
			pos++
			p.line++
			continue
		}
		if buf[pos] == '\r' {
			if pos+1 < n && buf[pos+1] == '\n' {
				pos += 2
				p.line++
				continue
			}
			if pos+1 == n && !atEOF {
				return start, nil
			}
		}
		lines := 0
		nf := 0
		unterminated := false
	fields:
		for {
			if pos < n && buf[pos] == '"' {
				var closed bool
				var nl int
				c.data, pos, nl, closed = scanQuoted(c.data, buf, pos+1, atEOF)
				lines += nl
				if !closed {
					if !atEOF {
						c.data, c.ends = c.data[:dataMark], c.ends[:endsMark]
						return start, nil
					}
					unterminated = true
					c.ends = append(c.ends, uint32(len(c.data)))
					nf++
					break fields
				}
			}
			s := pos
			pos = scanUnquoted(buf, pos, delim)
			c.data = append(c.data, buf[s:pos]...)
			c.ends = append(c.ends, uint32(len(c.data)))
			nf++
			if pos >= n || (buf[pos] == '\r' && pos+1 == n) {
				if !atEOF {
					c.data, c.ends = c.data[:dataMark], c.ends[:endsMark]
					return start, nil
				}
				pos = n
				break
			}
			if buf[pos] == delim {
				pos++
				continue
			}
			if buf[pos] == '\r' {
				pos++
			}
			pos++ // '\n'
			lines++
			break
		}
		line := p.line
		p.line += lines
		if unterminated {
			if p.policy == BadRowsError {
				return pos, fmt.Errorf("%s: unterminated quoted field", p.where(line))
			}
			c.data, c.ends = c.data[:dataMark], c.ends[:endsMark]
			p.problems = append(p.problems, Problem{File: p.file, Line: line, Reason: "unterminated quoted field", Action: "skip"})
			continue
		}
		if c.ncols == 0 {
			c.ncols = nf
		}
		if nf != c.ncols {
			reason := fmt.Sprintf("expected %d fields, got %d", c.ncols, nf)
			switch p.policy {
			case BadRowsError:
				return pos, fmt.Errorf("%s: %s (set BadRows to BadRowsNull or BadRowsSkip to continue)", p.where(line), reason)
			case BadRowsSkip:
				c.data, c.ends = c.data[:dataMark], c.ends[:endsMark]
				p.problems = append(p.problems, Problem{File: p.file, Line: line, Reason: reason, Action: "skip"})
				continue
			default:
				p.problems = append(p.problems, Problem{File: p.file, Line: line, Reason: reason, Action: "null"})
				if nf > c.ncols {
					c.ends = c.ends[:endsMark+c.ncols]
					c.data = c.data[:c.ends[len(c.ends)-1]]
				}
				for k := nf; k < c.ncols; k++ {
					if c.null == nil {
						c.null = make(map[int]bool)
					}
					c.null[c.nrows*c.ncols+k] = true
					c.ends = append(c.ends, uint32(len(c.data)))
				}
			}
		}
		c.lines = append(c.lines, int32(line))
		c.nrows++
	}
	return pos, nil
}

// detectDelimiter picks the most frequent of , ; tab | outside quotes on the
// first line.
func detectDelimiter(buf []byte) byte {
	counts := map[byte]int{}
	quoted := false
	for _, ch := range buf {
		if ch == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if ch == '\n' {
			break
		}
		switch ch {
		case ',', ';', '\t', '|':
			counts[ch]++
		}
	}
	best := byte(',')
	for _, d := range []byte{';', '\t', '|'} {
		if counts[d] > counts[best] {
			best = d
		}
	}
	return best
}

// scanQuoted reads a quoted field's content from buf, starting just past
// the opening quote, and appends it to dst with doubled quotes undone. It
// returns where reading stopped (past the closing quote when closed), the
// newlines inside the field, and whether the closing quote was found. A
// quote that is the last byte of buf counts as closing only at EOF, since
// the next chunk may start with its partner.
func scanQuoted(dst, buf []byte, pos int, atEOF bool) ([]byte, int, int, bool) {
	n, lines := len(buf), 0
	for pos < n {
		ch := buf[pos]
		if ch == '"' {
			if pos+1 < n && buf[pos+1] == '"' {
				dst = append(dst, '"')
				pos += 2
				continue
			}
			if pos+1 == n && !atEOF {
				return dst, pos, lines, false
			}
			return dst, pos + 1, lines, true
		}
		if ch == '\n' {
			lines++
			dst = append(dst, ch)
			pos++
			continue
		}
		s := pos
		for pos < n && buf[pos] != '"' && buf[pos] != '\n' {
			pos++
		}
		dst = append(dst, buf[s:pos]...)
	}
	return dst, pos, lines, false
}

// scanUnquoted returns where the unquoted field starting at pos ends: at
// the delimiter, the newline, or a carriage return that ends the line or
// the buffer.
func scanUnquoted(buf []byte, pos int, delim byte) int {
	n := len(buf)
	for pos < n {
		ch := buf[pos]
		if ch == delim || ch == '\n' {
			break
		}
		if ch == '\r' && (pos+1 == n || buf[pos+1] == '\n') {
			break
		}
		pos++
	}
	return pos
}
