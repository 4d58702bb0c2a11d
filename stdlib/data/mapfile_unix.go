//go:build unix

package data

import (
	"os"
	"syscall"
)

// mapFile maps a regular file read-only instead of copying it into memory;
// unmap releases it. Reading the mapping faults if the file shrinks
// meanwhile, which readers of a mapping turn into errors (see faultGuard).
// Other files are read into memory.
func mapFile(path string) (buf []byte, unmap func(), err error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, nil, err
	}
	if size := st.Size(); st.Mode().IsRegular() && size > 0 && size == int64(int(size)) {
		if b, err := syscall.Mmap(int(fh.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED); err == nil {
			return b, func() { syscall.Munmap(b) }, nil
		}
	}
	b, err := os.ReadFile(path)
	return b, func() {}, err
}
