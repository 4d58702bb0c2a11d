// Command docgen writes the declarations and doc comments of Go packages
// into a compressed table for package apidoc.
//
// Usage:
//
//	docgen -o file [-from file]... [importpath]...
//
// Each -from file is a Go file whose //go:generate symgen lines list the
// packages exported to the interpreter.
package main

import (
	"bytes"
	"log"
	"os"

	"github.com/galley-dev/galley/engine/apidoc/docgen"
)

func main() {
	out, paths, err := docgen.Args(os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	var b bytes.Buffer
	if err := docgen.Generate(&b, ".", paths); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
