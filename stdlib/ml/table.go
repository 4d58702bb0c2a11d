package ml

import "fmt"

// Kind is how the pipeline reads a column: as numbers or as categories.
type Kind string

// Column kinds. Bool and integer inputs are numeric; strings are categorical.
const (
	Numeric     Kind = "numeric"
	Categorical Kind = "categorical"
)

// Column is one named input column in the form the pipeline consumes.
// Numeric columns keep missing values as NaN. Categorical columns keep
// strings, with Valid (when not nil) marking which are present.
type Column struct {
	Name string
	Kind Kind
	// Type is the source type recorded in a model's input schema
	// (for example "float64", "int64", "string"); empty means Kind.
	Type  string
	Num   []float64
	Str   []string
	Valid []bool
	// Codes and Levels are an alternative form of a categorical column:
	// row i holds Levels[Codes[i]], or is missing when Codes[i] < 0.
	// Dictionary-encoded frame columns arrive this way, and encoders then
	// look up each level once instead of each row.
	Codes  []int32
	Levels []string
}

// Len returns the number of rows.
func (c *Column) Len() int {
	if c.Kind == Categorical {
		if c.Codes != nil {
			return len(c.Codes)
		}
		return len(c.Str)
	}
	return len(c.Num)
}

func (c *Column) typeName() string {
	if c.Type != "" {
		return c.Type
	}
	return string(c.Kind)
}

// Table is a set of equally long named columns: the numeric core's input,
// independent of Arrow. Frames convert to Tables chunk by chunk.
type Table struct {
	cols  []*Column
	index map[string]int
	rows  int
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{index: map[string]int{}} }

// AddFloat adds a numeric column; NaN marks a missing value.
func (t *Table) AddFloat(name string, v []float64) *Table {
	return t.Add(&Column{Name: name, Kind: Numeric, Type: "float64", Num: v})
}

// AddString adds a categorical column. valid may be nil when no value is
// missing.
func (t *Table) AddString(name string, v []string, valid []bool) *Table {
	return t.Add(&Column{Name: name, Kind: Categorical, Type: "string", Str: v, Valid: valid})
}

// Add adds c, replacing any column with the same name. It panics when the
// length differs from the table's, as appending to a slice out of range would.
func (t *Table) Add(c *Column) *Table {
	if t.index == nil {
		t.index = map[string]int{}
	}
	if len(t.cols) > 0 && c.Len() != t.rows {
		panic(fmt.Sprintf("ml: column %q has %d rows, table has %d", c.Name, c.Len(), t.rows))
	}
	t.rows = c.Len()
	if i, ok := t.index[c.Name]; ok {
		t.cols[i] = c
		return t
	}
	t.index[c.Name] = len(t.cols)
	t.cols = append(t.cols, c)
	return t
}

// Rows returns the number of rows.
func (t *Table) Rows() int { return t.rows }

// Names returns the column names in order.
func (t *Table) Names() []string {
	out := make([]string, len(t.cols))
	for i, c := range t.cols {
		out[i] = c.Name
	}
	return out
}

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	if i, ok := t.index[name]; ok {
		return t.cols[i]
	}
	return nil
}

// Columns returns the columns in order.
func (t *Table) Columns() []*Column { return t.cols }

// without returns a table sharing t's columns minus the named ones.
func (t *Table) without(names ...string) *Table {
	out := NewTable()
	for _, c := range t.cols {
		skip := false
		for _, n := range names {
			if c.Name == n {
				skip = true
			}
		}
		if !skip {
			out.Add(c)
		}
	}
	out.rows = t.rows
	return out
}

// Take returns a new table holding rows idx of t, in that order.
func (t *Table) Take(idx []int) *Table {
	out := NewTable()
	for _, c := range t.cols {
		nc := &Column{Name: c.Name, Kind: c.Kind, Type: c.Type}
		if c.Codes != nil {
			nc.Levels = c.Levels
			nc.Codes = make([]int32, len(idx))
			for k, i := range idx {
				nc.Codes[k] = c.Codes[i]
			}
		} else if c.Kind == Categorical {
			nc.Str = make([]string, len(idx))
			for k, i := range idx {
				nc.Str[k] = c.Str[i]
			}
			if c.Valid != nil {
				nc.Valid = make([]bool, len(idx))
				for k, i := range idx {
					nc.Valid[k] = c.Valid[i]
				}
			}
		} else {
			nc.Num = make([]float64, len(idx))
			for k, i := range idx {
				nc.Num[k] = c.Num[i]
			}
		}
		out.Add(nc)
	}
	out.rows = len(idx)
	return out
}

// Matrix is a dense column-major feature matrix: Cols[j][i] is feature j of
// row i. It is what the pipeline produces and what models consume.
type Matrix struct {
	Names []string
	Cols  [][]float64
	Rows  int
	// Categorical marks the features that hold category codes (whole
	// numbers from 0, NaN for missing) rather than quantities; nil means
	// none do. Trees split such a feature by a set of categories instead
	// of a threshold. The pipeline's Category step sets it.
	Categorical []bool
}

// categorical reports whether feature j holds category codes.
func (m *Matrix) categorical(j int) bool { return j < len(m.Categorical) && m.Categorical[j] }

// Field names one input column of a model and its type.
type Field struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Kind Kind   `json:"kind"`
}
