// Package apidoc holds the declarations, with parameter names, and the doc
// comments of the packages cells can import: the standard library of the
// toolchain that builds galley and galley's own stdlib packages.
//
// The interpreter's symbol tables are built by reflection and know neither,
// so the table is extracted from source by docgen at `go generate` time and
// embedded compressed (see docgen for what makes it reproducible). It is
// decompressed on the first Lookup.
//
//	e, ok := apidoc.Lookup("strings", "Builder.WriteString")
//	// e.Decl: "func (b *Builder) WriteString(s string) (int, error)"
package apidoc

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"strings"
	"sync"

	"github.com/galley-dev/galley/engine/apidoc/internal/format"
)

//go:generate go run ./docgen/cmd/docgen -o apidoc.gz -from ../stdsymbols/symbols.go -from ../../stdlib/symbols/symbols.go cmp iter maps slices

//go:embed apidoc.gz
var compressed []byte

// Entry describes one exported identifier.
type Entry struct {
	// Decl is the declaration as Go source without a body: "func
	// ToUpper(s string) string", "type Builder struct{ ... }", "field Name
	// string" for a struct field, "package strings" for a package.
	Decl string
	// Doc is the doc comment's text, without comment markers.
	Doc string
}

// Lookup returns what the table holds for name in the package at path:
// "Func", "Type", "Type.Method", "Type.Field", or "" for the package.
func Lookup(path, name string) (Entry, bool) {
	e, ok := table()[path+format.KeySep+name]
	return e, ok
}

var table = sync.OnceValue(func() map[string]Entry {
	m := map[string]Entry{}
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return m
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return m
	}
	s, ok := strings.CutPrefix(string(raw), format.Header)
	if !ok {
		return m
	}
	for rec := range strings.SplitSeq(s, format.RecordSep) {
		key, rest, ok1 := strings.Cut(rec, format.FieldSep)
		decl, d, ok2 := strings.Cut(rest, format.FieldSep)
		if ok1 && ok2 {
			m[key] = Entry{Decl: decl, Doc: d}
		}
	}
	return m
})
