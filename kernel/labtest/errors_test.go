package labtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/galley-dev/galley/kernel/jupytertest"
)

// TestJupyterLabShowsErrorMessages runs failing cells in JupyterLab and
// checks that each failure's message, not only its position, is visible in
// the cell's output area: front ends show the traceback list, so the
// message must be in it.
func TestJupyterLabShowsErrorMessages(t *testing.T) {
	failing := []struct{ code, message, position string }{
		{"f, err := data.ReadCSV(\"no-such-file.csv\")\nif err != nil {\n\tpanic(err)\n}\n_ = f",
			"*fs.PathError: open no-such-file.csv: no such file or directory", "cell:2:1: in this cell"},
		{"var m map[string]int\nm[\"k\"] = 1",
			"runtime.Error: assignment to entry in nil map", "cell:2:1: in this cell"},
		{"xs := []int{1, 2}\ni := 5\nfmt.Println(xs[i])",
			"runtime.Error: runtime error: index out of range", "cell:3:1: in this cell"},
		{"type node struct{ next *node }\nvar n *node\nfmt.Println(n.next)",
			"runtime error: invalid memory address or nil pointer dereference", "cell:3:1: in this cell"},
		{"done := make(chan bool)\ngo func() {\n\tdefer close(done)\n\tvar m map[int]int\n\tm[1] = 2\n}()\n<-done\ntime.Sleep(20 * time.Millisecond)",
			"runtime.Error: assignment to entry in nil map", "cell:2:1: in a goroutine started by this cell"},
	}
	var sources []string
	for _, f := range failing {
		sources = append(sources, f.code)
	}
	ctx := openNotebook(t, sources)
	for i, f := range failing {
		runCell(t, ctx, i)
		waitJS(t, ctx, fmt.Sprintf("cell %d to show %q", i, f.message), 30*time.Second,
			visibleErrorJS(i)+`.includes(`+jsString(f.message)+`)`)
		waitJS(t, ctx, fmt.Sprintf("cell %d to show %q", i, f.position), 5*time.Second,
			visibleErrorJS(i)+`.includes(`+jsString(f.position)+`)`)
	}
	screenshot(t, ctx, "errors.png")
}

// visibleErrorJS is a JS expression for the text of cell i's error output
// that is rendered visibly (innerText leaves out hidden text).
func visibleErrorJS(i int) string {
	return fmt.Sprintf(`(() => {
		const cell = document.querySelectorAll('.jp-Notebook .jp-Cell')[%d];
		const out = cell && cell.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
		if (!out) return '';
		const r = out.getBoundingClientRect();
		return r.width > 0 && r.height > 0 && getComputedStyle(out).visibility !== 'hidden' ? out.innerText : '';
	})()`, i)
}

// openNotebook starts JupyterLab with the galley kernel on a notebook of
// the given cells, opens it in Chromium and waits for the kernel.
func openNotebook(t *testing.T, sources []string) context.Context {
	t.Helper()
	py := jupytertest.Python(t)
	chromium := findChromium(t)
	galley := jupytertest.BuildGalley(t)
	prefix := jupytertest.InstallKernelspec(t, galley, "galley")
	root := t.TempDir()
	writeNotebook(t, filepath.Join(root, "lab.ipynb"), "galley", sources)
	url, token := startLab(t, py, root, prefix)
	ctx, cancel := browser(t, chromium)
	t.Cleanup(cancel)
	page := fmt.Sprintf("%s/lab/tree/lab.ipynb?token=%s", url, token)
	must(t, "open the notebook", chromedp.Do(ctx, chromedp.Navigate(page)))
	waitJS(t, ctx, "the galley kernel to be idle", 90*time.Second, `(() => {
		const w = window.jupyterapp && `+panelJS+`;
		const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
		return !!k && k.status === 'idle';
	})()`)
	return ctx
}

// runCell selects cell i and runs it, as Shift-Enter would.
func runCell(t *testing.T, ctx context.Context, i int) {
	t.Helper()
	evalJS(t, ctx, fmt.Sprintf(`(() => {
		const nb = `+panelJS+`.content;
		nb.activeCellIndex = %d;
		window.jupyterapp.shell.activateById(`+panelJS+`.id);
		window.jupyterapp.commands.execute('notebook:run-cell');
		return true;
	})()`, i))
}

// screenshot saves the page as name in the test's temporary directory and,
// when GALLEY_SCREENSHOT_DIR is set, there too, for a person to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	must(t, "take a screenshot", err)
	if dir := os.Getenv("GALLEY_SCREENSHOT_DIR"); dir != "" {
		must(t, "save the screenshot", os.WriteFile(filepath.Join(dir, name), png, 0o644))
	}
	t.Logf("screenshot %s: %d bytes", name, len(png))
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
