// Package magics provides the kernel's line magics that reach beyond the
// interpreter: %recipe, which turns the running notebook into a recipe on
// a galley server, and %schedule, which scores with that recipe's model on
// a timetable.
package magics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
)

// SessionNameVar is the variable jupyter_server sets in a kernel's
// environment to the path of the notebook the kernel was started for.
const SessionNameVar = "JPY_SESSION_NAME"

// Recipe is the %recipe magic:
//
//	%recipe create NAME [NOTEBOOK.ipynb] [--author WHO]
//
// It reads the notebook as last saved (the one named, else the one
// jupyter_server started the kernel for) and registers it as the next
// version of recipe NAME, exactly as `galley recipe create` does.
type Recipe struct {
	// Recipes returns the service that stores recipes, usually a client of
	// the server named by $GALLEY_SERVER.
	Recipes func() server.RecipeService
	// Getenv and Getwd locate the notebook; nil means the process's own.
	Getenv func(string) string
	Getwd  func() (string, error)
	// Author is recorded with new versions unless --author is given.
	Author string
	// Last is the recipe this kernel last registered: %schedule's default.
	Last string
}

const recipeUsage = `usage: %recipe create NAME [NOTEBOOK.ipynb] [--author WHO]

Converts the notebook (as last saved; save it first) into the next version of
recipe NAME on the galley server ($GALLEY_SERVER, token from $GALLEY_TOKEN
or the local server's token file).
Without NOTEBOOK it uses the notebook this kernel was started for.`

// Run carries out one %recipe line.
func (r *Recipe) Run(ctx context.Context, line string, out func(string)) error {
	args, err := splitArgs(line)
	if err != nil {
		return err
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		out(recipeUsage + "\n")
		return nil
	}
	if args[0] != "create" {
		return fmt.Errorf("%%recipe %s: unknown subcommand; %s", args[0], recipeUsage)
	}
	fs := flag.NewFlagSet("%recipe create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	author := fs.String("author", r.Author, "")
	var pos []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%%recipe create: %v; %s", err, recipeUsage)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(pos) == 0 || len(pos) > 2 {
		return fmt.Errorf("%%recipe create needs a recipe name and at most one notebook; %s", recipeUsage)
	}
	name, explicit := pos[0], ""
	if len(pos) == 2 {
		explicit = pos[1]
	}
	path, err := r.notebook(explicit)
	if err != nil {
		return err
	}
	nb, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading the notebook: %w", err)
	}
	saved := ""
	if st, err := os.Stat(path); err == nil {
		saved = " (saved " + st.ModTime().Format(time.DateTime) + ")"
	}
	out(fmt.Sprintf("converting %s%s\n", path, saved))
	v, created, err := r.Recipes().ImportNotebook(ctx, server.NotebookImport{Recipe: name, Author: *author, Notebook: nb})
	if err != nil {
		var se *server.Error
		if errors.As(err, &se) {
			return errors.New(se.Message)
		}
		return fmt.Errorf("registering the recipe: %w", err)
	}
	r.Last = v.Recipe
	if created {
		out(fmt.Sprintf("created recipe %s version %d (%d parameters, content %s)\n", v.Recipe, v.Version, len(v.Params), short(v.ContentHash)))
	} else {
		out(fmt.Sprintf("recipe %s version %d already has this content; nothing changed\n", v.Recipe, v.Version))
	}
	for _, p := range v.Params {
		out(fmt.Sprintf("  %s %s = %s  %s\n", p.Name, p.Type, p.Default, p.Description))
	}
	return nil
}

// notebook finds the notebook file: the one named, else the one
// jupyter_server started the kernel for.
func (r *Recipe) notebook(explicit string) (string, error) {
	getenv, getwd := r.Getenv, r.Getwd
	if getenv == nil {
		getenv = os.Getenv
	}
	if getwd == nil {
		getwd = os.Getwd
	}
	wd, _ := getwd()
	abs := func(p string) string {
		if filepath.IsAbs(p) || wd == "" {
			return p
		}
		return filepath.Join(wd, p)
	}
	if explicit != "" {
		p := abs(explicit)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("notebook %s: %w", explicit, err)
		}
		return p, nil
	}
	session := getenv(SessionNameVar)
	if session == "" {
		return "", fmt.Errorf("this kernel does not know its notebook (%s is not set; jupyter_server sets it): name it, as in %%recipe create NAME path/to/notebook.ipynb", SessionNameVar)
	}
	// jupyter_server passes an absolute path when it knows the file's
	// directory, and otherwise the path relative to its root, with the
	// kernel started in the notebook's directory.
	candidates := []string{abs(session)}
	if !filepath.IsAbs(session) {
		candidates = append(candidates, abs(filepath.Base(session)))
	}
	for _, p := range candidates {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("cannot find this kernel's notebook %q (%s) from %s: name it, as in %%recipe create NAME path/to/notebook.ipynb", session, SessionNameVar, wd)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// splitArgs splits a magic's line into words, honouring double and single
// quotes so paths with spaces can be named.
func splitArgs(s string) ([]string, error) {
	var (
		args  []string
		cur   strings.Builder
		quote rune
		in    bool
	)
	for _, c := range s {
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(c)
		case c == '"' || c == '\'':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, s)
	}
	if in {
		args = append(args, cur.String())
	}
	return args, nil
}
