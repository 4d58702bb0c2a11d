// Package symgen writes yaegi symbol tables for Go packages: one file per
// package, each registering the package's exported symbols in a Symbols map
// so that interpreted cells can call the compiled code.
//
// It is what the //go:generate lines of galley's symbol packages run, and
// what their freshness tests run into a temporary directory.
package symgen

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/traefik/yaegi/extract"
)

// Generate writes the symbol table of each package in paths to dir, as
// files of package pkgName. Packages are extracted concurrently because
// each extraction type-checks the package and its dependencies from source.
func Generate(dir, pkgName string, paths []string) error {
	ext := extract.Extractor{Dest: pkgName}
	errs := make([]error, len(paths))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0)+1)
	var wg sync.WaitGroup
	for i, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var buf bytes.Buffer
			if _, err := ext.Extract(p, "", &buf); err != nil {
				errs[i] = fmt.Errorf("extracting %s: %w", p, err)
				return
			}
			errs[i] = os.WriteFile(filepath.Join(dir, FileName(p)), buf.Bytes(), 0o644)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// FileName is the name of the generated file for the package at path.
func FileName(path string) string {
	const module = "github.com/galley-dev/galley/"
	if rest, ok := strings.CutPrefix(path, module); ok {
		return "galley_" + strings.NewReplacer("/", "_").Replace(rest) + ".go"
	}
	return "std_" + strings.NewReplacer("/", "_", ".", "_").Replace(path) + ".go"
}

// GenerateArgs reads the //go:generate lines of file that run symgen and
// returns the package name and the import paths they list, so that a test
// regenerates exactly what `go generate` would.
func GenerateArgs(file string) (pkgName string, paths []string, err error) {
	f, err := os.Open(file)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "//go:generate ")
		if !ok || !strings.Contains(line, "symgen") {
			continue
		}
		fields := strings.Fields(line)
		for i := 0; i < len(fields); i++ {
			switch {
			case fields[i] == "-pkg" && i+1 < len(fields):
				pkgName = fields[i+1]
				i++
			case strings.Contains(fields[i], "symgen") || fields[i] == "go" || fields[i] == "run":
			default:
				paths = append(paths, fields[i])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", nil, err
	}
	if pkgName == "" || len(paths) == 0 {
		return "", nil, fmt.Errorf("%s: no //go:generate line running symgen with -pkg and packages", file)
	}
	return pkgName, paths, nil
}
