package data

import (
	"fmt"
)

// csvParser holds what reading a CSV's header finds out for the records
// after it: the delimiter and the line they start on.
type csvParser struct {
	delim byte
	file  string
	line  int // line the next record starts on
}

func (p *csvParser) where(line int) string {
	if p.file == "" {
		return fmt.Sprintf("line %d", line)
	}
	return fmt.Sprintf("%s:%d", p.file, line)
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
