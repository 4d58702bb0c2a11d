package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/postgres/pgtest"
)

// TestCanaryAcrossServers runs two galley serve processes on one
// PostgreSQL database: a canary set through one is applied by the other
// within a bounded time, the version it names cannot be deleted, and the
// canary outlives both servers: a server started afterwards applies it
// from its first request.
func TestCanaryAcrossServers(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	home := t.TempDir()
	logs := map[string]*syncBuffer{}
	buf := func(name string) *syncBuffer { logs[name] = &syncBuffer{}; return logs[name] }
	t.Cleanup(func() {
		if t.Failed() {
			for name, b := range logs {
				t.Logf("--- %s ---\n%s", name, b.String())
			}
		}
	})
	serverA, urlA := startServeProcess(t, home, buf("server A"), "--database", dsn, "--workers", "1")
	serverB, urlB := startServeProcess(t, home, buf("server B"), "--database", dsn, "--workers", "0")
	setupSleepy(t, urlA)
	for v := 1; v <= 2; v++ {
		out, _ := galley(t, urlA, 0, "train", "nap", "--wait", "--json")
		if r := decodeRun(t, out); r.State != server.RunSucceeded || r.TrainedModel != fmt.Sprintf("nap@%d", v) {
			t.Fatalf("training %d = %+v", v, r)
		}
	}
	token, err := galleyhttp.ReadToken(galleyhttp.TokenPath(home))
	if err != nil {
		t.Fatal(err)
	}
	rows := []byte(`{"dataframe_records": [{"customerID": "C1", "tenure": 3}]}`)
	served := func(url string) string {
		t.Helper()
		status, ref, body := predictHTTP(t, url, token, "nap", rows)
		if status != 200 {
			t.Fatalf("predict on %s: %d %s", url, status, body)
		}
		return ref
	}
	if a, b := served(urlA), served(urlB); a != "nap@2" || b != "nap@2" {
		t.Fatalf("before the canary nap is served by %s on A and %s on B; want nap@2, the newest", a, b)
	}

	galley(t, urlA, 0, "predict", "canary", "nap", "--version", "1", "--weight", "1")
	set := time.Now()
	if ref := served(urlA); ref != "nap@1" {
		t.Errorf("server A, where the canary was set, served %s; want nap@1 at once", ref)
	}
	for ref := served(urlB); ref != "nap@1"; ref = served(urlB) {
		if time.Since(set) > 10*time.Second {
			t.Fatalf("server B still serves %s %s after server A set a canary of weight 1 on nap@1", ref, time.Since(set))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("server B applied the canary set through server A after %s", time.Since(set).Round(time.Millisecond))
	out, _ := galley(t, urlB, 0, "predict", "canary", "nap", "--json")
	var c server.Canary
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Model != "nap" || c.Version != 1 || c.Weight != 1 || c.UpdatedAt.IsZero() {
		t.Errorf("galley predict canary nap through server B = %s (%v)", out, err)
	}
	if out, _ := galley(t, urlB, 0, "predict", "status"); !strings.Contains(out, "canary: nap sends 100% of alias and default requests to version 1") {
		t.Errorf("predict status on server B: %s", out)
	}
	if _, stderr := galley(t, urlB, 1, "model", "delete", "nap@1"); !strings.Contains(stderr, "canary") {
		t.Errorf("deleting the canary's version: %s", stderr)
	}
	if _, stderr := galley(t, urlB, 2, "predict", "canary", "nap", "--version", "2"); !strings.Contains(stderr, "--weight") {
		t.Errorf("a canary version without a weight: %s", stderr)
	}

	// Both servers go; the canary stays in the database.
	for _, cmd := range []*exec.Cmd{serverA, serverB} {
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
	}
	if n := pgCount(t, dsn, `SELECT count(*) FROM canaries`); n != 1 {
		t.Fatalf("%d canaries in PostgreSQL, want 1", n)
	}
	_, urlC := startServeProcess(t, home, buf("server C"), "--database", dsn, "--workers", "0")
	if ref := served(urlC); ref != "nap@1" {
		t.Errorf("a server started after the canary was set served %s; want nap@1", ref)
	}
	galley(t, urlC, 0, "predict", "canary", "nap", "--weight", "0")
	if ref := served(urlC); ref != "nap@2" {
		t.Errorf("after the canary was removed, nap was served by %s; want nap@2", ref)
	}
	if out, _ := galley(t, urlC, 0, "predict", "canary", "nap"); !strings.Contains(out, "nap has no canary") {
		t.Errorf("galley predict canary nap after removing it: %s", out)
	}
	if n := pgCount(t, dsn, `SELECT count(*) FROM canaries`); n != 0 {
		t.Errorf("%d canaries in PostgreSQL after removing it, want 0", n)
	}
}
