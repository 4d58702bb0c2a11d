package worker

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
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
