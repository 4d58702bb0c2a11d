package data

import (
	"errors"
	"fmt"
	"os"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// ReadArrow reads an Arrow IPC file (Feather v2). mem may be nil.
func ReadArrow(path string, mem memory.Allocator) (*Frame, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	r, err := ipc.NewFileReader(fh, ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer r.Close()
	var frames []*Frame
	defer func() {
		for _, f := range frames {
			f.Release()
		}
	}()
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.Record(i)
		if err != nil {
			return nil, fmt.Errorf("%s: record batch %d: %w", path, i, err)
		}
		f, err := FromRecord(mem, rec)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		frames = append(frames, f)
	}
	if len(frames) == 0 {
		return emptyFrame(mem, r.Schema())
	}
	return Concat(frames...)
}

func emptyFrame(mem memory.Allocator, s *arrow.Schema) (*Frame, error) {
	names := make([]string, s.NumFields())
	cols := make([]arrow.Array, s.NumFields())
	for i, fl := range s.Fields() {
		names[i] = fl.Name
		null := arrayOfNull(mem, fl.Type)
		empty, err := normalize(mem, fl.Name, null)
		null.Release()
		if err != nil {
			releaseAll(cols)
			return nil, err
		}
		cols[i] = empty
	}
	return newFrame(mem, names, cols)
}

// WriteArrow writes f as an Arrow IPC file (Feather v2), optionally
// compressed with "zstd" or "lz4" ("" for none).
func (f *Frame) WriteArrow(path string, compression string) error {
	if err := f.live(); err != nil {
		return err
	}
	opts := []ipc.Option{ipc.WithSchema(f.arrowSchema()), ipc.WithAllocator(f.mem)}
	switch compression {
	case "":
	case "zstd":
		opts = append(opts, ipc.WithZstd())
	case "lz4":
		opts = append(opts, ipc.WithLZ4())
	default:
		return fmt.Errorf("unknown IPC compression %q (want zstd, lz4 or empty)", compression)
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	w, err := ipc.NewFileWriter(fh, opts...)
	if err != nil {
		fh.Close()
		return err
	}
	rec := f.Record()
	err = w.Write(rec)
	rec.Release()
	return errors.Join(err, w.Close(), fh.Close())
}
