package main

import (
	"context"
	"fmt"
	"io"
)

func init() {
	register(&command{
		name:    "help",
		summary: "show the commands, or the usage of one",
		usage:   "galley help [COMMAND]",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			switch len(args) {
			case 0:
				printHelp(stdout)
				return nil
			case 1:
				c, ok := commands[args[0]]
				if !ok {
					return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
				}
				fmt.Fprintf(stdout, "%s\n\nusage: %s\n", c.summary, c.usage)
				return nil
			default:
				return fmt.Errorf("%w: too many arguments", errUsage)
			}
		},
	})
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, "galley is a Go data-science workspace: a Jupyter kernel for Go, data and ML\nlibraries for notebooks, and a server for recipes, models and runs.\n\nUsage:\n\n\tgalley COMMAND [arguments]\n\nCommands:\n\n")
	for _, c := range sortedCommands() {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'galley help COMMAND' for the usage of one command.\n")
}
