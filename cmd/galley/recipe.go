package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
)

func init() {
	register(&command{
		name:    "recipe",
		summary: "convert notebooks into recipes and inspect them",
		usage: `galley recipe create NOTEBOOK.ipynb --name NAME [--author NAME]
       galley recipe create NAME NOTEBOOK.ipynb [--author NAME]
       galley recipe list [--limit N] [--offset N] [--order FIELD]
       galley recipe show NAME[@VERSION] [--source]
       galley recipe delete NAME`,
		run: runRecipe,
	})
}

func runRecipe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := commands["recipe"]
	if len(args) == 0 {
		return fmt.Errorf("%w: recipe needs a subcommand: create, list or show", errUsage)
	}
	fs := newFlagSet(c, stderr)
	api := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	switch args[0] {
	case "delete":
		return deleteCommand(ctx, fs, args[1:], stdout, "recipe", func(name string) error { return api().DeleteRecipe(ctx, name) })
	case "create":
		author := fs.String("author", currentUser(), "author recorded with the version")
		name := fs.String("name", "", "the recipe's name (with NOTEBOOK.ipynb as the only argument)")
		want := 2
		for _, a := range args[1:] {
			if a == "--name" || a == "-name" || strings.HasPrefix(a, "--name=") || strings.HasPrefix(a, "-name=") {
				want = 1
			}
		}
		pos, err := parseArgs(fs, args[1:], want)
		if err != nil {
			return err
		}
		if want == 1 {
			pos = []string{*name, pos[0]}
		}
		if pos[0] == "" {
			return fmt.Errorf("%w: the recipe needs a name", errUsage)
		}
		nb, err := os.ReadFile(pos[1])
		if err != nil {
			return fmt.Errorf("reading the notebook: %w", err)
		}
		v, created, err := api().ImportNotebook(ctx, server.NotebookImport{Recipe: pos[0], Author: *author, Notebook: nb})
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, v)
		}
		if created {
			fmt.Fprintf(stdout, "created recipe %s version %d (%d parameters, content %s)\n", v.Recipe, v.Version, len(v.Params), v.ContentHash[:12])
		} else {
			fmt.Fprintf(stdout, "recipe %s version %d already has this content; nothing changed\n", v.Recipe, v.Version)
		}
		return nil
	case "list":
		p := pageFlags(fs)
		if _, err := parseArgs(fs, args[1:], 0); err != nil {
			return err
		}
		items, total, err := api().FindRecipes(ctx, server.RecipeFilter{Page: *p})
		return printList(stdout, *asJSON, items, total, err, "NAME\tLATEST\tUPDATED", func(w io.Writer, r *server.Recipe) {
			fmt.Fprintf(w, "%s\t%d\t%s\n", r.Name, r.LatestVersion, r.UpdatedAt.Format("2006-01-02 15:04"))
		})
	case "show":
		source := fs.Bool("source", false, "print the recipe's Go source")
		pos, err := parseArgs(fs, args[1:], 1)
		if err != nil {
			return err
		}
		name, ver, _ := strings.Cut(pos[0], "@")
		n := 0
		if ver != "" {
			if n, err = strconv.Atoi(strings.TrimPrefix(ver, "v")); err != nil {
				return fmt.Errorf("%w: version %q is not a number", errUsage, ver)
			}
		}
		v, err := api().FindRecipeVersion(ctx, name, n)
		if err != nil {
			return explain(err)
		}
		if *asJSON {
			return printJSON(stdout, v)
		}
		if *source {
			fmt.Fprint(stdout, v.Source)
			return nil
		}
		fmt.Fprintf(stdout, "recipe %s version %d\nauthor   %s\ncreated  %s\ncontent  %s\nnotebook %s\n", v.Recipe, v.Version, v.Author, v.CreatedAt.Format("2006-01-02 15:04:05"), v.ContentHash, v.NotebookHash)
		if len(v.Params) > 0 {
			tw := table(stdout, "\nPARAMETER\tTYPE\tDEFAULT\tDESCRIPTION")
			for _, p := range v.Params {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Name, p.Type, p.Default, p.Description)
			}
			tw.Flush()
		}
		return nil
	}
	return fmt.Errorf("%w: unknown recipe subcommand %q", errUsage, args[0])
}

// The helpers below are shared by the commands that talk to a server.

// clientFlags adds --server and returns a constructor for the client.
func clientFlags(fs *flag.FlagSet) func() *galleyhttp.Client {
	url := fs.String("server", "", "galley server URL (default $GALLEY_SERVER or "+galleyhttp.DefaultURL+"); the token comes from $GALLEY_TOKEN")
	return func() *galleyhttp.Client { return galleyhttp.ClientFromEnv(*url) }
}

func pageFlags(fs *flag.FlagSet) *server.Page {
	p := &server.Page{}
	fs.IntVar(&p.Limit, "limit", 0, "items to show (default 50)")
	fs.IntVar(&p.Offset, "offset", 0, "items to skip")
	fs.StringVar(&p.Order, "order", "", "field to order by; prefix with - for descending")
	return p
}

// parseArgs parses flags placed anywhere among exactly n positional
// arguments.
func parseArgs(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != n {
		return nil, fmt.Errorf("%w: want %d argument(s), got %d", errUsage, n, len(pos))
	}
	return pos, nil
}

// params collects repeated -p key=value flags.
type params map[string]string

func (p params) String() string { return "" }

func (p params) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("parameter %q: write key=value", s)
	}
	p[k] = v
	return nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func table(w io.Writer, header string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	return tw
}

// printList prints one page of a list a server answered: its error
// explained; the items as JSON with --json; else a table under header, a
// row of it written by row for each item, and a note when the page does
// not hold all total items.
func printList[T any](stdout io.Writer, asJSON bool, items []T, total int, err error, header string, row func(w io.Writer, item T)) error {
	if err != nil {
		return explain(err)
	}
	if asJSON {
		return printJSON(stdout, items)
	}
	tw := table(stdout, header)
	for _, it := range items {
		row(tw, it)
	}
	return footer(tw, stdout, len(items), total)
}

func footer(tw *tabwriter.Writer, w io.Writer, shown, total int) error {
	if err := tw.Flush(); err != nil {
		return err
	}
	if total > shown {
		fmt.Fprintf(w, "(%d of %d shown; use --limit and --offset for more)\n", shown, total)
	}
	return nil
}

// explain turns a service error into the message users should see.
func explain(err error) error {
	if e, ok := err.(*server.Error); ok {
		return fmt.Errorf("%s", e.Message)
	}
	return err
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}
