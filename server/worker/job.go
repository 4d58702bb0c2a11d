// Package worker executes runs. A Pool executes the runs the job queue
// (package queue) delivers, starting one child process per attempt
// ("galley run-attempt"), which runs
// the recipe's cells through the kernel's cell engine under the recipe
// profile (Program), within a time and memory limit, and streams its log
// back over a pipe. A recipe's own error or panic fails the run at once; a
// crash of the worker, or an error the recipe marks recipe.Retryable, goes
// back to the queue with exponential backoff. Importer validates notebooks
// in the same pool before the store keeps them.
//
// The child side is Child: it reads one Job as JSON from stdin and writes
// Events as JSON lines to stdout.
package worker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"sync"
	"time"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// Job kinds.
const (
	KindTrain    = "train"
	KindScore    = "score"
	KindValidate = "validate"
	// KindServe keeps a recipe and its trained model loaded and scores the
	// rows of each request it reads after the job (serve.go).
	KindServe = "serve"
)

// Job is what a worker process is asked to do.
type Job struct {
	Kind   string `json:"kind"`
	Source string `json:"source"`
	// Values holds every parameter's value, parsed once where it entered
	// the server (recipe.Resolve): the injected parameters cell and
	// recipe.Config both take them as they are.
	Values map[string]recipe.Value `json:"values"`
	// Input is the dataset file Load reads; Limit bounds its rows.
	Input string `json:"input"`
	Limit int    `json:"limit"`
	// ModelIn is the saved model a scoring run uses, or the baseline a
	// training run evaluates on its own evaluation split beside the new
	// model (for a promotion rule); ModelOut is where a training run saves
	// its model; Output is where scoring writes CSV.
	ModelIn  string `json:"model_in,omitempty"`
	ModelOut string `json:"model_out,omitempty"`
	Output   string `json:"output,omitempty"`
	// MemoryLimit in bytes; 0 means none.
	MemoryLimit int64 `json:"memory_limit"`
	// NominalTime is the schedule slot of a scheduled run, for
	// recipe.Config.
	NominalTime *time.Time `json:"nominal_time,omitempty"`
	// Sandbox confines the worker before the recipe runs.
	Sandbox *Sandbox `json:"sandbox,omitempty"`
}

// Event is one line a worker process writes.
type Event struct {
	Log    string  `json:"log,omitempty"`
	Result *Result `json:"result,omitempty"`
	// Ready says a serving worker has loaded its recipe and model; Reply
	// answers one of its requests.
	Ready bool   `json:"ready,omitempty"`
	Reply *Reply `json:"reply,omitempty"`
}

// Result ends a worker's event stream.
type Result struct {
	OK        bool           `json:"ok"`
	Error     string         `json:"error,omitempty"`
	Retryable bool           `json:"retryable,omitempty"`
	Metrics   recipe.Metrics `json:"metrics,omitempty"`
	Curves    recipe.Curves  `json:"curves,omitempty"`
	// BaselineMetrics are the baseline model's (Job.ModelIn of a training
	// run) on the new run's evaluation split; BaselineError says why there
	// are none.
	BaselineMetrics recipe.Metrics `json:"baseline_metrics,omitempty"`
	BaselineError   string         `json:"baseline_error,omitempty"`
	RowsIn          int            `json:"rows_in"`
	RowsOut         int            `json:"rows_out"`
}

// Exit statuses of a worker process, beyond 0 (result written).
const (
	exitOOM        = 3
	exitOrphaned   = 4
	exitBadRequest = 5
)

// events serialises Event writes from the recipe's output and the runner.
type events struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (e *events) send(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.enc.Encode(ev)
}

// lineWriter turns a recipe's printed output into log events, line by line.
type lineWriter struct {
	ev     *events
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			break
		}
		w.ev.send(Event{Log: w.prefix + string(w.buf[:i])})
		w.buf = w.buf[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.ev.send(Event{Log: w.prefix + string(w.buf)})
		w.buf = nil
	}
}

// Child is the worker process's main: it reads a Job from stdin, runs it and
// reports on stdout. It returns the process exit status. When stdin closes
// before the job ends, the server has gone away and the worker exits.
func Child(ctx context.Context, stdin io.Reader, stdout io.Writer) int {
	ev := &events{enc: json.NewEncoder(stdout)}
	br := bufio.NewReader(stdin)
	line, err := br.ReadBytes('\n')
	if err != nil && len(line) == 0 {
		fmt.Fprintln(os.Stderr, "galley run-attempt: expected a job on standard input; this command is started by 'galley serve' and 'galley worker'")
		return exitBadRequest
	}
	var job Job
	if err := json.Unmarshal(line, &job); err != nil {
		fmt.Fprintf(os.Stderr, "galley run-attempt: bad job: %v\n", err)
		return exitBadRequest
	}
	if job.Kind != KindServe {
		go func() {
			// The server keeps stdin open while it waits for us.
			io.Copy(io.Discard, br)
			os.Exit(exitOrphaned)
		}()
	}
	if job.Sandbox != nil {
		msg, err := confine(job.Sandbox)
		if err != nil {
			ev.send(Event{Result: &Result{Error: err.Error()}})
			return 0
		}
		ev.send(Event{Log: "worker: " + msg})
	}
	if job.MemoryLimit > 0 {
		// Under a memory limit the heap may grow to five times what is
		// live, not twice: the limit, not the percentage, bounds it. A
		// scoring part of 250,000 rows on one core spent a fifth of its
		// time collecting at the default.
		debug.SetMemoryLimit(job.MemoryLimit)
		debug.SetGCPercent(400)
		go watchMemory(job.MemoryLimit, ev)
	}
	if job.Kind == KindServe {
		// A serving worker answers requests until stdin closes; it
		// reports a result only when it cannot start.
		if res := serve(ctx, job, ev, br); res != nil {
			ev.send(Event{Result: res})
		}
		return 0
	}
	res := run(ctx, job, ev)
	ev.send(Event{Result: res})
	return 0
}

func watchMemory(limit int64, ev *events) {
	// Goroutine stacks count as much as heap objects: a recipe can run out
	// of memory with either.
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	for range time.Tick(50 * time.Millisecond) {
		metrics.Read(sample)
		if used := int64(sample[0].Value.Uint64() + sample[1].Value.Uint64()); used > limit {
			ev.send(Event{Log: fmt.Sprintf("worker: heap and stacks %d MiB exceed the memory limit of %d MiB; stopping", used>>20, limit>>20)})
			os.Exit(exitOOM)
		}
	}
}

// run executes job; panics in recipe code become failed results.
func run(ctx context.Context, job Job, ev *events) (res *Result) {
	stdout := &lineWriter{ev: ev}
	stderr := &lineWriter{ev: ev, prefix: "stderr: "}
	defer stdout.flush()
	defer stderr.flush()
	defer func() {
		if r := recover(); r != nil {
			res = &Result{Error: fmt.Sprintf("the recipe panicked: %v", r)}
		}
	}()
	fail := func(err error) *Result {
		return &Result{Error: err.Error(), Retryable: recipe.IsRetryable(err)}
	}
	start := time.Now()
	p, err := Load(ctx, job.Source, job.Values, ProgramOptions{Stdout: stdout, Stderr: stderr})
	if err != nil {
		return fail(err)
	}
	ev.send(Event{Log: fmt.Sprintf("worker: recipe loaded in %s", time.Since(start).Round(time.Millisecond))})
	cfg := recipe.NewConfig(job.Input).WithLimit(job.Limit)
	if job.NominalTime != nil {
		cfg = cfg.WithNominalTime(*job.NominalTime)
	}
	for _, k := range sortedNames(job.Values) {
		cfg = cfg.WithValue(k, job.Values[k])
	}
	trainModel := func(baseline recipe.Model) (t *recipe.Trained, err error) {
		err = p.Call(ctx, func() error {
			if baseline != nil {
				t, err = recipe.TrainAndCompare(cfg, p.Funcs, baseline)
			} else {
				t, err = recipe.TrainModel(cfg, p.Funcs)
			}
			return err
		})
		return t, err
	}
	scoreInput := func(m recipe.Model) (s *recipe.Scored, err error) {
		err = p.Call(ctx, func() error {
			s, err = recipe.ScoreInput(cfg, p.Funcs, m)
			return err
		})
		return s, err
	}
	switch job.Kind {
	case KindValidate:
		if job.Input == "" {
			return &Result{OK: true}
		}
		t, err := trainModel(nil)
		if err != nil {
			return fail(fmt.Errorf("dry run on the sample: %w", err))
		}
		b, err := p.EncodeModel(t.Model)
		if err != nil {
			return fail(fmt.Errorf("dry run on the sample: %w", err))
		}
		m, err := p.DecodeModel(b)
		if err != nil {
			return fail(fmt.Errorf("dry run on the sample: %w", err))
		}
		s, err := scoreInput(m)
		if err != nil {
			return fail(fmt.Errorf("dry run on the sample: %w", err))
		}
		if !savable(s.Output) {
			return fail(fmt.Errorf("dry run on the sample: Score returned %T, which cannot be saved: return a *data.Frame or a frame with a WriteCSV(io.Writer) method such as *recipe.Table", s.Output))
		}
		return &Result{OK: true, Metrics: t.Metrics, RowsIn: t.RowsIn, RowsOut: s.RowsOut}
	case KindTrain:
		var baseline recipe.Model
		baselineErr := ""
		if job.ModelIn != "" {
			// The model a promotion rule would replace, evaluated on this
			// run's split by the same recipe code.
			b, err := os.ReadFile(job.ModelIn)
			if err == nil {
				baseline, err = p.DecodeModel(b)
			}
			if err != nil {
				baselineErr = "reading the baseline model: " + err.Error()
			}
		}
		t, err := trainModel(baseline)
		if err != nil {
			return fail(err)
		}
		if baselineErr != "" {
			t.BaselineError = baselineErr
		}
		b, err := p.EncodeModel(t.Model)
		if err != nil {
			return fail(err)
		}
		if err := os.WriteFile(job.ModelOut, b, 0o644); err != nil {
			return fail(fmt.Errorf("saving the model: %w", err))
		}
		ev.send(Event{Log: fmt.Sprintf("worker: trained on %d rows (%d train, %d test)", t.RowsIn, t.TrainRows, t.TestRows)})
		if job.ModelIn != "" {
			if t.BaselineError != "" {
				ev.send(Event{Log: "worker: baseline not evaluated: " + t.BaselineError})
			} else {
				ev.send(Event{Log: fmt.Sprintf("worker: evaluated the baseline model on the same %d test rows", t.TestRows)})
			}
		}
		return &Result{OK: true, Metrics: t.Metrics, Curves: t.Curves, BaselineMetrics: t.BaselineMetrics, BaselineError: t.BaselineError,
			RowsIn: t.RowsIn, RowsOut: t.TrainRows}
	case KindScore:
		b, err := os.ReadFile(job.ModelIn)
		if err != nil {
			return fail(fmt.Errorf("reading the trained model: %w", err))
		}
		m, err := p.DecodeModel(b)
		if err != nil {
			return fail(err)
		}
		s, err := scoreInput(m)
		if err != nil {
			return fail(err)
		}
		if err := writeCSV(s.Output, job.Output); err != nil {
			return fail(err)
		}
		ev.send(Event{Log: fmt.Sprintf("worker: scored %d rows into %d", s.RowsIn, s.RowsOut)})
		return &Result{OK: true, RowsIn: s.RowsIn, RowsOut: s.RowsOut}
	}
	return fail(errors.New("unknown job kind " + job.Kind))
}

func savable(f recipe.Frame) bool {
	switch f.(type) {
	case recipe.CSVWriter, *data.Frame:
		return true
	}
	return false
}

// writeCSV saves a scoring run's output frame to path.
func writeCSV(out recipe.Frame, path string) error {
	if !savable(out) {
		return unsavable(out)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = encodeCSV(out, f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing the scores: %w", cerr)
	}
	return err
}

func unsavable(out recipe.Frame) error {
	return fmt.Errorf("recipe Score returned %T, which cannot be saved: return a *data.Frame or a frame with a WriteCSV(io.Writer) method such as *recipe.Table", out)
}

// encodeCSV writes scores as CSV with a header row: the one encoding of
// scores, for scoring runs and online requests alike, so both give the
// same text for the same rows.
func encodeCSV(out recipe.Frame, dst io.Writer) error {
	var err error
	switch f := out.(type) {
	case *data.Frame:
		w := data.NewCSVWriter(dst)
		err = w.Write(f)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	case recipe.CSVWriter:
		err = f.WriteCSV(dst)
	default:
		return unsavable(out)
	}
	if err != nil {
		return fmt.Errorf("writing the scores: %w", err)
	}
	return nil
}

func sortedNames(m map[string]recipe.Value) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
