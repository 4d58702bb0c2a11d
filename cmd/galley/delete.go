package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// deleteCommand carries out "galley KIND delete NAME" with del.
func deleteCommand(ctx context.Context, fs *flag.FlagSet, args []string, stdout io.Writer, kind string, del func(string) error) error {
	pos, err := parseArgs(fs, args, 1)
	if err != nil {
		return err
	}
	if err := del(pos[0]); err != nil {
		if errors.Is(err, errUsage) {
			return err
		}
		return explain(err)
	}
	fmt.Fprintf(stdout, "deleted %s %s\n", kind, pos[0])
	return nil
}
