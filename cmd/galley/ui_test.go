package main

import (
	"bytes"
	"context"
	csvenc "encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/galley-dev/galley/kernel/jupytertest"
	"github.com/galley-dev/galley/server"
)

// TestPagesMounted checks that galley serve answers pages beside the API,
// behind the same token: a link carrying the token once signs the browser in
// with a cookie only this server's pages send.
func TestPagesMounted(t *testing.T) {
	var out bytes.Buffer
	m := startServe(t, t.TempDir(), func(m *serveMain) { m.Stdout = &out })
	if m.Token == "" {
		t.Fatal("galley serve started without a token")
	}
	link := m.URL() + "/ui/runs?token=" + m.Token
	if !strings.Contains(out.String(), "open "+link+" in a browser") {
		t.Errorf("serve printed %q, want the pages' address with the token", out.String())
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(c *http.Client, path string, hdr map[string]string) (int, string, *http.Response) {
		t.Helper()
		req, _ := http.NewRequest("GET", m.URL()+path, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b), resp
	}

	// Without the token the pages ask for it; the open API paths stay open.
	for path, want := range map[string]string{"/": "galley token show", "/ui/runs": "galley token show", "/ui/runs?token=wrong": "not this server"} {
		if code, body, _ := get(noRedirect, path, nil); code != 401 || !strings.Contains(body, want) {
			t.Errorf("GET %s without the token: %d %q, want 401 and %q", path, code, body, want)
		}
	}
	if code, body, _ := get(noRedirect, "/api/health", nil); code != 200 || !strings.Contains(body, `"status":"ok"`) {
		t.Errorf("GET /api/health: %d %q", code, body)
	}
	if code, _, _ := get(noRedirect, "/api/runs", nil); code != 401 {
		t.Errorf("GET /api/runs without the token: %d, want 401", code)
	}

	// The link sets the cookie and drops the token from the address.
	code, _, resp := get(noRedirect, "/ui/runs?token="+m.Token, nil)
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "galley_token" {
			cookie = c
		}
	}
	if code != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/runs" || cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("GET the link: %d, Location %q, cookie %+v; want 303 to /ui/runs with an HttpOnly, SameSite=Strict cookie", code, resp.Header.Get("Location"), cookie)
	}
	withCookie := map[string]string{"Cookie": "galley_token=" + cookie.Value}
	for path, want := range map[string]string{
		"/ui/runs":          "galley train MODEL --wait",
		"/ui/static/app.js": "WebSocket",
		"/api/runs":         `"items":[]`,
		"/api/nope":         `"code":"not_found"`,
	} {
		if code, body, _ := get(http.DefaultClient, path, withCookie); code >= 300 && path != "/api/nope" || !strings.Contains(body, want) {
			t.Errorf("GET %s with the cookie: %d %q, want %q", path, code, body, want)
		}
	}
	// The pages act through the API with the cookie, from their own origin
	// only.
	post := func(origin string) int {
		req, _ := http.NewRequest("POST", m.URL()+"/api/models", strings.NewReader(`{"name":"x","recipe":"none","dataset":"none"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cookie", "galley_token="+cookie.Value)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("https://evil.example"); code != 403 {
		t.Errorf("a cross-site POST with the cookie: %d, want 403", code)
	}
	if code := post(m.URL()); code == 401 || code == 403 {
		t.Errorf("a same-origin POST with the cookie: %d, want it past the guard", code)
	}

	// The login form takes the token and only ever returns to this server.
	login := func(token, next string) *http.Response {
		req, _ := http.NewRequest("POST", m.URL()+"/ui/login", strings.NewReader(url.Values{"token": {token}, "next": {next}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", m.URL())
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := login("nope", "/ui/models"); resp.StatusCode != 401 {
		t.Errorf("login with a wrong token: %d, want 401", resp.StatusCode)
	}
	if resp := login(m.Token, "/ui/models"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/models" {
		t.Errorf("login: %d to %q, want 303 to /ui/models", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/x"} {
		if resp := login(m.Token, next); resp.Header.Get("Location") != "/ui/runs" {
			t.Errorf("login with next %q went to %q, want /ui/runs", next, resp.Header.Get("Location"))
		}
	}

	// The CLI links runs to their pages.
	setupSleepy(t, m.URL())
	queued, _ := galley(t, m.URL(), 0, "train", "nap")
	if want := "or at " + m.URL() + "/ui/runs/1\n"; !strings.HasSuffix(queued, want) {
		t.Errorf("galley train printed %q, want it to end with %q", queued, want)
	}
	waited, _ := galley(t, m.URL(), 0, "train", "nap", "--wait")
	if want := "run 2: " + m.URL() + "/ui/runs/2\n"; !strings.HasPrefix(waited, want) {
		t.Errorf("galley train --wait printed %q, want it to start with %q", waited, want)
	}

	// Without a token (loopback, asked for) the pages are open.
	out.Reset()
	m = startServe(t, t.TempDir(), func(m *serveMain) { m.NoToken = true; m.Stdout = &out })
	if code, body, _ := get(http.DefaultClient, "/", nil); code != 200 || !strings.Contains(body, "No runs yet") {
		t.Errorf("GET / on a server without a token: %d %q", code, body)
	}
	if !strings.Contains(out.String(), "open "+m.URL()+"/ui/runs in a browser") {
		t.Errorf("serve printed %q, want the pages' address", out.String())
	}
}

func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	jupytertest.Missing(t, "Chromium (install Debian's package: apt-get install chromium)")
	return ""
}

// TestBrowser drives the pages in headless Chromium as a user would: the
// runs list updates when a training starts from the CLI, the run's log
// arrives over the WebSocket, and two trained versions are compared. It
// saves a screenshot of each page in $GALLEY_UI_SCREENSHOTS (make
// ui-screenshots sets docs/ui) or a temporary directory.
func TestBrowser(t *testing.T) {
	chromium := findChromium(t)
	shots := os.Getenv("GALLEY_UI_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	}
	csv, _ := churnCSV(t)
	m := startServe(t, t.TempDir(), nil)
	url := m.URL()
	setupSleepy(t, url)
	galley(t, url, 0, "dataset", "import", csv, "--name", "telco-churn")
	galley(t, url, 0, "recipe", "create", "churn", filepath.Join("..", "..", "testdata", "recipes", "churn.ipynb"), "--author", "analyst")
	galley(t, url, 0, "model", "create", "churn-model", "--recipe", "churn", "--dataset", "telco-churn", "-p", "epochs=25")

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	// The first call starts the browser; it must carry no timeout, which
	// would stop the browser when it fires.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	fail := func(what string, err error) {
		t.Helper()
		html, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").outerHTML : document.body.innerText`))
		t.Fatalf("%s: %v\npage: %s", what, err, html)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			fail(what, err)
		}
	}
	// wait polls a JS predicate until it holds.
	wait := func(what, js string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			ok, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`(() => { try { return !!(`+js+`); } catch (e) { return false; } })()`))
			if err == nil && ok {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		fail("waiting for "+what, fmt.Errorf("%s never held", js))
	}
	text := func(sel, want string) string {
		return fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent.includes(%q)`, sel, want)
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(bctx, chromedp.CaptureScreenshot())
		if err != nil {
			fail("screenshot "+name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The runs list, empty, then a run started from the CLI appears in it
	// without a reload.
	step("open the runs page", chromedp.Navigate(url+"/ui/runs?token="+m.Token), chromedp.WaitVisible("#runs-empty"))
	wait("the live feed", text("#live-status", "live"))
	shot("runs-empty")
	cli := make(chan string, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"train", "nap", "-p", "naptime=2500", "--wait", "--server", url}, &out, &errb)
		cli <- fmt.Sprintf("exit %d\n%s%s", code, out.String(), errb.String())
	}()
	step("see the new run in the list", chromedp.WaitVisible(`#runs-body tr[data-run="1"]`))

	// Its page, opened while it runs, receives the log and the final state
	// over the WebSocket.
	step("open the run page", chromedp.Click(`#runs-body a[href="/ui/runs/1"]`), chromedp.WaitVisible("#log"))
	final, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector("#log").dataset.final`))
	if err != nil || final != "false" {
		t.Fatalf("the run had finished before its page opened (data-final=%q, %v): raise its naptime", final, err)
	}
	wait("the log line", text("#log", "napping 2500 ms"))
	wait("the final state", text("#run-state", "succeeded"))
	wait("the last log line", text("#log", "attempt 1 of 2 succeeded"))
	step("the finished note", chromedp.WaitVisible("#run-finished"))
	out := <-cli
	if !strings.Contains(out, "exit 0") || !strings.Contains(out, "run 1: "+url+"/ui/runs/1\n") {
		t.Fatalf("galley train --wait printed:\n%s\nwant the run's page", out)
	}

	// Two trainings of the churn model, compared on the model page, and a
	// scoring run for the lineage.
	galley(t, url, 0, "train", "churn-model", "--wait", "-p", "learningRate=0.1")
	galley(t, url, 0, "train", "churn-model", "--wait", "-p", "learningRate=0.4")
	galley(t, url, 0, "model", "alias", "churn-model", "production", "2")
	galley(t, url, 0, "score", "churn-model@production", "--input", "telco-churn", "--output", "churn-scores", "--wait")

	step("open the model page", chromedp.Navigate(url+"/ui/models/churn-model"), chromedp.WaitVisible("#compare-form"))
	shot("model")
	step("compare two runs", chromedp.Click("#cmp-1"), chromedp.Click("#cmp-2"), chromedp.Submit("#compare-form"),
		chromedp.WaitVisible(".charts svg"))
	wait("the parameter diff", text("main", "learningRate")+" && "+text("main", "differs"))
	location, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil || !regexp.MustCompile(`/ui/models/churn-model/compare\?v=[12]&v=[12]$`).MatchString(location) {
		t.Errorf("compare page at %s (%v)", location, err)
	}
	shot("compare")
	// The two versions' ROC and lift curves, overlaid.
	wait("the overlaid curves", text("#curve-charts", "ROC")+" && "+text("#curve-charts", "Lift")+
		` && document.querySelectorAll("#curve-charts svg polyline").length === 6`)
	step("scroll to the curves", chromedp.Evaluate[chromedp.Void](`document.getElementById("h-cmp-curves").scrollIntoView()`))
	shot("compare-curves")

	// The pages' actions go through the REST API: move an alias, run a
	// finished run again, cancel the new run.
	step("move an alias", chromedp.Navigate(url+"/ui/models/churn-model"), chromedp.WaitVisible("#alias-form"),
		chromedp.SendKeys(`#alias-form input[name="alias"]`, "staging"), chromedp.SetValue(`#alias-form select[name="version"]`, "1"),
		chromedp.Click(`#alias-form button`))
	wait("the alias on v1", `[...document.querySelectorAll("#compare-form tbody tr")].some(r => r.textContent.includes("v1") && r.textContent.includes("staging"))`)
	step("run again", chromedp.Navigate(url+"/ui/runs/1"), chromedp.WaitVisible("#retry"), chromedp.Click("#retry"))
	wait("the new run's page", `location.pathname === "/ui/runs/5"`)
	step("cancel it", chromedp.WaitVisible("#cancel"), chromedp.Click("#cancel"))
	wait("the cancelled state", text("#run-state", "cancelled"))

	step("open the run list", chromedp.Navigate(url+"/ui/runs"), chromedp.WaitVisible(`#runs-body tr[data-run="5"]`))
	shot("runs")
	step("open a churn run", chromedp.Navigate(url+"/ui/runs/3"), chromedp.WaitVisible("#log"))
	wait("the churn log", text("#log", "trained on"))
	shot("run")
	step("scroll to the log", chromedp.Evaluate[chromedp.Void](`document.getElementById("h-log").scrollIntoView()`))
	shot("run-log")
	step("open the recipe", chromedp.Navigate(url+"/ui/recipes/churn"), chromedp.WaitVisible("pre.source"))
	shot("recipe")
	step("open the scores", chromedp.Navigate(url+"/ui/datasets/churn-scores"), chromedp.WaitVisible(".lineage"))
	wait("the lineage", text(".lineage", "churn-model@2"))
	shot("dataset-lineage")
	step("open the training data", chromedp.Navigate(url+"/ui/datasets/telco-churn"), chromedp.WaitVisible("table.preview"))
	shot("dataset")
	// Profiles: churn-model@2 scores every customer into profile set
	// customers; the lookup form opens one customer's profile.
	galley(t, url, 0, "score", "churn-model@2", "--input", "telco-churn", "--profile", "customers", "--id", "customerID", "--wait")
	head, _ := os.ReadFile(csv)
	lines := strings.SplitN(string(head), "\n", 3)
	customer := strings.SplitN(lines[1], ",", 2)[0]
	step("open the profiles", chromedp.Navigate(url+"/ui/profiles"), chromedp.WaitVisible("#profile-lookup"))
	wait("the customers set", text("#profile-sets", "customers"))
	step("look up a customer", chromedp.SendKeys(`#profile-lookup input[name="id"]`, customer), chromedp.Submit("#profile-lookup"),
		chromedp.WaitVisible("#profile-history"))
	wait("the customer's scores", text("main", "Profile "+customer)+" && "+text("main", "churn_probability")+" && "+text("#profile-history", "churn-model@2"))
	shot("profile")
	// Services: one customer scored online warms churn-model@2, which the
	// services page lists with its counters.
	rec, err := csvenc.NewReader(strings.NewReader(lines[0] + "\n" + lines[1])).ReadAll()
	if err != nil || len(rec) != 2 {
		t.Fatalf("reading the first customer: %v", err)
	}
	body, _ := json.Marshal(map[string]any{"dataframe_split": map[string]any{"columns": rec[0], "data": [][]string{rec[1]}}})
	rows := filepath.Join(t.TempDir(), "customer.json")
	if err := os.WriteFile(rows, body, 0o644); err != nil {
		t.Fatal(err)
	}
	galley(t, url, 0, "predict", "churn-model@2", "--json", "@"+rows)
	step("open the services", chromedp.Navigate(url+"/ui/services"), chromedp.WaitVisible("#serving-table"))
	wait("the warm version", text("#serving-table", "churn-model@2"))
	shot("services")
	// Schedules: a scoring schedule whose backfill of two past hours fills
	// its history, and a nightly training; the schedule's page pauses and
	// resumes it through the API.
	galley(t, url, 0, "schedule", "create", "nightly", "--train", "churn-model", "--cron", "30 2 * * *", "--tz", "Europe/Berlin")
	galley(t, url, 0, "schedule", "create", "hourly-scores", "--score", "churn-model@production", "--input", "telco-churn",
		"--output", "hourly-scores", "--cron", "@hourly")
	hour := time.Now().UTC().Truncate(time.Hour)
	galley(t, url, 0, "schedule", "backfill", "hourly-scores", "--from", hour.Add(-2*time.Hour).Format(time.RFC3339),
		"--to", hour.Add(-time.Hour).Format(time.RFC3339))
	step("open the schedules", chromedp.Navigate(url+"/ui/schedules"), chromedp.WaitVisible("#schedules-table"))
	wait("both schedules", text("#schedules-table", "every day at 02:30")+" && "+text("#schedules-table", "every hour, on the hour"))
	shot("schedules")
	deadline := time.Now().Add(60 * time.Second)
	for {
		step("open a schedule", chromedp.Navigate(url+"/ui/schedules/hourly-scores"), chromedp.WaitVisible("#pause"))
		done, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#slot-history .state-succeeded").length`))
		if err == nil && done == 2 {
			break
		}
		if time.Now().After(deadline) {
			fail("the backfilled runs", fmt.Errorf("%d of 2 succeeded (%v)", done, err))
		}
		time.Sleep(300 * time.Millisecond)
	}
	// A taller window shows the page down to its history in one picture.
	step("a taller window", chromedp.EmulateViewport(1280, 1150, chromedp.EmulateScale(1)))
	shot("schedule")
	step("back to 900 px", chromedp.EmulateViewport(1280, 900, chromedp.EmulateScale(1)))
	step("pause it", chromedp.Click("#pause"), chromedp.WaitVisible("#resume"))
	wait("the paused state", text("#schedule-state", "paused")+" && "+text("#schedule-reason", "paused from the schedule page"))
	if out, _ := galley(t, url, 0, "schedule", "show", "hourly-scores"); !strings.Contains(out, "paused") {
		t.Fatalf("the page's pause did not reach the API:\n%s", out)
	}
	step("resume it", chromedp.Click("#resume"), chromedp.WaitVisible("#pause"))
	wait("the active state", text("#schedule-state", "active"))
	// Re-run the oldest slot from its button: its new run replaces the
	// slot's output, and the history lists the earlier run.
	step("re-run a slot", chromedp.Click(`#slot-history tbody tr:last-child button.rerun`))
	wait("the re-run slot", text("#slot-history tbody tr:last-child", "earlier:")+" && "+text("#slot-history tbody tr:last-child", "rerun; run"))
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		step("reload the schedule", chromedp.Navigate(url+"/ui/schedules/hourly-scores"), chromedp.WaitVisible("#slot-history"))
		done, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`!!document.querySelector("#slot-history tbody tr:last-child .state-succeeded")`))
		if err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			fail("the re-run slot's run", fmt.Errorf("not succeeded (%v)", err))
		}
	}
	step("scroll to the history", chromedp.Evaluate[chromedp.Void](`document.getElementById("h-history").scrollIntoView()`))
	shot("schedule-rerun")
	if out, _ := galley(t, url, 0, "dataset", "show", "hourly-scores"); !strings.Contains(out, "hourly-scores@2") || strings.Contains(out, "hourly-scores@3") {
		t.Errorf("after re-running a slot, hourly-scores should still have two versions:\n%s", out)
	}
	step("the run links its schedule", chromedp.Click(`#slot-history a[href^="/ui/runs/"]`), chromedp.WaitVisible("#run-schedule"))

	// A partitioned scoring run: its page lists the parts and follows
	// them over the WebSocket until all have succeeded. The nap model's
	// Score sleeps, so the page opens while parts run; 50 rows in parts of
	// at most 20 make three.
	galley(t, url, 0, "train", "nap", "-p", "scorenap=1500", "--wait")
	m.db.SetScorePartitionRows(20)
	queued, _ := galley(t, url, 0, "score", "nap", "--input", "small", "--output", "small-scores", "--json")
	m.db.SetScorePartitionRows(0)
	var scoring server.Run
	if err := json.Unmarshal([]byte(queued), &scoring); err != nil || scoring.PartitionRows != 20 {
		t.Fatalf("galley score --json printed %q (%v), want a run with partition rows 20", queued, err)
	}
	runPage := fmt.Sprintf("%s/ui/runs/%d", url, scoring.ID)
	step("open the partitioned run", chromedp.Navigate(runPage), chromedp.WaitVisible("#log"),
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	done, err := chromedp.Run(bctx, chromedp.Evaluate[int](`document.querySelectorAll("#parts-body .state-succeeded").length`))
	if err != nil || done == 3 {
		t.Fatalf("the partitioned run's parts had all succeeded before its page opened (%d, %v): raise scorenap", done, err)
	}
	wait("the parts table", `!document.getElementById("parts").hidden && document.querySelectorAll("#parts-body tr").length === 3`)
	wait("a part running", `document.querySelector("#parts-body .state-running")`)
	wait("every part succeeded", `document.querySelectorAll("#parts-body .state-succeeded").length === 3 && window.notReloaded`)
	wait("the run's success", text("#run-state", "succeeded"))
	for i, want := range []string{"1–20", "21–40", "41–50"} {
		wait("part "+strconv.Itoa(i+1)+"'s rows", text(fmt.Sprintf(`#parts-body tr[data-part="%d"]`, i+1), want)+" && "+
			text(fmt.Sprintf(`#parts-body tr[data-part="%d"]`, i+1), "1/2"))
	}
	step("scroll to the parts", chromedp.Evaluate[chromedp.Void](`document.getElementById("h-parts").scrollIntoView()`))
	shot("run-parts")
	// The same parts through the API, as galley runs parts shows them.
	if out, _ := galley(t, url, 0, "runs", "parts", strconv.FormatInt(scoring.ID, 10)); !strings.Contains(out, "41-50") || strings.Count(out, "succeeded") != 3 {
		t.Errorf("galley runs parts printed:\n%s\nwant three succeeded parts, the last of rows 41-50", out)
	}

	step("phone width", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1)), chromedp.Navigate(url+"/ui/runs/3"), chromedp.WaitVisible("#log"))
	shot("run-phone")
}
