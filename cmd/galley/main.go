// Command galley is the Go data-science workspace: a Jupyter kernel for Go,
// a companion server for recipes, models and runs, and the tools around them.
//
// Each subcommand lives in a file of its own and registers itself in init.
// Run "galley help" for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one subcommand of galley.
type command struct {
	name    string
	summary string // one line, shown by "galley help"
	usage   string // shown by "galley help NAME" and on flag errors
	// run executes the command with the arguments after its name.
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	// hidden commands are internal plumbing (worker processes) and not listed.
	hidden bool
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("galley: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// errUsage marks an error caused by bad arguments; galley exits with status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes galley with args and returns the process exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printHelp(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-version", "--version":
		name = "version"
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "galley: unknown command %q\nRun 'galley help' for the list of commands.\n", name)
		return 2
	}
	err := c.run(ctx, args[1:], stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "galley %s: %v\n", c.name, err)
		if c.usage != "" {
			fmt.Fprintf(stderr, "usage: %s\n", c.usage)
		}
		return 2
	default:
		fmt.Fprintf(stderr, "galley %s: %v\n", c.name, err)
		return 1
	}
}

// newFlagSet returns a flag set for c that reports errors instead of exiting.
func newFlagSet(c *command, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("galley "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s\n", c.usage)
		fs.PrintDefaults()
	}
	return fs
}

func sortedCommands() []*command {
	var list []*command
	for _, c := range commands {
		if !c.hidden {
			list = append(list, c)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	return list
}
