package data

import (
	"fmt"
	"testing"
)

// TestStrDict numbers strings of every length up to 40, with shared
// prefixes and zero bytes, through many grows, and finds each again from
// slices with and without spare capacity.
func TestStrDict(t *testing.T) {
	var d strDict
	var keys []string
	for i := 0; i < 5000; i++ {
		k := fmt.Sprintf("%d", i)
		for len(k) < i%41 {
			k += "x"
		}
		keys = append(keys, k)
	}
	keys = append(keys, "", "\x00", "a", "a\x00", "a\x00\x00\x00\x00\x00\x00\x00", "a\x00\x00\x00\x00\x00\x00\x00\x00")
	for i, k := range keys {
		if c := d.lookup([]byte(k)); c != -1 {
			t.Fatalf("%q found as %d before it was added", k, c)
		}
		if c := d.add([]byte(k)); c != int32(i) {
			t.Fatalf("%q got code %d, want %d", k, c, i)
		}
	}
	buf := []byte("ignored-prefix")
	for i, k := range keys {
		// Inside a longer buffer, so the first word reads past the key.
		b := append(append(buf[:0:0], "zz"...), k...)
		b = append(b, "trailing bytes"...)[2 : 2+len(k)]
		if c := d.lookup(b); c != int32(i) {
			t.Fatalf("%q: code %d, want %d", k, c, i)
		}
		if c := d.lookup([]byte(k)[:len(k):len(k)]); c != int32(i) {
			t.Fatalf("%q without spare capacity: code %d, want %d", k, c, i)
		}
	}
	for _, k := range []string{"5000", "1x", "a\x00\x00", "x"} {
		if c := d.lookup([]byte(k)); c != -1 {
			t.Fatalf("absent %q found as %d", k, c)
		}
	}
	if len(d.levels) != len(keys) || 2*len(d.levels) > len(d.slots) {
		t.Fatalf("%d levels in %d slots", len(d.levels), len(d.slots))
	}
}
