package data

import (
	"encoding/binary"
	"math/bits"
)

// strDict numbers distinct byte strings in order of first appearance. It is
// an open-addressing table whose slots hold a string's first eight bytes
// and length, so the short values typical of categorical columns are found
// without hashing more than one word or comparing memory; only longer
// strings are compared against their level.
type strDict struct {
	slots  []dictSlot // length a power of two, at most half full
	shift  uint8      // 64 - log2(len(slots))
	levels []string   // by code
}

type dictSlot struct {
	key  uint64 // the first min(8, n) bytes, little-endian, zero-padded
	n    int32  // length
	code int32  // code + 1; 0 marks an empty slot
}

const (
	dictMul1 = 0x9e3779b97f4a7c15
	dictMul2 = 0xc2b2ae3d27d4eb4f
)

// prefixKey packs the first min(8, len(b)) bytes of b into a word. It reads
// a whole word when the slice's capacity allows, as for fields cut from the
// input.
func prefixKey(b []byte) uint64 {
	n := len(b)
	if n >= 8 {
		return binary.LittleEndian.Uint64(b)
	}
	if cap(b) >= 8 {
		return binary.LittleEndian.Uint64(b[:8]) & (1<<(8*uint(n)) - 1)
	}
	var k uint64
	for i := n - 1; i >= 0; i-- {
		k = k<<8 | uint64(b[i])
	}
	return k
}

// dictHash hashes b, whose prefix key is k.
func dictHash(k uint64, b []byte) uint64 {
	h := (k ^ uint64(len(b))<<59) * dictMul1
	for i := 8; i < len(b); i += 8 {
		var w uint64
		if i+8 <= len(b) {
			w = binary.LittleEndian.Uint64(b[i:])
		} else {
			w = prefixKey(b[i:])
		}
		h = bits.RotateLeft64(h^w, 31) * dictMul2
	}
	return h ^ h>>29
}

func (d *strDict) init(size int) {
	n := 16
	for n < 2*size {
		n *= 2
	}
	d.slots = make([]dictSlot, n)
	d.shift = uint8(64 - bits.TrailingZeros(uint(n)))
}

// find returns b's code, or -1 with the slot where it would go.
func (d *strDict) find(b []byte) (int32, int) {
	if d.slots == nil {
		d.init(64)
	}
	k := prefixKey(b)
	mask := len(d.slots) - 1
	i := int(dictHash(k, b) >> d.shift)
	for {
		s := &d.slots[i]
		if s.code == 0 {
			return -1, i
		}
		if s.key == k && int(s.n) == len(b) && (len(b) <= 8 || d.levels[s.code-1] == bstr(b)) {
			return s.code - 1, i
		}
		i = (i + 1) & mask
	}
}

// lookup returns b's code, or -1 when b has none.
func (d *strDict) lookup(b []byte) int32 {
	c, _ := d.find(b)
	return c
}

// add gives b, which has no code, the next one.
func (d *strDict) add(b []byte) int32 {
	_, i := d.find(b)
	code := int32(len(d.levels))
	d.levels = append(d.levels, string(b))
	d.slots[i] = dictSlot{key: prefixKey(b), n: int32(len(b)), code: code + 1}
	if 2*len(d.levels) > len(d.slots) {
		d.grow()
	}
	return code
}

func (d *strDict) grow() {
	old := d.slots
	d.init(len(old))
	mask := len(d.slots) - 1
	for _, s := range old {
		if s.code == 0 {
			continue
		}
		lv := d.levels[s.code-1]
		i := int(dictHash(s.key, []byte(lv)) >> d.shift)
		for d.slots[i].code != 0 {
			i = (i + 1) & mask
		}
		d.slots[i] = s
	}
}
