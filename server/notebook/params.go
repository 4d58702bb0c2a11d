package notebook

import (
	"strings"

	"github.com/galley-dev/galley/stdlib/recipe"
)

// Parameters reads the declarations of the cell tagged "parameters", as
// papermill and `galley run` find it: the cell, its parameters in order, and
// ok false when no code cell carries the tag. Besides the scalar types a
// recipe takes, a parameter may be a slice of them ([]string{"a", "b"}).
func Parameters(nb *Notebook) (cell Cell, params []recipe.Param, ok bool, err error) {
	seen := -1
	for _, c := range nb.Cells {
		if c.Type != "code" || !c.HasTag(TagParameters) {
			continue
		}
		if seen >= 0 {
			return Cell{}, nil, false, &Error{Cell: c.Index, ID: c.ID, Msg: "a second cell is tagged \"parameters\": tag only one"}
		}
		seen = c.Index
		cell = c
	}
	if seen < 0 {
		return Cell{}, nil, false, nil
	}
	lines := strings.Split(strings.ReplaceAll(cell.Source, "\r\n", "\n"), "\n")
	for i, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "%") || strings.HasPrefix(t, "!") {
			lines[i] = ""
		}
	}
	if strings.TrimSpace(strings.Join(lines, "")) == "" {
		return cell, nil, true, nil
	}
	segs, err := parseCell(cell, lines)
	if err != nil {
		return Cell{}, nil, false, err
	}
	params, _, err = parameters(cell, lines, segs, true)
	if err != nil {
		return Cell{}, nil, false, err
	}
	return cell, params, true, nil
}
