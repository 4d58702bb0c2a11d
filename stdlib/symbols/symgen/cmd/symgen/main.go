// Command symgen writes yaegi symbol tables into the current directory.
//
// Usage:
//
//	symgen -pkg name importpath...
package main

import (
	"flag"
	"log"

	"github.com/galley-dev/galley/stdlib/symbols/symgen"
)

func main() {
	pkg := flag.String("pkg", "", "name of the package the generated files belong to")
	flag.Parse()
	if *pkg == "" || flag.NArg() == 0 {
		log.Fatal("usage: symgen -pkg name importpath...")
	}
	if err := symgen.Generate(".", *pkg, flag.Args()); err != nil {
		log.Fatal(err)
	}
}
