package data

import "math/bits"

// intTable numbers distinct 64-bit keys in order of first insertion. It is
// an open-addressing table with linear probing over one slice of
// key/code pairs, so a lookup touches one cache line and inserting a row
// allocates nothing; Go maps cost several times more per row.
type intTable struct {
	slots []intSlot // length a power of two, at most half full
	shift uint8     // 64 - log2(len(slots))
	n     int32     // keys held
}

type intSlot struct {
	key  uint64
	code int32 // code + 1; 0 marks an empty slot
}

// hashInt spreads a key over the table's top bits (Fibonacci hashing
// after a xor-shift, so keys that differ only in high bits still spread).
func hashInt(k uint64) uint64 { return (k ^ k>>32) * 0x9e3779b97f4a7c15 }

func newIntTable(size int) *intTable {
	t := &intTable{}
	t.init(size)
	return t
}

func (t *intTable) init(size int) {
	n := 16
	for n < 2*size {
		n *= 2
	}
	t.slots = make([]intSlot, n)
	t.shift = uint8(64 - bits.TrailingZeros(uint(n)))
}

// code returns k's code, giving k the next one if it has none.
func (t *intTable) code(k uint64) int32 {
	mask := len(t.slots) - 1
	i := int(hashInt(k) >> t.shift)
	for {
		s := &t.slots[i]
		if s.code == 0 {
			c := t.n
			s.key, s.code = k, c+1
			t.n++
			if 2*int(t.n) > len(t.slots) {
				t.grow()
			}
			return c
		}
		if s.key == k {
			return s.code - 1
		}
		i = (i + 1) & mask
	}
}

// lookup returns k's code, or -1 when k has none.
func (t *intTable) lookup(k uint64) int32 {
	mask := len(t.slots) - 1
	i := int(hashInt(k) >> t.shift)
	for {
		s := &t.slots[i]
		if s.code == 0 {
			return -1
		}
		if s.key == k {
			return s.code - 1
		}
		i = (i + 1) & mask
	}
}

func (t *intTable) grow() {
	old := t.slots
	t.init(len(old))
	mask := len(t.slots) - 1
	for _, s := range old {
		if s.code == 0 {
			continue
		}
		i := int(hashInt(s.key) >> t.shift)
		for t.slots[i].code != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}
