// Package symbols exports galley's own standard library to the
// interpreter, so cells call the compiled packages directly.
//
// Regenerate with `go generate ./stdlib/symbols` after changing an exported
// API; TestFresh fails when the committed tables are stale.
package symbols

import "reflect"

// Symbols holds the exported symbols of each package, keyed by
// "importpath/name" as interp.Use expects.
var Symbols = map[string]map[string]reflect.Value{}

//go:generate go run ./symgen/cmd/symgen -pkg symbols github.com/galley-dev/galley/stdlib/display github.com/galley-dev/galley/stdlib/data github.com/galley-dev/galley/stdlib/plot
//go:generate go run ./symgen/cmd/symgen -pkg symbols github.com/galley-dev/galley/stdlib/catalog github.com/galley-dev/galley/stdlib/sample github.com/galley-dev/galley/stdlib/ml
//go:generate go run ./symgen/cmd/symgen -pkg symbols github.com/galley-dev/galley/stdlib/recipe
