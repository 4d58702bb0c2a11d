// Package templates holds galley's recipe templates: notebooks that run top
// to bottom in the kernel and convert into recipes the server trains and
// scores. They are embedded in the galley binary, so `galley new` copies one
// into a new folder wherever galley is installed.
package templates

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed churn/*.ipynb propensity/*.ipynb
var files embed.FS

// Names lists the templates, sorted.
func Names() []string {
	ents, _ := files.ReadDir(".")
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// ErrExists is returned (wrapped) when the target folder exists and is not
// empty: a template is never copied over someone's files.
var ErrExists = errors.New("folder exists and is not empty")

// Copy writes the files of the template called name into dir, creating
// dir. It refuses, writing nothing, when dir already holds anything. It
// returns the paths it wrote.
func Copy(name, dir string) ([]string, error) {
	sub, err := fs.Sub(files, name)
	if err != nil || !validName(name) {
		return nil, fmt.Errorf("unknown template %q: choose %s", name, strings.Join(Names(), " or "))
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("%s: %w", dir, ErrExists)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
			return nil, fmt.Errorf("%s: %w", dir, ErrExists)
		}
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var written []string
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		out := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		// O_EXCL: a file that appeared since the check above is kept.
		fh, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		if _, err := fh.Write(b); err != nil {
			fh.Close()
			return err
		}
		if err := fh.Close(); err != nil {
			return err
		}
		written = append(written, out)
		return nil
	})
	return written, err
}

func validName(name string) bool {
	for _, n := range Names() {
		if n == name {
			return true
		}
	}
	return false
}
