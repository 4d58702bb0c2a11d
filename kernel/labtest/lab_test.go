// Package labtest drives JupyterLab in headless Chromium against the galley
// kernel, the way a person uses it: open a notebook, run its cells, look at
// the rendered outputs, interrupt a runaway loop and restart the kernel.
package labtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/galley-dev/galley/internal/proctest"
	"github.com/galley-dev/galley/kernel/jupytertest"
)

// The notebook under test. Each cell exercises one kind of output that
// JupyterLab must render from the galley kernel.
var cells = []string{
	// 0: text on stdout and a trailing expression
	"import (\n\t\"fmt\"\n\n\t\"github.com/galley-dev/galley/stdlib/display\"\n)\n\ngreeting := \"hello from galley\"\nfmt.Println(greeting)\nlen(greeting)",
	// 1: HTML
	"display.Display(display.HTML(`<table id=\"galley-table\"><tr><td>answer</td><td>42</td></tr></table>`))",
	// 2: Vega-Lite
	`display.Display(display.VegaLite(map[string]any{
	"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
	"data": map[string]any{"values": []map[string]any{{"a": "x", "b": 3}, {"a": "y", "b": 5}}},
	"mark": "bar",
	"encoding": map[string]any{
		"x": map[string]any{"field": "a", "type": "nominal"},
		"y": map[string]any{"field": "b", "type": "quantitative"},
	},
}, ""))`,
	// 3: a loop that only an interrupt ends
	"n := 0\nfor {\n\tn++\n}",
}

func TestJupyterLab(t *testing.T) {
	py := jupytertest.Python(t)
	chromium := findChromium(t)
	galley := jupytertest.BuildGalley(t)
	prefix := jupytertest.InstallKernelspec(t, galley, "galley")
	runLab(t, py, chromium, prefix, scenario{
		kernel: "galley", displayName: "galley", cells: cells,
		stateCheck: "n > 0 && greeting != \"\"", afterRestart: "fmt.Println(\"after restart\")",
	})
}

// scenario is what runLab does in the browser; the kernel and the language
// of the cells vary, the checks do not.
type scenario struct {
	kernel, displayName string
	cells               []string // greeting, HTML table, Vega-Lite chart, endless loop
	stateCheck          string   // a cell that is true when state survived the interrupt
	afterRestart        string   // a cell that prints "after restart"
}

func runLab(t *testing.T, py, chromium, prefix string, sc scenario) {
	root := t.TempDir()
	writeNotebook(t, filepath.Join(root, "lab.ipynb"), sc.kernel, sc.cells)

	url, token := startLab(t, py, root, prefix)

	ctx, cancel := browser(t, chromium)
	defer cancel()

	page := fmt.Sprintf("%s/lab/tree/lab.ipynb?token=%s", url, token)
	must(t, "open the notebook", chromedp.Do(ctx, chromedp.Navigate(page)))
	waitJS(t, ctx, "the galley kernel to be idle", 90*time.Second, `(() => {
		const w = window.jupyterapp && `+panelJS+`;
		const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
		return !!k && k.status === 'idle' && w.sessionContext.kernelDisplayName.toLowerCase().includes('`+sc.displayName+`');
	})()`)

	// Run every cell. The last one loops until interrupted.
	evalJS(t, ctx, activateJS+`window.jupyterapp.commands.execute('notebook:run-all-cells'), true`)
	waitJS(t, ctx, "stdout and the execute result to render", 30*time.Second,
		outputOf(0)+`.includes('hello from galley') && `+outputOf(0)+`.includes('17')`)
	waitJS(t, ctx, "the HTML table to render", 30*time.Second,
		`!!document.querySelector('.jp-RenderedHTMLCommon #galley-table')`)
	waitJS(t, ctx, "the Vega-Lite chart to render", 60*time.Second,
		`!!document.querySelector('.jp-Cell:nth-child(3) .vega-embed svg, .jp-Cell:nth-child(3) .vega-embed canvas')`)
	waitJS(t, ctx, "the loop to be running", 10*time.Second, kernelStatus+` === 'busy'`)

	// Interrupt the loop with the notebook's interrupt command (the toolbar's stop button).
	start := time.Now()
	evalJS(t, ctx, activateJS+`window.jupyterapp.commands.execute('notebook:interrupt-kernel'), true`)
	waitJS(t, ctx, "the kernel to be idle after the interrupt", 10*time.Second, kernelStatus+` === 'idle'`)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("interrupt took %v to bring the kernel back to idle", d)
	}
	waitJS(t, ctx, "the interrupted cell to show an error", 10*time.Second,
		`!!document.querySelector('.jp-Cell:nth-child(4) [data-mime-type="application/vnd.jupyter.stderr"]')`)

	// State survives the interrupt: the loop counter is still there.
	runNewCell(t, ctx, sc.stateCheck)
	waitJS(t, ctx, "state to survive the interrupt", 20*time.Second, outputOf(4)+`.toLowerCase().includes('true')`)

	// Restart, then check the kernel answers with a fresh session.
	evalJS(t, ctx, activateJS+`window.jupyterapp.commands.execute('notebook:restart-kernel'), true`)
	waitJS(t, ctx, "the restart dialog", 10*time.Second, `!!document.querySelector('.jp-Dialog .jp-mod-accept')`)
	evalJS(t, ctx, `(document.querySelector('.jp-Dialog .jp-mod-accept').click(), true)`)
	waitJS(t, ctx, "the kernel to be idle after the restart", 30*time.Second, kernelStatus+` === 'idle'`)
	runNewCell(t, ctx, sc.afterRestart)
	waitJS(t, ctx, "a cell to run after the restart", 30*time.Second, outputOf(5)+`.includes('after restart')`)

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, "take a screenshot", err)
	shot := filepath.Join(t.TempDir(), "jupyterlab.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("GALLEY_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "jupyterlab.png"), png, 0o644)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
}

// panelJS finds the notebook panel. shell.currentWidget follows focus, which a
// headless browser may not give, so look the panel up among the main widgets.
const panelJS = `Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.sessionContext)`

// activateJS gives the notebook focus so that notebook commands act on it.
const activateJS = `window.jupyterapp.shell.activateById(` + panelJS + `.id), `

const kernelStatus = panelJS + `.sessionContext.session.kernel.status`

// outputOf is a JS expression for the rendered output text of cell i.
func outputOf(i int) string {
	return fmt.Sprintf(`((document.querySelectorAll('.jp-Notebook .jp-Cell')[%d] || {}).querySelector ? (document.querySelectorAll('.jp-Notebook .jp-Cell')[%d].querySelector('.jp-OutputArea') || {innerText: ''}).innerText : '')`, i, i)
}

// runNewCell appends a code cell, selects it and runs it, as Shift-Enter would.
func runNewCell(t *testing.T, ctx context.Context, src string) {
	t.Helper()
	js, _ := json.Marshal(src)
	evalJS(t, ctx, fmt.Sprintf(`(() => {
		const nb = `+panelJS+`.content;
		const i = nb.model.sharedModel.cells.length;
		nb.model.sharedModel.insertCell(i, {cell_type: 'code', source: %s});
		nb.activeCellIndex = i;
		window.jupyterapp.shell.activateById(`+panelJS+`.id);
		window.jupyterapp.commands.execute('notebook:run-cell');
		return true;
	})()`, js))
}

func evalJS(t *testing.T, ctx context.Context, js string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](js))
	must(t, "evaluate "+js, err)
}

// waitJS polls a JS predicate until it holds or the timeout passes.
func waitJS(t *testing.T, ctx context.Context, what string, timeout time.Duration, js string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for time.Now().Before(deadline) {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { try { return !!(`+js+`); } catch (e) { return false; } })()`))
		if err == nil && ok {
			return
		}
		lastErr = err
		time.Sleep(200 * time.Millisecond)
	}
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('.jp-Notebook') ? document.querySelector('.jp-Notebook').innerText : document.body.innerText`))
	state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { try {
		const w = `+panelJS+`, s = w.sessionContext;
		return JSON.stringify({kernel: s.kernelDisplayName, status: s.session && s.session.kernel && s.session.kernel.status,
			dialog: (document.querySelector('.jp-Dialog') || {innerText: ''}).innerText});
	} catch (e) { return 'no app state: ' + e; } })()`))
	t.Fatalf("timed out after %v waiting for %s (last error %v); lab state %s; notebook shows:\n%s", timeout, what, lastErr, state, text)
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
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

func browser(t *testing.T, chromium string) (context.Context, context.CancelFunc) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1600),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// The first Run starts the browser; it must not carry a timeout, which
	// would stop the browser when it fires. Each wait has its own deadline.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		acancel()
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx, func() { cancel(); acancel() }
}

// startLab starts JupyterLab from the venv on a free loopback port with a
// token and isolated config, and waits until its API answers.
func startLab(t *testing.T, py, root, prefix string) (url, token string) {
	t.Helper()
	port, err := proctest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	token = fmt.Sprintf("galley-%d", time.Now().UnixNano())
	url = fmt.Sprintf("http://127.0.0.1:%d", port)

	home := t.TempDir()
	args := []string{"-m", "jupyter", "lab", "--no-browser",
		"--ServerApp.ip=127.0.0.1", fmt.Sprintf("--ServerApp.port=%d", port), "--ServerApp.port_retries=0",
		"--ServerApp.root_dir=" + root, "--IdentityProvider.token=" + token,
		"--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"}
	if os.Geteuid() == 0 {
		args = append(args, "--allow-root") // CI containers run as root
	}
	cmd := exec.Command(py, args...)
	cmd.Env = append(os.Environ(),
		"JUPYTER_PATH="+filepath.Join(prefix, "share", "jupyter"),
		"JUPYTER_CONFIG_DIR="+filepath.Join(home, "config"),
		"JUPYTER_DATA_DIR="+filepath.Join(home, "data"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(home, "runtime"),
		"JUPYTERLAB_SETTINGS_DIR="+filepath.Join(home, "settings"),
		"JUPYTERLAB_WORKSPACES_DIR="+filepath.Join(home, "workspaces"),
		"GALLEY_HISTORY_FILE="+filepath.Join(home, "history.jsonl"),
	)
	lab, err := proctest.Start("JupyterLab", cmd, filepath.Join(home, "lab.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// SIGTERM makes jupyter_server shut its kernels down before it
		// exits; SIGINT would only ask for confirmation on its terminal.
		if err := lab.Stop(syscall.SIGTERM, 15*time.Second); err != nil {
			t.Log(err)
		}
		if t.Failed() {
			t.Logf("JupyterLab log:\n%s", lab.Log(0))
		}
	})
	err = lab.WaitReady(60*time.Second, 250*time.Millisecond, func() error {
		resp, err := http.Get(url + "/api/status?token=" + token)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err) // the cleanup logs the whole log
	}
	return url, token
}

func writeNotebook(t *testing.T, path, kernel string, sources []string) {
	t.Helper()
	type cell struct {
		CellType       string         `json:"cell_type"`
		ID             string         `json:"id"`
		Metadata       map[string]any `json:"metadata"`
		Source         string         `json:"source"`
		Outputs        []any          `json:"outputs"`
		ExecutionCount *int           `json:"execution_count"`
	}
	nb := map[string]any{
		"nbformat": 4, "nbformat_minor": 5,
		"metadata": map[string]any{
			"kernelspec":    map[string]any{"name": kernel, "display_name": "Go (galley)", "language": "go"},
			"language_info": map[string]any{"name": "go"},
		},
	}
	var cs []cell
	for i, s := range sources {
		cs = append(cs, cell{CellType: "code", ID: fmt.Sprintf("cell-%d", i), Metadata: map[string]any{}, Source: s, Outputs: []any{}})
	}
	nb["cells"] = cs
	b, err := json.MarshalIndent(nb, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
