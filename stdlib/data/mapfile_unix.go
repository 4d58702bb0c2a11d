//go:build unix

package data

import (
	"io"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapMinBytes is the smallest file mapFile maps; smaller ones (such as
// the few rows a serving worker scores per request) are read.
const mapMinBytes = 32 << 10

// fileBytes is a file's contents, mapped or read.
type fileBytes struct {
	buf    []byte
	mapped bool
}

// mapFile maps a regular file read-only instead of copying it into memory;
// close releases it. Reading the mapping faults if the file shrinks
// meanwhile, which readers of a mapping turn into errors (see faultGuard).
// Other files are read into memory.
func mapFile(path string) (*fileBytes, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if size := st.Size(); st.Mode().IsRegular() && size > 0 && size < mapMinBytes {
		// Mapping a small file costs more than copying it: read it
		// from the descriptor already open.
		b, err := readOpen(fh, size)
		return &fileBytes{buf: b}, err
	}
	if size := st.Size(); st.Mode().IsRegular() && size > 0 && size == int64(int(size)) {
		if b, err := syscall.Mmap(int(fh.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED); err == nil {
			return &fileBytes{buf: b, mapped: true}, nil
		}
	}
	b, err := os.ReadFile(path)
	return &fileBytes{buf: b}, err
}

// close unmaps a mapped file.
func (m *fileBytes) close() {
	if m.mapped {
		syscall.Munmap(m.buf)
		m.mapped = false
	}
	m.buf = nil
}

// drop tells the kernel that the pages wholly inside part, a slice of a
// mapping, need not stay resident: a reader done with a part of a big file
// keeps the process's resident size from growing by the whole file. The
// file's bytes are unchanged; reading them again faults them back in from
// the page cache. Read (not mapped) contents are left alone.
func (m *fileBytes) drop(part []byte) {
	if !m.mapped || len(part) == 0 {
		return
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(m.buf)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(part))) - base
	hi := lo + uintptr(len(part))
	if lo >= uintptr(len(m.buf)) || hi > uintptr(len(m.buf)) {
		return // not part of this mapping
	}
	page := uintptr(os.Getpagesize())
	lo = (lo + page - 1) &^ (page - 1)
	hi &^= page - 1
	if lo < hi {
		unix.Madvise(m.buf[lo:hi], unix.MADV_DONTNEED)
	}
}

// readOpen reads fh, of about size bytes, to its end.
func readOpen(fh *os.File, size int64) ([]byte, error) {
	b := make([]byte, 0, size+1) // one byte more: a file that grew is read whole
	for {
		n, err := fh.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}
