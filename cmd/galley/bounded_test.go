package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
)

// TestSlowClients holds connections open the way slowloris does, partial
// headers and trickling uploads, and checks that the server cuts them off
// and answers others meanwhile.
func TestSlowClients(t *testing.T) {
	m := startServe(t, t.TempDir(), func(m *serveMain) { m.HeaderTimeout, m.ReadTimeout = time.Second, 3*time.Second })
	addr := strings.TrimPrefix(m.URL(), "http://")
	var conns []net.Conn
	for i := 0; i < 50; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if i%2 == 0 {
			fmt.Fprintf(c, "GET /api/health HTTP/1.1\r\nHost: %s\r\n", addr) // headers never end
		} else {
			fmt.Fprintf(c, "POST /api/datasets/slow/versions HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: 1000000\r\n\r\na,b\n", addr, m.Token)
		}
		conns = append(conns, c)
	}
	// Meanwhile the server answers.
	var took []time.Duration
	for start := time.Now(); time.Since(start) < 4*time.Second; {
		t0 := time.Now()
		resp, err := http.Get(m.URL() + "/api/health")
		if err != nil {
			t.Fatalf("health check while slow clients hold connections: %v", err)
		}
		resp.Body.Close()
		took = append(took, time.Since(t0))
		time.Sleep(10 * time.Millisecond)
	}
	slices.Sort(took)
	p99 := took[len(took)*99/100]
	t.Logf("/api/health with 50 slow connections open: %d requests, p50 %s, p99 %s", len(took), took[len(took)/2], p99)
	if p99 > 2*time.Second {
		t.Errorf("p99 of /api/health = %s while slow clients held connections", p99)
	}
	// Every slow connection has been answered or closed by now.
	statuses := map[string]int{}
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		switch {
		case err == nil:
			statuses[strings.TrimSpace(line)]++
		case err == io.EOF || strings.Contains(err.Error(), "reset"):
			statuses["closed"]++
		default:
			t.Errorf("a slow connection is still open: %v", err)
		}
	}
	t.Logf("slow connections ended as: %v", statuses)
	if statuses["HTTP/1.1 429 Too Many Requests"] == 0 {
		t.Errorf("no upload was refused for the per-client limit: %v", statuses)
	}
}

func TestTruncatedUpload(t *testing.T) {
	m := startServe(t, t.TempDir(), nil)
	addr := strings.TrimPrefix(m.URL(), "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /api/datasets/cut/versions HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\na,b\n1,2\n", addr, m.Token)
	c.(*net.TCPConn).CloseWrite()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(b), "upload ended before its end") {
		t.Errorf("truncated upload: %d %s", resp.StatusCode, b)
	}
	leftovers, _ := filepath.Glob(filepath.Join(m.Home, "datasets", ".uploads", "*"))
	if len(leftovers) > 0 {
		t.Errorf("the truncated upload left %v", leftovers)
	}
}

// TestRunRetention: a finished run's exported input is removed, its log is
// capped with a visible marker, and galley gc reclaims what a killed
// server left.
func TestRunRetention(t *testing.T) {
	home := t.TempDir()
	// Leftovers of a killed server, removed when the next one starts.
	up := filepath.Join(home, "datasets", ".uploads")
	os.MkdirAll(up, 0o755)
	os.WriteFile(filepath.Join(up, "import-123.csv"), []byte("a,b\n1,2\n"), 0o644)
	m := startServe(t, home, func(m *serveMain) { m.MaxLogLines = 20 })
	if left, _ := filepath.Glob(filepath.Join(up, "import-*")); len(left) > 0 {
		t.Errorf("leftover uploads after start: %v", left)
	}
	url := m.URL()
	setupSleepy(t, url)
	nb := recipeNotebook(t, "chatty", "lines := 0\nflaky := false", `import (
	"errors"
	"fmt"

	"github.com/galley-dev/galley/stdlib/recipe"
)

type Model struct{ Rows int }

func Load(cfg recipe.Config) (recipe.Frame, error) { return recipe.ReadCSV(cfg.Input(), cfg.Limit()) }

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) {
	for i := 0; i < lines; i++ {
		fmt.Println("line", i)
	}
	if flaky {
		return nil, recipe.Retryable(errors.New("not this time"))
	}
	return Model{Rows: f.NumRows()}, nil
}

func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) { return f, nil }`)
	galley(t, url, 0, "recipe", "create", "chatty", nb)
	galley(t, url, 0, "model", "create", "talk", "--recipe", "chatty", "--dataset", "small", "-p", "lines=5000")
	r := decodeRun(t, first(galley(t, url, 0, "train", "talk", "--wait", "--json")))
	logs, _ := galley(t, url, 0, "runs", "logs", fmt.Sprint(r.ID))
	if n := strings.Count(logs, "\n"); n > 30 || !strings.Contains(logs, "[log truncated: ") || strings.Contains(logs, "line 4999") {
		t.Errorf("log of a run printing 5000 lines under a cap of 20 (%d lines):\n%s", n, logs)
	}
	// The cap holds for the run, not for each attempt: a run retried after
	// printing 5000 lines keeps no more than one that was not.
	galley(t, url, 0, "model", "create", "flaky", "--recipe", "chatty", "--dataset", "small", "-p", "lines=5000", "-p", "flaky=true")
	fr := decodeRun(t, first(galley(t, url, 1, "train", "flaky", "--wait", "--json")))
	flakyLogs, _ := galley(t, url, 0, "runs", "logs", fmt.Sprint(fr.ID))
	if n := strings.Count(flakyLogs, "\n"); fr.Attempt != 2 || n > 30 || strings.Count(flakyLogs, "line 1\n") != 1 {
		t.Errorf("log of a run that printed 5000 lines in each of %d attempts under a cap of 20 (%d lines):\n%s", fr.Attempt, n, flakyLogs)
	}
	runDir := filepath.Join(home, "server", "work", "runs", fmt.Sprint(r.ID))
	if _, err := os.Stat(filepath.Join(runDir, "input.csv")); err == nil {
		t.Errorf("the finished run kept its input")
	}
	objects := filepath.Join(home, "server", "objects")
	if _, err := os.Stat(filepath.Join(objects, "runs", fmt.Sprint(r.ID), "model.json")); err != nil {
		t.Errorf("the trained model went with the input: %v", err)
	}
	snapshot := filepath.Join(objects, "snapshots", "small", "v1.csv")
	if _, err := os.Stat(snapshot); err != nil {
		t.Errorf("the input snapshot is not in the object store: %v", err)
	}
	// What gc finds: an input a --keep-run-files server kept, a validation
	// directory a killed server left, and the snapshot no queued or
	// running run reads any more.
	os.MkdirAll(runDir, 0o755)
	os.WriteFile(filepath.Join(runDir, "input.csv"), []byte(strings.Repeat("x", 5000)), 0o644)
	os.MkdirAll(filepath.Join(home, "server", "work", "validate-1"), 0o755)
	out := cli(t, 0, "gc", "--home", home, "--dry-run")
	if !strings.Contains(out, "would reclaim") || !strings.Contains(out, "inputs of finished runs: 1 file(s), 4.9 KiB") ||
		!strings.Contains(out, "snapshots no queued or running run reads: 1 file(s)") {
		t.Errorf("gc --dry-run: %s", out)
	}
	out = cli(t, 0, "gc", "--home", home)
	if !strings.Contains(out, "in 3 file(s)") {
		t.Errorf("gc: %s", out)
	}
	if _, err := os.Stat(snapshot); err == nil {
		t.Errorf("gc left the snapshot")
	}
	if _, err := os.Stat(filepath.Join(objects, "runs", fmt.Sprint(r.ID), "model.json")); err != nil {
		t.Errorf("gc removed the model of a trained version: %v", err)
	}
	if _, err := os.Stat(filepath.Join(runDir, "input.csv")); err == nil {
		t.Errorf("gc left the input")
	}
}

// TestGracefulStopKeepsAttempts: a server stopped while a run is under way
// queues it again without counting the interrupted attempt.
func TestGracefulStopKeepsAttempts(t *testing.T) {
	home := t.TempDir()
	m := startServe(t, home, func(m *serveMain) { m.MaxAttempts = 1 })
	setupSleepy(t, m.URL())
	out, _ := galley(t, m.URL(), 0, "train", "nap", "-p", "naptime=2000", "--json")
	id := decodeRun(t, out).ID
	c := galleyhttp.ClientFromEnv(m.URL())
	waitRun(t, c, id, func(r *server.Run) bool { return r.State == server.RunRunning && r.WorkerPID != 0 })
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	m = startServe(t, home, func(m *serveMain) { m.MaxAttempts = 1 })
	c = galleyhttp.ClientFromEnv(m.URL())
	r := waitRun(t, c, id, func(r *server.Run) bool { return r.State.Final() })
	if r.State != server.RunSucceeded || r.Attempt != 1 {
		t.Fatalf("run after a graceful stop = %s on attempt %d of %d (%s); want succeeded on attempt 1", r.State, r.Attempt, r.MaxAttempts, r.Error)
	}
}

// TestInterruptKeepsAttempts stops a real galley serve with Ctrl-C while a
// run is under way, as a terminal sends it: SIGINT to the server's whole
// process group. The run goes back to the queue without using up its only
// attempt, and the next server finishes it.
func TestInterruptKeepsAttempts(t *testing.T) {
	home := t.TempDir()
	cmd, url := startServeProcess(t, home, io.Discard, "--max-attempts", "1")
	setupSleepy(t, url)
	id := decodeRun(t, first(galley(t, url, 0, "train", "nap", "-p", "naptime=3000", "--json"))).ID
	c := galleyhttp.ClientFromEnv(url)
	waitRun(t, c, id, func(r *server.Run) bool { return r.State == server.RunRunning && r.WorkerPID != 0 })
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("galley serve after Ctrl-C: %v, want a clean exit", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("galley serve did not stop after Ctrl-C")
	}
	_, url = startServeProcess(t, home, io.Discard, "--max-attempts", "1")
	r := waitRun(t, galleyhttp.ClientFromEnv(url), id, func(r *server.Run) bool { return r.State.Final() })
	if r.State != server.RunSucceeded || r.Attempt != 1 {
		t.Fatalf("run after Ctrl-C = %s on attempt %d of %d (%s); want succeeded on attempt 1", r.State, r.Attempt, r.MaxAttempts, r.Error)
	}
}

// TestDelete: what nothing refers to can be deleted; anything else is
// refused with a conflict naming what still depends on it.
func TestDelete(t *testing.T) {
	m := startServe(t, t.TempDir(), nil)
	url := m.URL()
	setupSleepy(t, url)
	if r := decodeRun(t, first(galley(t, url, 0, "train", "nap", "--wait", "--json"))); r.State != server.RunSucceeded {
		t.Fatalf("training: %+v", r)
	}
	if r := decodeRun(t, first(galley(t, url, 0, "score", "nap@1", "--input", "small", "--output", "scored", "--wait", "--json"))); r.State != server.RunSucceeded {
		t.Fatalf("scoring: %+v", r)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"recipe", "delete", "sleepy"}, "recipe sleepy is used by model(s) nap"},
		{[]string{"model", "delete", "nap"}, "model nap has trained version(s) nap@1"},
		{[]string{"model", "delete", "nap@1"}, "nap@1 is used by scoring run(s) 2"},
		{[]string{"runs", "delete", "2"}, "run 2 produced dataset scored@1"},
		{[]string{"dataset", "delete", "small"}, "dataset small is the training data of model(s) nap"},
		{[]string{"dataset", "delete", "nope"}, "dataset nope not found"},
		{[]string{"runs", "delete", "1"}, "run 1 trained nap@1"},
		{[]string{"runs", "delete", "99"}, "run 99 not found"},
	} {
		_, stderr := galley(t, url, 1, c.args...)
		if !strings.Contains(stderr, c.msg) {
			t.Errorf("galley %s: %q, want %q", strings.Join(c.args, " "), stderr, c.msg)
		}
	}
	status, body := request(t, "DELETE", url+"/api/recipes/sleepy", "", map[string]string{"Authorization": "Bearer " + m.Token})
	if status != 409 || !strings.Contains(body, `"code":"conflict"`) {
		t.Errorf("DELETE /api/recipes/sleepy: %d %s", status, body)
	}
	// A run under way cannot go; once cancelled it can.
	id := decodeRun(t, first(galley(t, url, 0, "train", "nap", "-p", "naptime=20000", "--json"))).ID
	_, stderr := galley(t, url, 1, "runs", "delete", fmt.Sprint(id))
	if !strings.Contains(stderr, "cancel it first") {
		t.Errorf("deleting a live run: %s", stderr)
	}
	galley(t, url, 0, "runs", "cancel", fmt.Sprint(id))
	waitRun(t, galleyhttp.ClientFromEnv(url), id, func(r *server.Run) bool { return r.State.Final() })
	if out, _ := galley(t, url, 0, "runs", "delete", fmt.Sprint(id)); !strings.Contains(out, fmt.Sprintf("deleted run %d", id)) {
		t.Errorf("runs delete: %s", out)
	}
	galley(t, url, 1, "runs", "show", fmt.Sprint(id))
	// Its number is not given to the next run: a client holding it must
	// never find another run under it.
	next := decodeRun(t, first(galley(t, url, 0, "train", "nap", "--json"))).ID
	if next <= id {
		t.Errorf("the run after deleted run %d got id %d", id, next)
	}
	// Once the scores are gone, so can the run that made them be.
	galley(t, url, 0, "dataset", "delete", "scored")
	if _, stderr := galley(t, url, 1, "dataset", "show", "scored"); !strings.Contains(stderr, "not found") {
		t.Errorf("deleted dataset: %s", stderr)
	}
	galley(t, url, 0, "runs", "delete", "2")
	// A dataset nothing uses goes at once.
	data := filepath.Join(t.TempDir(), "spare.csv")
	os.WriteFile(data, []byte("a,b\n1,2\n"), 0o644)
	galley(t, url, 0, "dataset", "import", data, "--name", "spare")
	galley(t, url, 0, "dataset", "delete", "spare")
	// A recipe nothing uses goes at once, with its versions.
	galley(t, url, 0, "recipe", "create", "spare", sleepyNotebook(t))
	galley(t, url, 0, "recipe", "delete", "spare")
	if _, stderr := galley(t, url, 1, "recipe", "show", "spare"); !strings.Contains(stderr, "not found") {
		t.Errorf("deleted recipe: %s", stderr)
	}
}

// TestManyParallelImports sends 100 recipe creates at once to a server with
// two workers. Validation goes through the pool, so at most two run at a
// time; a bounded number wait for a worker and the rest are refused at once
// with a clear 429, instead of each holding its notebook in memory. The
// server keeps answering meanwhile.
func TestManyParallelImports(t *testing.T) {
	m := startServe(t, t.TempDir(), nil)
	nb, err := os.ReadFile(sleepyNotebook(t))
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	healthDone := make(chan []time.Duration)
	go func() {
		var took []time.Duration
		for {
			select {
			case <-stop:
				healthDone <- took
				return
			default:
			}
			start := time.Now()
			resp, err := http.Get(m.URL() + "/api/health")
			if err == nil {
				resp.Body.Close()
				took = append(took, time.Since(start))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	type answer struct {
		status int
		body   string
	}
	answers := make(chan answer, 100)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			body, _ := json.Marshal(map[string]any{"recipe": fmt.Sprintf("r%d", i), "notebook": json.RawMessage(nb)})
			status, text := request(t, "POST", m.URL()+"/api/recipes", string(body), map[string]string{
				"Authorization": "Bearer " + m.Token, "Content-Type": "application/json"})
			answers <- answer{status, text}
		})
	}
	wg.Wait()
	close(stop)
	took := <-healthDone
	close(answers)
	counts := map[int]int{}
	for a := range answers {
		counts[a.status]++
		switch a.status {
		case 201:
		case 429:
			if !strings.Contains(a.body, `"code":"too_many_requests"`) || !strings.Contains(a.body, "recipe imports are already validating or waiting") {
				t.Errorf("a refused import says %s", a.body)
			}
		default:
			t.Errorf("an import answered %d: %s", a.status, a.body)
		}
	}
	// Two workers: four imports per worker may validate or wait at once.
	if counts[201] < 8 || counts[201] > 60 || counts[429] == 0 {
		t.Errorf("answers by status: %v; want the pending bound (8) or a little more created and the rest refused", counts)
	}
	if len(took) == 0 {
		t.Fatal("no health check answered while the imports ran")
	}
	slices.Sort(took)
	p99 := took[len(took)*99/100]
	t.Logf("100 parallel imports: %v; /api/health meanwhile: %d requests, p50 %v, p99 %v", counts, len(took), took[len(took)/2], p99)
	// A generous bound: the point is that the server answers at all while
	// validations queue, not a speed goal (make bench measures speed).
	if p99 > 2*time.Second {
		t.Errorf("p99 of /api/health while imports queued: %v", p99)
	}
}
