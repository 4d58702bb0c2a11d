// Package symbols exposes package recipe to the interpreter.
package symbols

import "reflect"

//go:generate go run github.com/traefik/yaegi/cmd/yaegi extract github.com/galley-dev/galley/stdlib/recipe

// Symbols maps "importpath/name" to the exported symbols of each package.
var Symbols = map[string]map[string]reflect.Value{}
