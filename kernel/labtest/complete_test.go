package labtest

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestJupyterLabCompletesFrameMethods types "df." and Tab in a cell, as a
// person does, on a *data.Frame, and checks the completer lists the
// frame's methods.
func TestJupyterLabCompletesFrameMethods(t *testing.T) {
	ctx := openNotebook(t, []string{"var df *data.Frame\nfmt.Println(\"ready\")", ""})
	runCell(t, ctx, 0)
	waitJS(t, ctx, "the first cell to run", 30*time.Second, outputOf(0)+`.includes('ready')`)

	editor := `.jp-Notebook .jp-Cell:nth-child(2) .cm-content`
	must(t, "type df. and Tab", chromedp.Do(ctx,
		chromedp.Click(editor),
		chromedp.KeyEvent("df."),
		chromedp.KeyEvent(kb.Tab),
	))
	items := `Array.from(document.querySelectorAll('.jp-Completer .jp-Completer-item')).filter(e => e.getBoundingClientRect().height > 0).map(e => e.innerText.trim())`
	waitJS(t, ctx, "the completer to list the frame's methods", 30*time.Second,
		items+`.includes('Head') && `+items+`.includes('NumRows') && `+items+`.includes('Select')`)
	screenshot(t, ctx, "complete.png")
}
