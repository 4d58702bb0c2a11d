// Package notebook reads Jupyter notebooks (nbformat 4.0–4.5) written for
// galley's Go kernel and converts them into recipe source.
//
// Conversion takes the code cells in order and honours cell tags: the cell
// tagged "parameters" (the papermill convention) declares the recipe's
// configuration; cells tagged "skip" or "exploration" are left out, and so
// are line magics ("%…", "!…"). The cells are kept as they are, each under
// a marker line naming it, and split with the cell engine's own splitter:
// a recipe runs its cells through the same engine as the kernel, one after
// the other (see server/worker). Every error names the cell by index and id
// and the line within it.
//
//	nb, err := notebook.Parse(raw)
//	r, err := notebook.Convert(nb)
//	cells, err := notebook.Cells(r.Source) // what a run executes, in order
package notebook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Notebook is the part of an nbformat v4 document conversion needs.
type Notebook struct {
	Format   int
	Minor    int
	Cells    []Cell
	Metadata Metadata
}

// Metadata is galley's section of the notebook metadata ("galley" key).
type Metadata struct {
	// Sample names a dataset (or file) to dry-run the recipe on when it is
	// converted.
	Sample string `json:"sample,omitempty"`
	// SampleRows bounds the dry run; 0 means DefaultSampleRows.
	SampleRows int `json:"sample_rows,omitempty"`
}

// DefaultSampleRows is how many rows a dry run reads when the notebook does
// not say.
const DefaultSampleRows = 200

// Cell is one notebook cell.
type Cell struct {
	Index  int // position in the notebook, from 0
	ID     string
	Type   string // "code", "markdown" or "raw"
	Source string
	Tags   []string
}

// HasTag reports whether c carries tag.
func (c Cell) HasTag(tag string) bool {
	for _, t := range c.Tags {
		if t == tag {
			return true
		}
	}
	return false
}

// Error is a problem in a notebook, located as precisely as possible.
type Error struct {
	Cell int    // cell index, or -1 for the notebook as a whole
	ID   string // cell id, when the notebook has them
	Line int    // line within the cell, from 1; 0 when unknown
	Col  int    // column within the line, from 1; 0 when unknown
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Cell >= 0 {
		fmt.Fprintf(&b, "cell %d", e.Cell)
		if e.ID != "" {
			fmt.Fprintf(&b, " (id %s)", e.ID)
		}
		if e.Line > 0 {
			fmt.Fprintf(&b, " line %d", e.Line)
			if e.Col > 0 {
				fmt.Fprintf(&b, " column %d", e.Col)
			}
		}
		b.WriteString(": ")
	} else {
		b.WriteString("notebook: ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func nbErr(format string, args ...any) error {
	return &Error{Cell: -1, Msg: fmt.Sprintf(format, args...)}
}

// source is a cell source in either of nbformat's spellings: a string or a
// list of lines.
type source string

func (s *source) UnmarshalJSON(b []byte) error {
	var str string
	if err := json.Unmarshal(b, &str); err == nil {
		*s = source(str)
		return nil
	}
	var lines []string
	if err := json.Unmarshal(b, &lines); err != nil {
		return errors.New("source must be a string or a list of strings")
	}
	*s = source(strings.Join(lines, ""))
	return nil
}

type rawNotebook struct {
	Format   *int `json:"nbformat"`
	Minor    *int `json:"nbformat_minor"`
	Metadata struct {
		Galley json.RawMessage `json:"galley"`
	} `json:"metadata"`
	Cells *[]struct {
		ID       string  `json:"id"`
		Type     string  `json:"cell_type"`
		Source   *source `json:"source"`
		Metadata struct {
			Tags []string `json:"tags"`
		} `json:"metadata"`
	} `json:"cells"`
}

// Parse decodes an nbformat v4 notebook (minor versions 0 to 5).
func Parse(data []byte) (*Notebook, error) {
	var raw rawNotebook
	if err := json.Unmarshal(data, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, nbErr("not valid JSON at byte %d: %v; save the notebook from Jupyter and try again", se.Offset, err)
		}
		return nil, nbErr("not an nbformat document: %v", err)
	}
	if raw.Format == nil || raw.Minor == nil || raw.Cells == nil {
		return nil, nbErr("missing nbformat, nbformat_minor or cells: this is not a Jupyter notebook")
	}
	if *raw.Format != 4 || *raw.Minor < 0 || *raw.Minor > 5 {
		return nil, nbErr("nbformat %d.%d is not supported: save the notebook as nbformat 4.0 to 4.5", *raw.Format, *raw.Minor)
	}
	nb := &Notebook{Format: *raw.Format, Minor: *raw.Minor}
	if len(raw.Metadata.Galley) > 0 && string(raw.Metadata.Galley) != "null" {
		if err := json.Unmarshal(raw.Metadata.Galley, &nb.Metadata); err != nil {
			return nil, nbErr("metadata.galley: %v: expected {\"sample\": \"dataset\", \"sample_rows\": 200}", err)
		}
		if nb.Metadata.SampleRows < 0 {
			return nil, nbErr("metadata.galley.sample_rows is %d: use a positive number", nb.Metadata.SampleRows)
		}
	}
	for i, c := range *raw.Cells {
		switch c.Type {
		case "code", "markdown", "raw":
		default:
			return nil, &Error{Cell: i, ID: c.ID, Msg: fmt.Sprintf("unknown cell_type %q: want code, markdown or raw", c.Type)}
		}
		if c.Source == nil {
			return nil, &Error{Cell: i, ID: c.ID, Msg: "cell has no source"}
		}
		nb.Cells = append(nb.Cells, Cell{Index: i, ID: c.ID, Type: c.Type, Source: string(*c.Source), Tags: c.Metadata.Tags})
	}
	return nb, nil
}
