package worker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/objectstore"
)

// assembly writes the scores of a partitioned run's parts into the run's
// one output, in order, while the run goes on: the coordinator appends
// each part as soon as it and every part before it have succeeded, so
// that once the last part succeeds only its own scores are left to copy.
// The header is written once; a part whose header differs from the
// first's fails the run (Score gave different columns for some rows).
//
// The output goes to a local file in the run's directory (commitScores
// reads it) and, through a pipe, to the run's output key in the object
// store, which is published only when finish has written every part: an
// assembly abandoned or aborted publishes nothing.
type assembly struct {
	run    int64
	path   string
	f      *os.File
	w      *bufio.Writer
	pw     *io.PipeWriter
	put    chan error
	header []byte
	next   int // the next part to append
}

// startAssembly starts the output of attempt run.Attempt of run.
func (p *Pool) startAssembly(run *server.Run) (*assembly, error) {
	dir := p.runDir(run.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, fmt.Sprintf("output-%d.csv", run.Attempt))
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	a := &assembly{run: run.ID, path: path, f: f, pw: pw, put: make(chan error, 1)}
	a.w = bufio.NewWriterSize(io.MultiWriter(f, pw), 1<<20)
	go func() {
		err := p.Objects.Put(context.Background(), objectstore.OutputKey(run.ID), pr)
		// A Put that stops early (the store failed) must not leave the
		// writer blocked on the pipe.
		pr.CloseWithError(errors.Join(err, errors.New("the upload of the output stopped")))
		a.put <- err
	}()
	return a, nil
}

// add appends, in order, the parts of parts (all of the run's, in order)
// that have succeeded and follow those already appended.
func (a *assembly) add(ctx context.Context, objects *objectstore.Store, parts []*server.RunPart) error {
	for ; a.next < len(parts) && parts[a.next].State == server.RunSucceeded; a.next++ {
		if err := a.copyPart(ctx, objects, parts[a.next].Part); err != nil {
			return err
		}
	}
	return nil
}

func (a *assembly) copyPart(ctx context.Context, objects *objectstore.Store, part int) error {
	r, err := objects.Reader(ctx, objectstore.PartKey(a.run, part))
	if err != nil {
		return err
	}
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	h, err := readRecord(br)
	if err != nil {
		return fmt.Errorf("part %d: reading its header: %w", part+1, err)
	}
	if a.header == nil {
		a.header = h
		if _, err := a.w.Write(h); err != nil {
			return err
		}
	} else if !bytes.Equal(h, a.header) {
		return server.Errorf(server.EINVALID, "part %d's scores have the columns %q but part 1's have %q: Score must give the same columns for every part of its input, or score this input unpartitioned (--score-partition-rows 0)",
			part+1, bytes.TrimSpace(h), bytes.TrimSpace(a.header))
	}
	if _, err := io.Copy(a.w, br); err != nil {
		return fmt.Errorf("part %d: %w", part+1, err)
	}
	return nil
}

// finish completes an assembly that holds every part: the local file is
// closed and the output published in the object store under its key.
func (a *assembly) finish() (string, error) {
	err := a.w.Flush()
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		a.pw.CloseWithError(err)
		<-a.put
		os.Remove(a.path)
		return "", err
	}
	a.pw.Close()
	if err := <-a.put; err != nil {
		os.Remove(a.path)
		return "", fmt.Errorf("storing the assembled scores: %w", err)
	}
	return objectstore.OutputKey(a.run), nil
}

// abort drops an unfinished assembly: nothing is published and the local
// file is removed.
func (a *assembly) abort() {
	a.pw.CloseWithError(errors.New("the assembly was abandoned"))
	<-a.put
	a.f.Close()
	os.Remove(a.path)
}

// readRecord reads one CSV record, up to a newline outside quotes.
func readRecord(br *bufio.Reader) ([]byte, error) {
	var rec []byte
	quotes := 0
	for {
		line, err := br.ReadSlice('\n')
		rec = append(rec, line...)
		quotes += bytes.Count(line, []byte{'"'})
		if err == nil && quotes%2 == 0 {
			return rec, nil
		}
		if err == io.EOF {
			if len(rec) == 0 {
				return nil, errors.New("the part wrote no scores, not even a header")
			}
			return rec, nil
		}
		if err != nil && err != bufio.ErrBufferFull {
			return nil, err
		}
	}
}
