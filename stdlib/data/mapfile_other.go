//go:build !unix

package data

import "os"

// fileBytes is a file's contents.
type fileBytes struct{ buf []byte }

// mapFile reads the file into memory.
func mapFile(path string) (*fileBytes, error) {
	b, err := os.ReadFile(path)
	return &fileBytes{buf: b}, err
}

func (m *fileBytes) close() { m.buf = nil }

// drop does nothing: the contents were read, not mapped.
func (m *fileBytes) drop([]byte) {}
