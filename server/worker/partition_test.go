package worker

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/galley-dev/galley/server"
)

// TestSplitCSV cuts CSV text at record boundaries only, so that the
// header plus each part's bytes is a CSV file of exactly its rows, and the
// parts' bytes in order are the input's.
func TestSplitCSV(t *testing.T) {
	for _, tt := range []struct {
		name string
		text string
		rows int64
		want []string // each part's bytes
	}{
		{"even", "a,b\n1,2\n3,4\n5,6\n7,8\n", 2, []string{"1,2\n3,4\n", "5,6\n7,8\n"}},
		{"remainder", "a,b\n1,2\n3,4\n5,6\n", 2, []string{"1,2\n3,4\n", "5,6\n"}},
		{"one part", "a,b\n1,2\n", 5, []string{"1,2\n"}},
		{"no final newline", "a,b\n1,2\n3,4", 1, []string{"1,2\n", "3,4"}},
		{"crlf", "a,b\r\n1,2\r\n3,4\r\n", 1, []string{"1,2\r\n", "3,4\r\n"}},
		{"quoted newlines", "id,note\n1,\"two\nlines\"\n2,\"say \"\"hi\"\"\nthere\"\n3,x\n", 1,
			[]string{"1,\"two\nlines\"\n", "2,\"say \"\"hi\"\"\nthere\"\n", "3,x\n"}},
		{"quoted header", "\"a\nb\",c\n1,2\n", 1, []string{"1,2\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// One byte at a time as well: records straddle reads.
			for _, r := range []io.Reader{strings.NewReader(tt.text), iotest.OneByteReader(strings.NewReader(tt.text))} {
				headerEnd, parts, err := splitCSV(r, tt.rows)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				var first int64
				for i, p := range parts {
					if p.Part != i || p.FirstRow != first || p.HeaderEnd != headerEnd {
						t.Errorf("part %d = %+v, want part %d from row %d", i, p, i, first)
					}
					first += p.Rows
					got = append(got, tt.text[p.ByteStart:p.ByteEnd])
				}
				if strings.Join(got, "|") != strings.Join(tt.want, "|") {
					t.Errorf("parts %q, want %q", got, tt.want)
				}
				if int(parts[len(parts)-1].ByteEnd) != len(tt.text) {
					t.Errorf("the parts end at %d of %d bytes", parts[len(parts)-1].ByteEnd, len(tt.text))
				}
			}
		})
	}
	for _, tt := range []struct{ text, err string }{
		{"", "no header"},
		{"a,b\n", "no rows"},
		{"a,b\n1,\"open\n", "not closed"},
	} {
		if _, _, err := splitCSV(strings.NewReader(tt.text), 2); err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("splitCSV(%q) = %v, want an error saying %q", tt.text, err, tt.err)
		}
	}
}

// TestSplitCSVLongRecords: records longer than the read buffer are cut
// only at their ends.
func TestSplitCSVLongRecords(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("id,text\n")
	long := strings.Repeat("x", 3<<20)
	for i := range 3 {
		b.WriteString(string(rune('0'+i)) + ",\"" + long + "\n" + long + "\"\n")
	}
	_, parts, err := splitCSV(bytes.NewReader(b.Bytes()), 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	for i, p := range parts {
		rec := b.Bytes()[p.ByteStart:p.ByteEnd]
		if rec[0] != byte('0'+i) || !bytes.HasSuffix(rec, []byte("\"\n")) {
			t.Errorf("part %d starts %q and ends %q", i, rec[:3], rec[len(rec)-3:])
		}
	}
}

// TestSplitCSVBlocks: quoted fields, records and part cuts straddling the
// splitter's 1 MiB reads land where a byte-by-byte reading puts them.
func TestSplitCSVBlocks(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,note\r\n")
	for i := 0; b.Len() < 3<<20; i++ {
		switch i % 7 {
		case 0:
			b.WriteString("q,\"a \"\"quoted\"\"\nnote, over\r\nlines\"\r\n")
		case 3:
			b.WriteString("p,\"" + strings.Repeat("y\n", i%5000) + "\"\n")
		default:
			b.WriteString("r,plain\n")
		}
	}
	text := b.String()
	for _, rows := range []int64{1, 7, 1000, 100000} {
		want := oracleSplit(t, text, rows)
		_, got, err := splitCSV(strings.NewReader(text), rows)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("rows %d: %d parts, want %d", rows, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("rows %d: part %d = %+v, want %+v", rows, i, got[i], want[i])
			}
		}
	}
}

// oracleSplit is splitCSV's definition, read byte by byte: a record ends
// at a newline after an even number of quotes, or at a last byte that is
// not a newline; the first record is the header.
func oracleSplit(t testing.TB, text string, rows int64) []server.RunPart {
	var ends []int64
	quotes := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '"':
			quotes++
		case '\n':
			if quotes%2 == 0 {
				ends = append(ends, int64(i+1))
			}
		}
	}
	if quotes%2 == 0 && len(text) > 0 && (len(ends) == 0 || ends[len(ends)-1] != int64(len(text))) {
		ends = append(ends, int64(len(text)))
	}
	if quotes%2 == 1 || len(ends) < 2 {
		return nil
	}
	var parts []server.RunPart
	for first := int64(0); first < int64(len(ends)-1); first += rows {
		last := min(first+rows, int64(len(ends)-1))
		parts = append(parts, server.RunPart{Part: len(parts), FirstRow: first, Rows: last - first, HeaderEnd: ends[0], ByteStart: ends[first], ByteEnd: ends[last]})
	}
	return parts
}

// FuzzSplitCSV checks splitCSV against oracleSplit on any text: the same
// parts, or an error exactly when the oracle finds no rows or an open
// quote.
func FuzzSplitCSV(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n3,4\n", "a,b\r\n1,2\r\n3,4", "id,note\n1,\"two\nlines\"\n2,\"say \"\"hi\"\"\nthere\"\n3,x\n", "\"a\nb\",c\n1,2\n", "a,b\n1,\"open\n", "x\n\n\n\"\"\n"} {
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, text string, r uint8) {
		rows := int64(r%6) + 1
		want := oracleSplit(t, text, rows)
		for _, rd := range []io.Reader{strings.NewReader(text), iotest.HalfReader(strings.NewReader(text))} {
			_, got, err := splitCSV(rd, rows)
			if want == nil {
				if err == nil {
					t.Fatalf("splitCSV(%q, %d) = %+v, want an error", text, rows, got)
				}
				continue
			}
			if err != nil {
				t.Fatalf("splitCSV(%q, %d): %v", text, rows, err)
			}
			if len(got) != len(want) {
				t.Fatalf("splitCSV(%q, %d) = %+v, want %+v", text, rows, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("splitCSV(%q, %d) part %d = %+v, want %+v", text, rows, i, got[i], want[i])
				}
			}
		}
	})
}
