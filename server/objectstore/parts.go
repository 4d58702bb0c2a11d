package objectstore

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// Partitioned scoring keeps each part's scores under its run's key until
// the run's output is assembled from them:
//
//	runs/ID/parts/K.csv   the scores part K of scoring run ID wrote

// PartKey is where part k of scoring run id keeps its scores.
func PartKey(id int64, k int) string { return runPrefix(id) + "parts/" + strconv.Itoa(k) + ".csv" }

// PartsPrefix is the prefix of every part of run id.
func PartsPrefix(id int64) string { return runPrefix(id) + "parts/" }

// Span is a byte range of an object: Length bytes from Offset.
type Span struct{ Offset, Length int64 }

// FetchSpans downloads the spans of key, one after another, to the local
// file path, atomically: path appears whole or not at all. A part of a
// scoring run reads its input this way: the snapshot's header, then its
// own rows, without the rest of the snapshot.
func (s *Store) FetchSpans(ctx context.Context, key, path string, spans ...Span) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return err
	}
	err = func() error {
		for _, sp := range spans {
			if sp.Length == 0 {
				continue
			}
			r, err := s.bucket.NewRangeReader(ctx, key, sp.Offset, sp.Length, nil)
			if err != nil {
				return s.wrap(err, key)
			}
			n, err := io.Copy(f, r)
			r.Close()
			if err != nil {
				return err
			}
			if n != sp.Length {
				return fmt.Errorf("read %d bytes of %d at offset %d: the object is shorter than its plan", n, sp.Length, sp.Offset)
			}
		}
		return nil
	}()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("storage %s: fetching %s: %w", s.url, key, err)
	}
	return nil
}
