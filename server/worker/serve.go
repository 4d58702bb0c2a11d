package worker

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// A serving worker is a worker process started with a KindServe job. It
// confines itself as a run's worker does, loads the recipe and the trained
// model once, says Ready, then reads one Request per line from stdin and
// answers each with a Reply event: the request's rows go through the
// recipe's own Load and Score, exactly as a scoring run's input file does
// (recipe.ScoreInput on a CSV file in the worker's directory), and the
// scores come back encoded as a scoring run saves them (encodeCSV). So an
// online score and a batch score of the same row are the same text.

// Request asks a serving worker to score rows.
type Request struct {
	// CSV holds the rows with a header row, as a scoring run's input file
	// does.
	CSV string `json:"csv"`
}

// Reply is a serving worker's answer to a Request.
type Reply struct {
	// CSV holds the scores with a header row, as a scoring run saves them.
	CSV string `json:"csv,omitempty"`
	// Types are the column types of a *data.Frame output ("float64",
	// "string", ...), empty for other frames.
	Types []string `json:"types,omitempty"`
	// Error is the recipe's error for these rows (Load or Score failed).
	Error  string `json:"error,omitempty"`
	RowsIn int    `json:"rows_in"`
}

// requestFile is where a serving worker puts the rows it scores, in its
// own directory: the one place its sandbox lets it write.
const requestFile = "request.csv"

// maxKeptReply is the largest reply buffer a serving worker keeps for
// the next request.
const maxKeptReply = 1 << 20

// serve is the child side of a serving worker. It returns a result only
// when it could not start.
func serve(ctx context.Context, job Job, ev *events, br *bufio.Reader) (res *Result) {
	stdout := &lineWriter{ev: ev}
	stderr := &lineWriter{ev: ev, prefix: "stderr: "}
	defer stdout.flush()
	defer stderr.flush()
	defer func() {
		if r := recover(); r != nil {
			res = &Result{Error: fmt.Sprintf("the recipe panicked: %v", r)}
		}
	}()
	p, err := Load(ctx, job.Source, job.Values, ProgramOptions{Stdout: stdout, Stderr: stderr})
	if err != nil {
		return &Result{Error: err.Error()}
	}
	b, err := os.ReadFile(job.ModelIn)
	if err != nil {
		return &Result{Error: fmt.Sprintf("reading the trained model: %v", err)}
	}
	m, err := p.DecodeModel(b)
	if err != nil {
		return &Result{Error: err.Error()}
	}
	dir, err := os.Getwd()
	if err != nil {
		return &Result{Error: err.Error()}
	}
	path := filepath.Join(dir, requestFile)
	cfg := recipe.NewConfig(path)
	for _, k := range sortedNames(job.Values) {
		cfg = cfg.WithValue(k, job.Values[k])
	}
	// The request file stays open: each request's rows replace the last
	// one's, without opening and closing it every time.
	rf, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return &Result{Error: "creating the file for the rows to score: " + err.Error()}
	}
	defer rf.Close()
	var out bytes.Buffer // the scores' CSV, reused from request to request
	ev.send(Event{Ready: true})
	for {
		line, err := br.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			// The server closed our stdin: it no longer needs us.
			return nil
		}
		var req Request
		if err := json.Unmarshal(line, &req); err != nil {
			ev.send(Event{Reply: &Reply{Error: "bad request to the serving worker: " + err.Error()}})
			continue
		}
		stdout.flush()
		stderr.flush()
		ev.send(Event{Reply: scoreRequest(ctx, p, cfg, m, rf, &out, req)})
	}
}

// scoreRequest scores one request's rows: it writes them to rf, the file
// cfg's input names, and encodes the scores in buf.
func scoreRequest(ctx context.Context, p *Program, cfg recipe.Config, m recipe.Model, rf *os.File, buf *bytes.Buffer, req Request) *Reply {
	// Overwrite, then cut what is left of longer rows before (the file's
	// size is asked, not remembered, in case the recipe wrote to it):
	// truncating costs more than a one-row request's other file work, and
	// rows as long as the last ones do not need it.
	n, err := rf.WriteAt([]byte(req.CSV), 0)
	var st os.FileInfo
	if err == nil {
		st, err = rf.Stat()
	}
	if err == nil && st.Size() > int64(n) {
		err = rf.Truncate(int64(n))
	}
	if err != nil {
		return &Reply{Error: "writing the rows for the recipe: " + err.Error()}
	}
	var s *recipe.Scored
	err = p.Call(ctx, func() (err error) {
		s, err = recipe.ScoreInput(cfg, p.Funcs, m)
		return err
	})
	if err != nil {
		return &Reply{Error: err.Error()}
	}
	buf.Reset()
	if err := encodeCSV(s.Output, buf); err != nil {
		return &Reply{Error: err.Error()}
	}
	rep := &Reply{CSV: buf.String(), RowsIn: s.RowsIn}
	if buf.Cap() > maxKeptReply {
		*buf = bytes.Buffer{} // a large answer's memory is not kept
	}
	if df, ok := s.Output.(*data.Frame); ok {
		for _, f := range df.Schema() {
			rep.Types = append(rep.Types, string(f.Type))
		}
		df.Release()
	}
	return rep
}

// ServeSpec is what a serving worker loads.
type ServeSpec struct {
	// Source and Values are the recipe version's source and the trained
	// model's parameter values, as a scoring run of the model gets them.
	Source string
	Values map[string]recipe.Value
	// ModelIn is the trained model's artifact.
	ModelIn string
	// Dir is the worker's own directory, created and removed by the
	// caller: the only place the recipe may write.
	Dir string
	// Log receives what the recipe prints; nil drops it.
	Log func(line string)
}

// Scorer is a serving worker process seen from the server. Score may be
// called from many goroutines; the worker answers one request at a time.
type Scorer struct {
	Pid int

	cmd     *exec.Cmd
	stdin   io.WriteCloser
	mu      sync.Mutex // one request at a time
	replies chan *Reply
	exited  chan struct{} // closed when the process has ended
	stderr  *tail
	waitErr error
	result  *Result // the worker's result when it could not start
}

// ErrScorerGone is returned by Score when the serving worker has ended.
var ErrScorerGone = errors.New("the serving worker process has ended")

// StartScorer starts a serving worker for spec, confined as a run's worker
// is, and waits until it has loaded the recipe and model (or failed to,
// or load elapsed).
func (p *Pool) StartScorer(ctx context.Context, spec ServeSpec, load time.Duration) (*Scorer, error) {
	p.setup()
	if len(p.Command) == 0 {
		return nil, errors.New("no worker command configured")
	}
	modelIn := spec.ModelIn
	if objectstore.IsKey(modelIn) {
		// The model is in the object store: the worker reads a copy in
		// its own directory, as a scoring run's does.
		modelIn = filepath.Join(spec.Dir, "model.json")
		if err := p.Objects.Fetch(ctx, spec.ModelIn, modelIn); err != nil {
			return nil, fmt.Errorf("fetching the model: %w", err)
		}
	}
	job := Job{Kind: KindServe, Source: spec.Source, Values: spec.Values, ModelIn: modelIn, MemoryLimit: p.MemoryLimit,
		Sandbox: &Sandbox{Dir: spec.Dir, Network: p.Network, Read: []string{modelIn}}}
	cmd, stdin, stdout, stderr, err := p.startConfined(spec.Dir, func(line string) {
		if spec.Log != nil {
			spec.Log(line)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("starting the serving worker: %w", err)
	}
	b, _ := json.Marshal(job)
	stdin.Write(append(b, '\n'))
	s := &Scorer{Pid: cmd.Process.Pid, cmd: cmd, stdin: stdin, replies: make(chan *Reply, 1), exited: make(chan struct{}), stderr: stderr}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1<<30)
		readied := false
		for sc.Scan() {
			var ev Event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				if spec.Log != nil {
					spec.Log(sc.Text())
				}
				continue
			}
			switch {
			case ev.Ready && !readied:
				readied = true
				close(ready)
			case ev.Reply != nil:
				s.replies <- ev.Reply
			case ev.Result != nil:
				s.result = ev.Result
			case ev.Log != "" && spec.Log != nil:
				spec.Log(ev.Log)
			}
		}
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	timer := time.NewTimer(load)
	defer timer.Stop()
	select {
	case <-ready:
		return s, nil
	case <-s.exited:
		if s.result != nil && s.result.Error != "" {
			return nil, fmt.Errorf("loading the recipe and model: %s", s.result.Error)
		}
		return nil, fmt.Errorf("the serving worker ended while loading: %v %s", s.waitErr, s.stderr.String())
	case <-timer.C:
		s.Close()
		return nil, fmt.Errorf("the serving worker did not load the recipe and model within %s", load)
	case <-ctx.Done():
		s.Close()
		return nil, ctx.Err()
	}
}

// startConfined starts a worker process in dir as spawn does: in a network
// namespace of its own when recipes have no network, without one (saying
// so) where the platform refuses it.
func (p *Pool) startConfined(dir string, warn func(string)) (*exec.Cmd, io.WriteCloser, io.ReadCloser, *tail, error) {
	cmd, stdin, stdout, stderr, err := p.start(dir, sysProcAttr(p.Network))
	if err != nil && isolatesNetwork(cmd.SysProcAttr) {
		// Some containers refuse new namespaces: run without one and say
		// so, rather than not at all; Landlock still refuses TCP.
		warn(fmt.Sprintf("sandbox: WARNING: no network namespace for the worker (%v); the recipe may reach the network except over TCP where Landlock refuses it", err))
		cmd, stdin, stdout, stderr, err = p.start(dir, withoutNetworkNamespace(cmd.SysProcAttr))
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return cmd, stdin, stdout, stderr, nil
}

// Score sends csv (rows with a header row) to the worker and returns its
// reply. When the reply does not come within timeout the worker is
// stopped: its state is unknown, and the caller starts another. When ctx
// ends first Score returns at once, and the worker's reply, when it comes,
// is dropped: a client that went away does not cost the others the warm
// worker. ErrScorerGone means the worker had ended.
func (s *Scorer) Score(ctx context.Context, csv []byte, timeout time.Duration) (*Reply, error) {
	s.mu.Lock()
	select {
	case <-s.exited:
		s.mu.Unlock()
		return nil, ErrScorerGone
	default:
	}
	b, _ := json.Marshal(Request{CSV: string(csv)})
	if _, err := s.stdin.Write(append(b, '\n')); err != nil {
		s.kill()
		s.mu.Unlock()
		return nil, ErrScorerGone
	}
	// The reply is awaited here rather than in a goroutine of its own: one
	// handoff less per request. Only a request whose context ends first
	// leaves a goroutine to take the reply and free the worker.
	timer := time.NewTimer(timeout)
	select {
	case rep := <-s.replies:
		timer.Stop()
		s.mu.Unlock()
		return rep, nil
	case <-s.exited:
		timer.Stop()
		s.mu.Unlock()
		return nil, fmt.Errorf("%w while scoring: %v %s", ErrScorerGone, s.waitErr, s.stderr.String())
	case <-timer.C:
		s.kill()
		s.mu.Unlock()
		return nil, fmt.Errorf("the recipe did not score the rows within %s; its worker was stopped", timeout)
	case <-ctx.Done():
		go func() {
			defer s.mu.Unlock()
			defer timer.Stop()
			select {
			case <-s.replies:
			case <-s.exited:
			case <-timer.C:
				s.kill()
			}
		}()
		return nil, ctx.Err()
	}
}

// Alive reports whether the worker process is still running.
func (s *Scorer) Alive() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

func (s *Scorer) kill() {
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
}

// Close ends the worker once the request it is answering is done: it
// reads its stdin to the end and exits. A worker that does not exit
// within a few seconds is killed.
func (s *Scorer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stdin.Close()
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.kill()
	}
	return nil
}
