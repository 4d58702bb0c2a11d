package notebook

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"regexp"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/engine"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// Cell tags conversion understands.
const (
	TagParameters  = "parameters"
	TagSkip        = "skip"
	TagExploration = "exploration"
)

// Recipe is the outcome of converting a notebook.
type Recipe struct {
	// Source is the recipe as it is stored and reviewed: the code cells
	// that run, in order, each under a "//galley:cell INDEX ID" marker
	// line (Cells reads it back).
	Source string
	// Params is the configuration schema from the "parameters" cell.
	Params []recipe.Param
	// ContentHash identifies Source: equal hashes mean equal recipes.
	ContentHash string
	// NotebookHash identifies the notebook bytes it came from.
	NotebookHash string
	// Sample and SampleRows come from the notebook metadata.
	Sample     string
	SampleRows int
}

// Hash returns the hex SHA-256 of b.
func Hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// ConvertBytes parses and converts a notebook.
func ConvertBytes(data []byte) (*Recipe, error) {
	nb, err := Parse(data)
	if err != nil {
		return nil, err
	}
	r, err := Convert(nb)
	if err != nil {
		return nil, err
	}
	r.NotebookHash = Hash(data)
	return r, nil
}

// sourceHeader starts every recipe source.
const sourceHeader = "// A galley recipe: the code cells of a notebook, in the order they run.\n// Change the notebook and import it again rather than editing this text.\n"

// Convert turns nb's code cells into recipe source.
func Convert(nb *Notebook) (*Recipe, error) {
	var (
		params  []recipe.Param
		seenPar = -1
		body    strings.Builder
	)
	body.WriteString(sourceHeader)
	for _, c := range nb.Cells {
		if c.Type != "code" || c.HasTag(TagSkip) || c.HasTag(TagExploration) {
			continue
		}
		code := stripMagics(c.Source)
		if strings.TrimSpace(code) == "" {
			continue
		}
		if _, err := cellSyntax(c, code); err != nil {
			return nil, err
		}
		marker := Marker{Index: c.Index, ID: c.ID}
		if c.HasTag(TagParameters) {
			if seenPar >= 0 {
				return nil, &Error{Cell: c.Index, ID: c.ID, Msg: fmt.Sprintf("a second cell is tagged %q (the first is cell %d): tag only one", TagParameters, seenPar)}
			}
			seenPar = c.Index
			decls, err := parameters(c, code)
			if err != nil {
				return nil, err
			}
			for _, d := range decls {
				params = append(params, d.Param)
			}
			marker.Parameters = true
		}
		for i, l := range strings.Split(code, "\n") {
			if markerRE.MatchString(l) {
				return nil, &Error{Cell: c.Index, ID: c.ID, Line: i + 1, Msg: "a line starting with //galley:cell is reserved for recipe markers: change the comment"}
			}
		}
		body.WriteString("\n" + marker.String() + "\n" + strings.TrimRight(code, " \t\n") + "\n")
	}
	src := body.String()
	r := &Recipe{Source: src, Params: params, ContentHash: Hash([]byte(src)), Sample: nb.Metadata.Sample, SampleRows: nb.Metadata.SampleRows}
	if r.Sample != "" && r.SampleRows == 0 {
		r.SampleRows = DefaultSampleRows
	}
	if r.Params == nil {
		r.Params = []recipe.Param{}
	}
	return r, nil
}

// stripMagics blanks kernel magics ("%time", "!ls"), which only mean
// something to the kernel, keeping line numbers as they are.
func stripMagics(src string) string {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i, l := range lines {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "%") || strings.HasPrefix(t, "!") {
			lines[i] = ""
		}
	}
	return strings.Join(lines, "\n")
}

// Marker heads a cell in recipe source.
type Marker struct {
	Index      int    // the cell's position in the notebook
	ID         string // the cell's id, "" when the notebook has none
	Parameters bool   // the cell tagged "parameters"
}

func (m Marker) String() string {
	id := m.ID
	if id == "" {
		id = "-"
	}
	id = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' {
			return '_'
		}
		return r
	}, id)
	s := fmt.Sprintf("//galley:cell %d %s", m.Index, id)
	if m.Parameters {
		s += " " + TagParameters
	}
	return s
}

var markerRE = regexp.MustCompile(`^//galley:cell (\d+) (\S+)( parameters)?$`)

// SourceCell is one cell of recipe source.
type SourceCell struct {
	Marker
	Code string
}

// Cells reads recipe source back into its cells, each with the code the
// notebook cell held (line 1 of Code is line 1 of the cell).
func Cells(source string) ([]SourceCell, error) {
	var cells []SourceCell
	var code []string
	flush := func() {
		if len(cells) > 0 {
			cells[len(cells)-1].Code = strings.TrimRight(strings.Join(code, "\n"), " \t\n")
		}
		code = nil
	}
	for _, l := range strings.Split(source, "\n") {
		m := markerRE.FindStringSubmatch(l)
		if m == nil {
			if len(cells) > 0 {
				code = append(code, l)
			}
			continue
		}
		flush()
		idx, _ := strconv.Atoi(m[1])
		id := m[2]
		if id == "-" {
			id = ""
		}
		cells = append(cells, SourceCell{Marker: Marker{Index: idx, ID: id, Parameters: m[3] != ""}})
	}
	flush()
	if len(cells) == 0 && strings.TrimSpace(strings.TrimPrefix(source, sourceHeader)) != "" {
		// Versions converted by an earlier galley were one Go file.
		return nil, &Error{Cell: -1, Msg: "this recipe version's source is not a list of notebook cells (it was converted by an earlier galley): import the notebook again to make a new version"}
	}
	return cells, nil
}

// cellSyntax splits a cell with the engine's splitter and parses each
// piece, so that a syntax error is reported at conversion with its cell,
// line and column. Type errors are found later, when the recipe is
// validated by running it.
func cellSyntax(c Cell, code string) ([]engine.Chunk, error) {
	chunks, err := engine.Split(code)
	if err != nil {
		return nil, posErr(c, 0, 0, err)
	}
	for _, ch := range chunks {
		if _, err := parseChunk(code, ch); err != nil {
			return nil, err2cell(c, code, ch, err)
		}
	}
	return chunks, nil
}

// wrapper lines put before a chunk to parse it.
const (
	declWrapper = "package p\n"
	stmtWrapper = "package p\nfunc _() {\n"
)

// parseChunk parses one chunk: imports and declarations as a file,
// statements as a function body.
func parseChunk(code string, ch engine.Chunk) (*ast.File, error) {
	text := code[ch.Start:ch.End]
	// Columns stay right when the chunk starts mid-line.
	pad := strings.Repeat(" ", ch.Start-strings.LastIndexByte(code[:ch.Start], '\n')-1)
	src := declWrapper + pad + text
	if ch.Kind == engine.StmtChunk {
		src = stmtWrapper + pad + text + "\n}"
	}
	return parser.ParseFile(token.NewFileSet(), "", src, parser.ParseComments|parser.SkipObjectResolution)
}

// err2cell places a parse error of chunk ch in the cell.
func err2cell(c Cell, code string, ch engine.Chunk, err error) error {
	first := strings.Count(code[:ch.Start], "\n")
	wrap := strings.Count(declWrapper, "\n")
	if ch.Kind == engine.StmtChunk {
		wrap = strings.Count(stmtWrapper, "\n")
	}
	if el, ok := err.(scanner.ErrorList); ok && len(el) > 0 {
		return &Error{Cell: c.Index, ID: c.ID, Line: first + el[0].Pos.Line - wrap, Col: el[0].Pos.Column, Msg: "syntax error: " + el[0].Msg}
	}
	return &Error{Cell: c.Index, ID: c.ID, Msg: "syntax error: " + err.Error()}
}

func posErr(c Cell, line, col int, err error) error {
	if el, ok := err.(scanner.ErrorList); ok && len(el) > 0 {
		line, col = el[0].Pos.Line, el[0].Pos.Column
		return &Error{Cell: c.Index, ID: c.ID, Line: line, Col: col, Msg: "syntax error: " + el[0].Msg}
	}
	return &Error{Cell: c.Index, ID: c.ID, Line: line, Col: col, Msg: err.Error()}
}
