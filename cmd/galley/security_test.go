package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	galleyhttp "github.com/galley-dev/galley/server/http"
)

// These tests probe a default galley serve the way a web page in the user's
// browser, or another user on the machine, would.

// cli runs a galley command that talks to no server and returns its
// stdout.
func cli(t testing.TB, want int, args ...string) string {
	t.Helper()
	var out, errb strings.Builder
	if code := run(context.Background(), args, &out, &errb); code != want {
		t.Fatalf("galley %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, out.String(), errb.String())
	}
	return out.String()
}

// request sends one request to url with the given headers and returns the
// status and body.
func request(t testing.TB, method, url, body string, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestTokenByDefault(t *testing.T) {
	home := t.TempDir()
	m := startServe(t, home, nil)
	path := galleyhttp.TokenPath(home)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("no token file after the first start: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode = %v, want 0600", fi.Mode().Perm())
	}
	token, err := galleyhttp.ReadToken(path)
	if err != nil || len(token) < 32 || token != m.Token {
		t.Fatalf("token file holds %q (%v), server uses %q", token, err, m.Token)
	}
	url := m.URL() + "/api/runs"
	for _, c := range []struct {
		name, auth string
		status     int
	}{
		{"missing", "", 401},
		{"blank", "Bearer ", 401},
		{"blank with spaces", "Bearer    ", 401},
		{"wrong", "Bearer " + strings.Repeat("0", len(token)), 401},
		{"prefix of the token", "Bearer " + token[:len(token)-1], 401},
		{"other scheme", "Basic " + token, 401},
		{"no scheme", token, 401},
		{"right", "Bearer " + token, 200},
		{"lowercase scheme", "bearer " + token, 200},
		{"uppercase scheme", "BEARER " + token, 200},
	} {
		h := map[string]string{}
		if c.auth != "" {
			h["Authorization"] = c.auth
		}
		if status, body := request(t, "GET", url, "", h); status != c.status {
			t.Errorf("%s token: status %d, want %d: %s", c.name, status, c.status, body)
		}
	}
	// The health check stays open, for probes.
	if status, _ := request(t, "GET", m.URL()+"/api/health", "", nil); status != 200 {
		t.Errorf("health without a token: %d", status)
	}

	// The CLI finds the token under $GALLEY_HOME (set by startServe).
	galley(t, m.URL(), 0, "runs", "list")
	// GALLEY_TOKEN wins over the file.
	t.Setenv("GALLEY_TOKEN", "not-the-token")
	_, stderr := galley(t, m.URL(), 1, "runs", "list")
	if !strings.Contains(stderr, "missing or wrong bearer token") {
		t.Errorf("wrong GALLEY_TOKEN: %s", stderr)
	}
	os.Unsetenv("GALLEY_TOKEN")

	// Rotating takes effect at once, without a restart.
	out := cli(t, 0, "token", "rotate", "--home", home)
	if !strings.Contains(out, "wrote a new token") {
		t.Errorf("token rotate: %s", out)
	}
	if status, _ := request(t, "GET", url, "", map[string]string{"Authorization": "Bearer " + token}); status != 401 {
		t.Errorf("the old token still works after rotation: %d", status)
	}
	galley(t, m.URL(), 0, "runs", "list")
	shown := cli(t, 0, "token", "show", "--home", home)
	if strings.TrimSpace(shown) == token || len(strings.TrimSpace(shown)) < 32 {
		t.Errorf("token show after rotate = %q", shown)
	}

	// A restart keeps the token.
	m.Close()
	m2 := startServe(t, home, nil)
	if m2.Token != strings.TrimSpace(shown) {
		t.Errorf("token after restart = %q, want %q", m2.Token, shown)
	}
}

func TestServeTokenOptions(t *testing.T) {
	for _, c := range []struct {
		name  string
		tweak func(m *serveMain)
		err   string
	}{
		{"blank token", func(m *serveMain) { m.Token, m.tokenGiven = " ", true }, "the token is blank"},
		{"empty token given", func(m *serveMain) { m.Token, m.tokenGiven = "", true }, "the token is blank"},
		{"no token beyond loopback", func(m *serveMain) { m.Addr, m.NoToken = "0.0.0.0:0", true }, "only allowed on a loopback address"},
	} {
		m := &serveMain{Addr: "127.0.0.1:0", Home: t.TempDir()}
		c.tweak(m)
		if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), c.err) {
			m.Close()
			t.Errorf("%s: Run = %v, want %q", c.name, err, c.err)
		}
	}
	// Without a token on loopback, when asked for.
	m := startServe(t, t.TempDir(), func(m *serveMain) { m.NoToken = true })
	if status, body := request(t, "GET", m.URL()+"/api/runs", "", nil); status != 200 {
		t.Errorf("--no-token: %d %s", status, body)
	}
	if _, err := os.Stat(galleyhttp.TokenPath(m.Home)); err == nil {
		t.Error("--no-token wrote a token file")
	}
	// An explicit token beyond loopback, as before.
	m = startServe(t, t.TempDir(), func(m *serveMain) { m.Addr, m.Token = "0.0.0.0:0", "tok" })
	port := m.listener.Addr().String()
	url := "http://127.0.0.1:" + port[strings.LastIndex(port, ":")+1:]
	if status, _ := request(t, "GET", url+"/api/runs", "", map[string]string{"Authorization": "Bearer tok"}); status != 200 {
		t.Errorf("explicit token: %d", status)
	}
}

// TestCrossSiteRequests sends what a web page can make a browser send.
func TestCrossSiteRequests(t *testing.T) {
	m := startServe(t, t.TempDir(), nil)
	nb, err := os.ReadFile(sleepyNotebook(t))
	if err != nil {
		t.Fatal(err)
	}
	body := `{"recipe":"evil","notebook":` + string(nb) + `}`
	auth := "Bearer " + m.Token
	host := strings.TrimPrefix(m.URL(), "http://")
	for _, c := range []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		status  int
		msg     string
	}{
		// The probe from the issue: a page on evil.example posting a
		// "simple" request, with no token to send.
		{"cross-site text/plain post", "POST", "/api/recipes", map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example", "Host": "evil.example:8780"}, 403, "host"},
		// DNS rebinding: evil.example now resolves to 127.0.0.1, so the
		// request is same-origin as far as the browser knows.
		{"rebound host", "GET", "/api/runs", map[string]string{"Host": "evil.example:" + host[strings.LastIndex(host, ":")+1:], "Authorization": auth}, 403, "--allow-host"},
		{"rebound host, health", "GET", "/api/health", map[string]string{"Host": "evil.example"}, 403, "host"},
		// Even with the token, a foreign Origin is refused on mutating
		// requests, and the wrong content type too.
		{"foreign origin", "POST", "/api/recipes", map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example", "Authorization": auth}, 403, "cross-origin"},
		{"null origin", "POST", "/api/recipes", map[string]string{"Content-Type": "application/json", "Origin": "null", "Authorization": auth}, 403, "cross-origin"},
		{"text/plain with token", "POST", "/api/recipes", map[string]string{"Content-Type": "text/plain", "Authorization": auth}, 415, "application/json"},
		{"form with token", "POST", "/api/recipes", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Authorization": auth}, 415, "application/json"},
		{"no content type", "POST", "/api/recipes", map[string]string{"Authorization": auth}, 415, "application/json"},
		{"no token, same origin", "POST", "/api/recipes", map[string]string{"Content-Type": "application/json", "Origin": "http://" + host}, 401, "bearer token"},
		// What galley's own clients send.
		{"same origin with token", "POST", "/api/recipes", map[string]string{"Content-Type": "application/json", "Origin": "http://" + host, "Authorization": auth}, 201, ""},
		{"localhost host", "GET", "/api/runs", map[string]string{"Host": "localhost:1", "Authorization": auth}, 200, ""},
	} {
		status, resp := request(t, c.method, m.URL()+c.path, body, c.headers)
		if status != c.status || !strings.Contains(resp, c.msg) {
			t.Errorf("%s: %d %s, want %d containing %q", c.name, status, resp, c.status, c.msg)
		}
		// No CORS headers for origins nobody allowed.
	}
	status, _ := request(t, "GET", m.URL()+"/api/recipes/evil", "", map[string]string{"Authorization": auth})
	if status != 200 {
		t.Fatalf("the same-origin create did not create the recipe: %d", status)
	}
	// The refused requests created nothing: only the allowed one did.
	out, _ := galley(t, m.URL(), 0, "recipe", "list")
	if strings.Count(out, "evil") != 1 {
		t.Errorf("recipes: %s", out)
	}
}

func TestCORSAndAllowLists(t *testing.T) {
	m := startServe(t, t.TempDir(), func(m *serveMain) {
		m.AllowHosts = []string{"galley.internal"}
		m.AllowOrigins = []string{"https://app.example"}
	})
	auth := "Bearer " + m.Token
	req, _ := http.NewRequest("OPTIONS", m.URL()+"/api/runs/train", nil)
	req.Header.Set("Origin", "https://app.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Errorf("preflight from an allowed origin: %d %v", resp.StatusCode, resp.Header)
	}
	req.Header.Set("Origin", "https://other.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin allowed: %v", resp.Header)
	}
	if status, body := request(t, "GET", m.URL()+"/api/runs", "", map[string]string{"Host": "galley.internal", "Authorization": auth}); status != 200 {
		t.Errorf("allowed host: %d %s", status, body)
	}
	if status, _ := request(t, "POST", m.URL()+"/api/runs/train", `{"model":"none"}`, map[string]string{"Origin": "https://app.example", "Content-Type": "application/json", "Authorization": auth}); status != 404 {
		t.Errorf("allowed origin reaches the handler: %d, want 404 for the unknown model", status)
	}
}

func TestSmallItems(t *testing.T) {
	var stdout strings.Builder
	m := startServe(t, t.TempDir(), func(m *serveMain) { m.Addr, m.Stdout = "0.0.0.0:0", &stdout })
	// The start message gives a URL one can open.
	if !strings.Contains(stdout.String(), "listening on "+m.URL()+" on all interfaces") || !strings.HasPrefix(m.URL(), "http://127.0.0.1:") {
		t.Errorf("start message: %s", stdout.String())
	}
	url := m.URL()
	setupSleepy(t, url)
	galley(t, url, 0, "model", "create", "nap2", "--recipe", "sleepy", "--dataset", "small", "-p", "naptime=1")
	auth := map[string]string{"Authorization": "Bearer " + m.Token, "Content-Type": "application/json"}
	for _, c := range []struct{ body, msg string }{
		{`{"model":"nap"} {"model":"other"}`, "unexpected data after the JSON value"},
		{`{"model":"nap"}garbage`, "the request body is not the expected JSON"},
		{`{"model":5}`, "field model: expected a string, got a JSON number"},
		{`["nap"]`, "expected an object, got a JSON array"},
	} {
		status, body := request(t, "POST", url+"/api/runs/train", c.body, auth)
		if status != 400 || !strings.Contains(body, c.msg) || strings.Contains(body, "Go ") || strings.Contains(body, "galleyhttp") || strings.Contains(body, "trainRequest") {
			t.Errorf("POST %s: %d %s, want 400 containing %q and no Go type", c.body, status, body, c.msg)
		}
	}
	if r := decodeRun(t, first(galley(t, url, 0, "train", "nap2", "--wait", "--json"))); r.State != "succeeded" {
		t.Fatalf("training: %+v", r)
	}
	galley(t, url, 0, "score", "nap2", "--input", "small", "--output", "scored", "--wait")
	out, _ := galley(t, url, 0, "dataset", "show", "scored")
	if !strings.Contains(out, "params naptime=1") || strings.Contains(out, "map[") {
		t.Errorf("lineage: %s", out)
	}
}
