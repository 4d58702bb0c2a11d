package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/galley-dev/galley/server"
)

func dial(t *testing.T, base, path string) *websocket.Conn {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+path, nil)
	must(t, err)
	t.Cleanup(func() { ws.Close() })
	return ws
}

func next(t *testing.T, ws *websocket.Conn) liveMsg {
	t.Helper()
	ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := ws.ReadMessage()
	must(t, err)
	var m liveMsg
	must(t, json.Unmarshal(b, &m))
	return m
}

// TestLiveRunLog follows a run from queued to succeeded: log lines arrive as
// they are appended, state changes arrive, and the feed ends with the run.
// A second connection resumes after the last line the first one saw.
func TestLiveRunLog(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	run, err := f.db.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	// The seeded queued run is claimed first.
	f.db.ClaimRun(ctx)
	ws := dial(t, f.url, fmt.Sprintf("/ui/live/runs/%d", run.ID))
	if m := next(t, ws); m.Type != "run" || m.Run.State != server.RunQueued {
		t.Fatalf("first message = %+v, want the queued state", m)
	}
	claimed, err := f.db.ClaimRun(ctx)
	must(t, err)
	if claimed.ID != run.ID {
		t.Fatalf("claimed %d", claimed.ID)
	}
	if m := next(t, ws); m.Type != "run" || m.Run.State != server.RunRunning || m.Run.Attempt != 1 {
		t.Fatalf("message = %+v, want running", m)
	}
	must(t, f.db.AppendRunLogs(ctx, run.ID, []string{"one", "two"}))
	var got []string
	for len(got) < 2 {
		m := next(t, ws)
		if m.Type != "log" {
			t.Fatalf("message = %+v, want log lines", m)
		}
		for _, l := range m.Lines {
			got = append(got, fmt.Sprintf("%d:%s", l.Seq, l.Text))
		}
	}
	if strings.Join(got, ",") != "1:one,2:two" {
		t.Fatalf("lines = %v", got)
	}
	must(t, f.db.AppendRunLogs(ctx, run.ID, []string{"three"}))
	_, err = f.db.FinishRun(ctx, claimed.Claim(), server.RunResult{State: server.RunSucceeded, Artifact: "a"})
	must(t, err)
	var types []string
	for {
		m := next(t, ws)
		types = append(types, m.Type)
		if m.Type == "log" && (len(m.Lines) != 1 || m.Lines[0].Text != "three" || m.Lines[0].Seq != 3) {
			t.Fatalf("lines = %+v", m.Lines)
		}
		if m.Type == "run" && m.Run.State != server.RunSucceeded {
			t.Fatalf("state %s", m.Run.State)
		}
		if m.Type == "end" {
			break
		}
	}
	if strings.Join(types, ",") != "log,run,end" && strings.Join(types, ",") != "run,log,end" {
		t.Fatalf("messages %v, want the last line, the final state and the end", types)
	}
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("after the end: %v, want a normal close", err)
	}

	// Resuming after line 2 sends line 3 only.
	again := dial(t, f.url, fmt.Sprintf("/ui/live/runs/%d?after=2", run.ID))
	m := next(t, again)
	if m.Type != "log" || len(m.Lines) != 1 || m.Lines[0].Seq != 3 {
		t.Fatalf("resumed with %+v, want line 3 only", m)
	}

	for _, bad := range []string{"/ui/live/runs/x", "/ui/live/runs/1?after=-1", "/ui/live/runs/999"} {
		if _, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(f.url, "http")+bad, nil); err == nil || resp == nil || resp.StatusCode < 400 {
			t.Errorf("%s: dial error %v, want a refusal", bad, err)
		}
	}
}

// TestLiveRunsList sees a new run appear and change state in the runs list
// without a reload.
func TestLiveRunsList(t *testing.T) {
	f := newFixture(t)
	s := f.seed(t)
	ws := dial(t, f.url, "/ui/live/runs?model=m")
	m := next(t, ws)
	if m.Type != "rows" || m.Total != 7 || !strings.Contains(m.HTML, fmt.Sprintf(`data-run="%d"`, s.queued)) {
		t.Fatalf("first rows: %+v", m)
	}
	run, err := f.db.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	m = next(t, ws)
	if m.Total != 8 || !strings.Contains(m.HTML, fmt.Sprintf(`<a href="/ui/runs/%d">#%d</a>`, run.ID, run.ID)) {
		t.Fatalf("rows after a new run: %+v", m)
	}
	_, err = f.db.CancelRun(ctx, run.ID)
	must(t, err)
	m = next(t, ws)
	if !strings.Contains(m.HTML, `state-cancelled">cancelled`) {
		t.Fatalf("rows after cancelling: %s", m.HTML)
	}
	// A filter with a bad value is refused before the upgrade.
	if _, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(f.url, "http")+"/ui/live/runs?state=done", nil); err == nil || resp.StatusCode != 400 {
		t.Fatalf("bad filter: %v", err)
	}
}

// endless is a run service whose running run prints without end, as fast as
// it is asked.
type endless struct {
	server.RunService
	served atomic.Int64
}

func (e *endless) FindRun(_ context.Context, id int64) (*server.Run, error) {
	return &server.Run{ID: id, Kind: server.RunTrain, State: server.RunRunning, Attempt: 1, MaxAttempts: 1}, nil
}

func (e *endless) RunLogs(_ context.Context, id int64, after int) ([]server.LogLine, error) {
	line := strings.Repeat("x", 1000)
	out := make([]server.LogLine, maxBatchLines)
	for i := range out {
		out[i] = server.LogLine{Seq: after + i + 1, Text: line}
	}
	e.served.Add(int64(len(out)))
	return out, nil
}

// TestSlowConsumerIsDropped: a browser that never reads fills the socket
// and its queue, is dropped, and from then on costs the server nothing: no
// more lines are read for it and the heap returns to where it was.
func TestSlowConsumerIsDropped(t *testing.T) {
	runs := &endless{}
	h := &Handler{Runs: runs, PollInterval: time.Millisecond, SendQueue: 4, WriteTimeout: 300 * time.Millisecond}
	ts := httptest.NewServer(h)
	defer ts.Close()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	ws := dial(t, ts.URL, "/ui/live/runs/1")
	_ = ws // never read
	deadline := time.Now().Add(20 * time.Second)
	for h.live.dropped.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the slow client was not dropped; %d lines read for it", runs.served.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for h.live.open.Load() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := h.live.open.Load(); n != 0 {
		t.Fatalf("%d feeds still open after the drop", n)
	}
	served := runs.served.Load()
	// Without the bound the feed reads 200 lines a millisecond for as long
	// as the client is connected; with it, reading stops once the socket
	// buffers and the queue are full.
	if served > 20000 {
		t.Fatalf("%d lines read for a client that never reads", served)
	}
	time.Sleep(200 * time.Millisecond)
	if now := runs.served.Load(); now != served {
		t.Fatalf("lines still read after the drop: %d then %d", served, now)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d lines (%d MiB) read before the drop; heap %+d KiB after it", served, served*1000>>20, grew>>10)
	// What was read went to the socket's kernel buffers, the queue (4
	// messages of 200 lines) and then nowhere: nothing of it stays.
	if grew > 8<<20 {
		t.Fatalf("heap grew by %d MiB after the slow client was dropped", grew>>20)
	}
}

// TestLiveLongLog sends a finished run's long log in bounded batches, in
// order, then the state and the end.
func TestLiveLongLog(t *testing.T) {
	f := newFixture(t)
	s := f.seed(t)
	ws := dial(t, f.url, fmt.Sprintf("/ui/live/runs/%d?after=100", s.long))
	seq, batches := 100, 0
	for {
		m := next(t, ws)
		if m.Type == "run" {
			break
		}
		if m.Type != "log" || len(m.Lines) == 0 || len(m.Lines) > maxBatchLines {
			t.Fatalf("message %d: %s with %d lines", batches, m.Type, len(m.Lines))
		}
		for _, l := range m.Lines {
			if l.Seq != seq+1 || l.Text != fmt.Sprintf("step %d of 1500", l.Seq) {
				t.Fatalf("line %d after %d: %q", l.Seq, seq, l.Text)
			}
			seq = l.Seq
		}
		batches++
	}
	if seq != 1500 || batches != 7 {
		t.Fatalf("got lines up to %d in %d messages, want 1500 in 7", seq, batches)
	}
	if m := next(t, ws); m.Type != "end" {
		t.Fatalf("after the state: %+v, want the end", m)
	}
}
