package supervisor_test

import (
	"sort"
	"testing"
	"time"
)

// TestToolingThroughJupyterClient drives completion, inspection and error
// tracebacks, and the debug requests of the variables panel, with
// jupyter_client as front ends send them.
func TestToolingThroughJupyterClient(t *testing.T) {
	env := setup(t)
	results := runPython(t, 2*time.Minute, "tooling.py", env)
	var names []string
	for name := range results {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) < 5 {
		t.Errorf("only %d scenarios ran: %v", len(names), names)
	}
	for _, name := range names {
		if r := results[name]; r.Outcome != "ok" {
			t.Errorf("%s failed:\n%s", name, r.Detail)
		} else {
			t.Logf("%s passed in %s", name, r.Detail)
		}
	}
}
