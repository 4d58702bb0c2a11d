package main

import (
	"context"
	"fmt"
	"io"

	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/stdlib/catalog"
)

func init() {
	register(&command{
		name:    "token",
		summary: "show or rotate the token clients send to 'galley serve'",
		usage:   "galley token show|rotate [--home DIR]",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			fs := newFlagSet(commands["token"], stderr)
			home := fs.String("home", "", "galley's state directory (default $GALLEY_HOME or ~/.galley)")
			pos, err := parseArgs(fs, args, 1)
			if err != nil {
				return err
			}
			if *home == "" {
				*home = catalog.Home()
			}
			path := galleyhttp.TokenPath(*home)
			switch pos[0] {
			case "show":
				t, err := galleyhttp.ReadToken(path)
				if err != nil {
					return fmt.Errorf("%w (galley serve creates the token on its first start)", err)
				}
				fmt.Fprintln(stdout, t)
				return nil
			case "rotate":
				if _, err := galleyhttp.RotateToken(path); err != nil {
					return fmt.Errorf("writing a new token to %s: %w", path, err)
				}
				fmt.Fprintf(stdout, "wrote a new token to %s; a running server accepts only the new one from now on\n", path)
				return nil
			}
			return fmt.Errorf("%w: unknown token subcommand %q", errUsage, pos[0])
		},
	})
}
