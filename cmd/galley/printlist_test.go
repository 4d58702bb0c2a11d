package main

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/galley-dev/galley/server"
)

func TestPrintList(t *testing.T) {
	row := func(w io.Writer, n int) { fmt.Fprintf(w, "%d\tx\n", n) }
	for _, tt := range []struct {
		name    string
		asJSON  bool
		items   []int
		total   int
		err     error
		want    string
		wantErr string
	}{
		{name: "table", items: []int{1, 22}, total: 2, want: "N   X\n1   x\n22  x\n"},
		{name: "more left", items: []int{1}, total: 3, want: "N  X\n1  x\n(1 of 3 shown; use --limit and --offset for more)\n"},
		{name: "json", asJSON: true, items: []int{1, 2}, total: 5, want: "[\n  1,\n  2\n]\n"},
		{name: "server error", err: server.Errorf(server.ENOTFOUND, "no such thing"), wantErr: "no such thing"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			err := printList(&b, tt.asJSON, tt.items, tt.total, tt.err, "N\tX", row)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || b.Len() != 0 {
					t.Fatalf("printList = %v, printed %q; want only the error %q", err, b.String(), tt.wantErr)
				}
				return
			}
			if err != nil || b.String() != tt.want {
				t.Errorf("printList printed %q, %v; want %q", b.String(), err, tt.want)
			}
		})
	}
}
