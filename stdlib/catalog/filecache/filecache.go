// Package filecache bounds a directory of cached files: when the files
// under it pass a size, the least recently used go first. A file counts as
// used when it was written or when Touch was last called on it (its
// modification time), so the bound needs no index beside the files.
//
// The server's shared dataset catalog keeps its local copies of object
// store files this way, and so does a notebook's copy of the versions it
// loaded from a server.
package filecache

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Dir is a directory of cached files bounded by Limit bytes. Only files
// whose names end in one of Exts count and are removed; others (such as a
// download in progress) are left alone.
type Dir struct {
	Root  string
	Limit int64
	Exts  []string

	mu sync.Mutex
}

// Touch marks path as just used.
func Touch(path string) {
	now := time.Now()
	os.Chtimes(path, now, now)
}

// Trim removes the least recently used files until those under Root take
// at most Limit bytes, never removing keep (the file just made or read,
// which may alone be larger than Limit).
func (d *Dir) Trim(keep string) {
	d.TrimExcept(func(path string) bool { return path == keep })
}

// TrimExcept is Trim keeping every file for which inUse is true.
func (d *Dir) TrimExcept(inUse func(path string) bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	type file struct {
		path string
		size int64
		used time.Time
	}
	var files []file
	var total int64
	filepath.WalkDir(d.Root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !d.counts(path) {
			return nil
		}
		if info, err := e.Info(); err == nil {
			files = append(files, file{path, info.Size(), info.ModTime()})
			total += info.Size()
		}
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].used.Before(files[j].used) })
	for _, f := range files {
		if total <= d.Limit {
			break
		}
		if !inUse(f.path) && os.Remove(f.path) == nil {
			total -= f.size
		}
	}
}

func (d *Dir) counts(path string) bool {
	if strings.HasPrefix(filepath.Base(path), ".") {
		return false
	}
	for _, ext := range d.Exts {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}
