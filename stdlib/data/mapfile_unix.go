//go:build unix

package data

import (
	"io"
	"os"
	"syscall"
)

// mapMinBytes is the smallest file mapFile maps; smaller ones (such as
// the few rows a serving worker scores per request) are read.
const mapMinBytes = 32 << 10

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
	if size := st.Size(); st.Mode().IsRegular() && size > 0 && size < mapMinBytes {
		// Mapping a small file costs more than copying it: read it
		// from the descriptor already open.
		return readOpen(fh, size)
	}
	if size := st.Size(); st.Mode().IsRegular() && size > 0 && size == int64(int(size)) {
		if b, err := syscall.Mmap(int(fh.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED); err == nil {
			return b, func() { syscall.Munmap(b) }, nil
		}
	}
	b, err := os.ReadFile(path)
	return b, func() {}, err
}

// readOpen reads fh, of about size bytes, to its end.
func readOpen(fh *os.File, size int64) ([]byte, func(), error) {
	b := make([]byte, 0, size+1) // one byte more: a file that grew is read whole
	for {
		n, err := fh.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, func() {}, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}
