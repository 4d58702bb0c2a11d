package labtest

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestJupyterLabDebuggerShowsVariables turns JupyterLab's debugger on for
// a notebook, as the bug button in its toolbar does, and checks that the
// sidebar's variables panel lists the session's variables: names and types
// in the tree view (values of numbers too), a struct's fields when it is
// expanded, the table view, and a data frame rendered as its table.
func TestJupyterLabDebuggerShowsVariables(t *testing.T) {
	ctx := openNotebook(t, []string{"type customer struct {\n\tID   int\n\tPlan string\n}\nchurnRate := 0.265\nfirst := customer{ID: 7, Plan: \"fiber\"}\ndf, _ := data.ReadCSVFrom(strings.NewReader(\"plan,charges\\nfiber,70.5\\ndsl,30.25\\n\"))\nfmt.Println(\"defined\")"})
	runCell(t, ctx, 0)
	waitJS(t, ctx, "the cell to run", 30*time.Second, outputOf(0)+`.includes('defined')`)

	// The debugger follows the notebook that has focus, as a click gives.
	must(t, "focus the notebook", chromedp.Do(ctx, chromedp.Click(`.jp-Notebook .jp-Cell .cm-content`)))
	button := `(() => {
		const b = document.querySelector('.jp-NotebookPanel-toolbar .jp-DebuggerBugButton');
		return b && (b.matches('jp-button') ? b : (b.querySelector('jp-button') || b.closest('jp-button') || b));
	})()`
	waitJS(t, ctx, "the debugger button to be enabled", 30*time.Second, `!!`+button+` && `+button+`.getAttribute('aria-disabled') !== 'true'`)
	evalJS(t, ctx, `(`+button+`.click(), true)`)
	evalJS(t, ctx, `(window.jupyterapp.commands.execute('debugger:show-panel'), true)`)

	panel := `(document.querySelector('.jp-DebuggerSidebar .jp-DebuggerVariables') || {innerText: ''}).innerText`
	waitJS(t, ctx, "the tree view to list the session's variables with their types", 30*time.Second,
		panel+`.includes('churnRate') && `+panel+`.includes('float64') && `+panel+`.includes('first')`)

	// Expand the struct: its fields come from a DAP variables request.
	evalJS(t, ctx, `(() => {
		const item = Array.from(document.querySelectorAll('.jp-DebuggerVariables-body .jp-TreeItem'))
			.find(e => (e.querySelector('.jp-DebuggerVariables-name') || {}).innerText === 'first');
		item.expanded = true;
		item.dispatchEvent(new CustomEvent('expanded-change', {bubbles: true, detail: item}));
		const toggle = item.shadowRoot && item.shadowRoot.querySelector('.expand-collapse-button');
		if (toggle) toggle.click();
		return true;
	})()`)
	// An int's value shows in the tree itself, as JupyterLab shows numbers.
	waitJS(t, ctx, "the struct's fields to be listed", 30*time.Second, panel+`.includes('Plan') && /ID:?\s*7/.test(`+panel+`)`)
	screenshot(t, ctx, "debugger-tree.png")

	// The table view shows every value; it draws on a canvas, which a
	// person checks on the screenshot.
	evalJS(t, ctx, `(() => {
		const b = document.querySelector('.jp-DebuggerSidebar .jp-TableView-Button');
		(b.querySelector('jp-button') || b).click();
		return true;
	})()`)
	waitJS(t, ctx, "the table view to show", 30*time.Second, `(() => {
		const g = document.querySelector('.jp-DebuggerSidebar .jp-DebuggerVariables-grid');
		return !!g && !g.closest('.lm-mod-hidden') && g.getBoundingClientRect().height > 0;
	})()`)
	screenshot(t, ctx, "debugger-table.png")

	// Rendering a variable, as its magnifier button does, shows a data
	// frame as its table.
	evalJS(t, ctx, `(window.jupyterapp.commands.execute('debugger:render-mime-variable', {name: 'df'}), true)`)
	waitJS(t, ctx, "the data frame to render as a table", 30*time.Second, `(() => {
		const t = document.querySelector('.jp-DebuggerRichVariable table');
		return !!t && t.innerText.includes('charges') && t.innerText.includes('30.25');
	})()`)
	screenshot(t, ctx, "debugger-frame.png")
}
