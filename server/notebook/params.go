package notebook

import (
	"strings"

	"github.com/galley-dev/galley/stdlib/recipe"
)

// Parameters reads the declarations of the cell tagged "parameters", as
// papermill and `galley run` find it: the cell, its parameters in order, and
// ok false when no code cell carries the tag. It reads them exactly as a
// recipe's parameters are read.
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
	code := stripMagics(cell.Source)
	if strings.TrimSpace(code) == "" {
		return cell, nil, true, nil
	}
	decls, err := parameters(cell, code)
	if err != nil {
		return Cell{}, nil, false, err
	}
	for _, d := range decls {
		params = append(params, d.Param)
	}
	return cell, params, true, nil
}

// InjectedCell returns the source of the cell a run of nb executes right
// after its parameters cell, setting each parameter in values, and that
// cell's index. Values are parsed against the declared types. With no
// parameters cell, after is -1 and values must be empty.
func InjectedCell(nb *Notebook, values map[string]string) (src string, after int, err error) {
	cell, params, ok, err := Parameters(nb)
	if err != nil || !ok {
		return "", -1, err
	}
	byName := map[string]recipe.Param{}
	for _, p := range params {
		byName[p.Name] = p
	}
	typed := make(map[string]recipe.Value, len(values))
	for name, text := range values {
		p, ok := byName[name]
		if !ok {
			continue // InjectParameters names it
		}
		v, err := p.Parse(text)
		if err != nil {
			return "", -1, err
		}
		typed[name] = v
	}
	src, err = InjectParameters(SourceCell{Marker: Marker{Index: cell.Index, ID: cell.ID, Parameters: true}, Code: stripMagics(cell.Source)}, typed)
	if err != nil {
		return "", -1, err
	}
	return src, cell.Index, nil
}
