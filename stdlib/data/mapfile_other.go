//go:build !unix

package data

import "os"

// mapFile reads the file into memory.
func mapFile(path string) ([]byte, func(), error) {
	b, err := os.ReadFile(path)
	return b, func() {}, err
}
