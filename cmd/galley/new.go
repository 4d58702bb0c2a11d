package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/galley-dev/galley/templates"
)

func init() {
	c := &command{
		name:    "new",
		summary: "start a project from a template: a notebook ready for JupyterLab and 'galley recipe create'",
		usage:   "galley new " + strings.Join(templates.Names(), "|") + " DIR",
	}
	c.run = func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		fs := newFlagSet(c, stderr)
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() != 2 {
			return fmt.Errorf("%w: want a template (%s) and a folder", errUsage, strings.Join(templates.Names(), ", "))
		}
		name, dir := fs.Arg(0), fs.Arg(1)
		written, err := templates.Copy(name, dir)
		if err != nil {
			return err
		}
		for _, p := range written {
			fmt.Fprintln(stdout, "created", p)
		}
		nb := filepath.Join(dir, name+".ipynb")
		fmt.Fprintf(stdout, "\nnext:\n  jupyter lab %s\n  galley recipe create %s --name %s\n", nb, nb, name)
		return nil
	}
	register(c)
}
