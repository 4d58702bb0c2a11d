package web

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/galley-dev/galley/server"
)

// The live feeds poll the run service server-side and push what changed:
// the services have no notifications, and polling one query per connection
// per interval is cheap beside a run. Each connection has a queue of at most
// SendQueue messages, each of at most maxBatchLines log lines; a browser
// that lets the queue stay full for WriteTimeout is dropped, so a slow or
// stalled reader costs a bounded amount of memory and then nothing.

// liveMsg is one message to the browser.
type liveMsg struct {
	Type  string           `json:"type"` // "log", "run", "rows", "parts" or "end"
	Lines []server.LogLine `json:"lines,omitempty"`
	Run   *server.Run      `json:"run,omitempty"`
	HTML  string           `json:"html,omitempty"`
	Total int              `json:"total,omitempty"`
}

// liveStats counts connections, for tests and logs.
type liveStats struct {
	open    atomic.Int64
	dropped atomic.Int64
}

// upgrader keeps gorilla's default origin check: only pages served from
// this host may open a feed.
var upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 4096}

var errSlow = errors.New("the browser is not reading: dropped")

// conn is one feed: a bounded queue drained by a writer goroutine.
type conn struct {
	ws      *websocket.Conn
	queue   chan []byte
	ctx     context.Context
	cancel  context.CancelFunc
	timeout time.Duration
	written chan struct{}
	slow    atomic.Bool // the browser stopped reading
}

func (h *Handler) open(w http.ResponseWriter, r *http.Request) (*conn, bool) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader has answered the request with the reason.
		return nil, false
	}
	ctx, cancel := context.WithCancel(r.Context())
	c := &conn{ws: ws, queue: make(chan []byte, h.SendQueue), ctx: ctx, cancel: cancel, timeout: h.WriteTimeout, written: make(chan struct{})}
	h.live.open.Add(1)
	ws.SetReadLimit(512)
	go func() {
		// Browsers send nothing; reading notices when they close.
		defer cancel()
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	go func() {
		defer close(c.written)
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case b := <-c.queue:
				ws.SetWriteDeadline(time.Now().Add(c.timeout))
				if b == nil {
					// The feed is over: everything before is written.
					ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "done"))
					return
				}
				if err := ws.WriteMessage(websocket.TextMessage, b); err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						c.slow.Store(true)
					}
					return
				}
			}
		}
	}()
	return c, true
}

// send queues m, waiting at most the write timeout for room.
func (c *conn) send(m liveMsg) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	t := time.NewTimer(c.timeout)
	defer t.Stop()
	select {
	case c.queue <- b:
		return nil
	case <-c.ctx.Done():
		return c.ctx.Err()
	case <-t.C:
		return errSlow
	}
}

// close ends the feed: after a normal end once the queued messages and a
// close frame are written, at once for a slow or gone browser.
func (h *Handler) close(c *conn, err error) {
	if errors.Is(err, errSlow) || c.slow.Load() {
		h.live.dropped.Add(1)
		h.Log.Info("live feed dropped a browser that does not read", "queue", cap(c.queue))
		c.cancel()
	}
	if err == nil {
		// The writer says goodbye after the queued messages.
		t := time.NewTimer(c.timeout)
		select {
		case c.queue <- nil:
			select {
			case <-c.written:
			case <-t.C:
			}
		case <-c.ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	c.cancel()
	<-c.written
	c.ws.Close()
	h.live.open.Add(-1)
}

// liveRun streams a run's log lines after ?after=SEQ, its state changes
// and, for a partitioned run, its parts table's rows, and ends once the
// run is final and its log sent.
func (h *Handler) liveRun(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		http.Error(w, "run id: give a positive whole number", http.StatusBadRequest)
		return
	}
	after := 0
	if s := r.URL.Query().Get("after"); s != "" {
		if after, err = strconv.Atoi(s); err != nil || after < 0 {
			http.Error(w, "after: give the sequence number of the last line seen", http.StatusBadRequest)
			return
		}
	}
	if _, err := h.Runs.FindRun(r.Context(), id); err != nil {
		http.Error(w, server.ErrorMessage(err), http.StatusNotFound)
		return
	}
	c, ok := h.open(w, r)
	if !ok {
		return
	}
	h.close(c, h.followRun(c, id, after))
}

func (h *Handler) followRun(c *conn, id int64, after int) error {
	tick := time.NewTicker(h.PollInterval)
	defer tick.Stop()
	var last, lastParts string
	for {
		lines, err := h.Runs.RunLogs(c.ctx, id, after)
		if err != nil {
			return err
		}
		for len(lines) > 0 {
			n := min(len(lines), maxBatchLines)
			if err := c.send(liveMsg{Type: "log", Lines: lines[:n]}); err != nil {
				return err
			}
			after = lines[n-1].Seq
			lines = lines[n:]
		}
		run, err := h.Runs.FindRun(c.ctx, id)
		if err != nil {
			return err
		}
		// A partitioned run's parts table, whenever a row changes (each
		// second while parts run, for their durations).
		if run.Kind == server.RunScore && (run.PartitionRows > 0 || run.Parts != nil) {
			rows, n, err := h.partRows(c.ctx, id)
			if err != nil {
				return err
			}
			if rows != lastParts {
				lastParts = rows
				if err := c.send(liveMsg{Type: "parts", HTML: rows, Total: n}); err != nil {
					return err
				}
			}
		}
		if sig := string(run.State) + "/" + strconv.Itoa(run.Attempt) + "/" + run.Error; sig != last {
			last = sig
			if err := c.send(liveMsg{Type: "run", Run: run}); err != nil {
				return err
			}
		}
		if run.State.Final() {
			// A last look for lines written just before the end.
			lines, err := h.Runs.RunLogs(c.ctx, id, after)
			if err != nil {
				return err
			}
			for len(lines) > 0 {
				n := min(len(lines), maxBatchLines)
				if err := c.send(liveMsg{Type: "log", Lines: lines[:n]}); err != nil {
					return err
				}
				lines = lines[n:]
			}
			return c.send(liveMsg{Type: "end"})
		}
		select {
		case <-c.ctx.Done():
			return c.ctx.Err()
		case <-tick.C:
		}
	}
}

// liveRuns pushes the rows of the runs list, with the page's filter,
// whenever a run appears or changes state.
func (h *Handler) liveRuns(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f, err := runFilterOf(q)
	if err == nil {
		f.Page, err = pageOf(q, 50)
	}
	if err != nil {
		http.Error(w, server.ErrorMessage(err), http.StatusBadRequest)
		return
	}
	c, ok := h.open(w, r)
	if !ok {
		return
	}
	h.close(c, h.followRuns(c, f))
}

func (h *Handler) followRuns(c *conn, f server.RunFilter) error {
	tick := time.NewTicker(h.PollInterval)
	defer tick.Stop()
	var last string
	for {
		runs, total, err := h.Runs.FindRuns(c.ctx, f)
		if err != nil {
			return err
		}
		var sig strings.Builder
		for _, r := range runs {
			sig.WriteString(strconv.FormatInt(r.ID, 10) + string(r.State) + strconv.Itoa(r.Attempt) + ";")
		}
		if s := sig.String(); s != last {
			last = s
			var b strings.Builder
			if err := h.pages["runs"].ExecuteTemplate(&b, "runrows", runs); err != nil {
				return err
			}
			if err := c.send(liveMsg{Type: "rows", HTML: b.String(), Total: total}); err != nil {
				return err
			}
		}
		select {
		case <-c.ctx.Done():
			return c.ctx.Err()
		case <-tick.C:
		}
	}
}
