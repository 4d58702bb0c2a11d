// Package notebooktest keeps galley's notebooks honest: the examples that
// `make run` opens in JupyterLab (notebooks/), the templates `galley new`
// copies (templates/) and the notebooks the kernel tests execute
// (testdata/notebooks/).
//
// Its tests live here, outside the folders JupyterLab opens, so that the
// file browser shows notebooks only. They execute fixed lists of notebooks,
// each copied into a temporary directory first: a scratch notebook a user
// saves beside the examples is neither run nor overwritten, and nothing a
// notebook writes lands in the repository. TestNoStoredOutputs (run by
// `make lint` too) fails when a tracked notebook carries outputs, as
// JupyterLab's autosave leaves them.
package notebooktest

import (
	"encoding/json"
	"fmt"
	"os"
)

// Examples are the notebooks in notebooks/ that the tests execute, by name.
// A notebook added there must be added here, or TestExamplesListed fails.
var Examples = []string{"telco-eda.ipynb", "churn-models.ipynb"}

// StoredOutputs describes the outputs and execution counts a notebook
// file holds, one line per code cell that has any; nil when it has none.
func StoredOutputs(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var nb struct {
		Cells []struct {
			CellType       string            `json:"cell_type"`
			ID             string            `json:"id"`
			ExecutionCount *int              `json:"execution_count"`
			Outputs        []json.RawMessage `json:"outputs"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(b, &nb); err != nil {
		return nil, fmt.Errorf("%s: not a notebook: %w", path, err)
	}
	var found []string
	for i, c := range nb.Cells {
		if c.CellType != "code" || (len(c.Outputs) == 0 && c.ExecutionCount == nil) {
			continue
		}
		count := "none"
		if c.ExecutionCount != nil {
			count = fmt.Sprint(*c.ExecutionCount)
		}
		found = append(found, fmt.Sprintf("%s: cell %d (id %s) holds %d outputs, execution count %s", path, i, c.ID, len(c.Outputs), count))
	}
	return found, nil
}
