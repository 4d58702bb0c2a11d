package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/objectstore"
)

// TestCacheSizeFlag checks --cache-size on galley serve and galley worker:
// bad values are refused with the flag and the value named, good ones
// reach the shared catalog's bound.
func TestCacheSizeFlag(t *testing.T) {
	for _, cmd := range []string{"serve", "worker"} {
		for _, bad := range []string{"lots", "-1", "10XB", "1.5GiB", ""} {
			t.Run(cmd+"_"+bad, func(t *testing.T) {
				var out, errb bytes.Buffer
				args := []string{cmd, "--home", t.TempDir(), "--cache-size", bad}
				if code := run(context.Background(), args, &out, &errb); code != 2 {
					t.Errorf("galley %s: exit %d, want 2 (stderr %q)", strings.Join(args, " "), code, errb.String())
				}
				if want := `--cache-size: size "` + bad + `"`; !strings.Contains(errb.String(), want) {
					t.Errorf("stderr = %q, want it to contain %q", errb.String(), want)
				}
			})
		}
		t.Run(cmd+"_help", func(t *testing.T) {
			var out, errb bytes.Buffer
			run(context.Background(), []string{cmd, "--help"}, &out, &errb)
			if s := out.String() + errb.String(); !strings.Contains(s, "-cache-size") || !strings.Contains(s, "[--cache-size SIZE]") {
				t.Errorf("galley %s --help does not document --cache-size:\n%s", cmd, s)
			}
		})
	}

	for _, tt := range []struct {
		args []string
		want int64
	}{
		{nil, datasets.DefaultCacheBytes},
		{[]string{"--cache-size", "500MB"}, 500e6},
		{[]string{"--cache-size", "10GiB"}, 10 << 30},
		{[]string{"--cache-size", "0"}, 0},
	} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var e execution
		finish := executionFlags(fs, &e)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		if err := finish(); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if e.CacheBytes != tt.want {
			t.Errorf("%v: CacheBytes = %d, want %d", tt.args, e.CacheBytes, tt.want)
		}
	}

	// The bound reaches the shared catalog galley serve and galley
	// worker open with --storage.
	home := t.TempDir()
	objects, err := objectstore.OpenDefault(context.Background(), home)
	if err != nil {
		t.Fatal(err)
	}
	defer objects.Close()
	dbURL, err := parseDatabase("", home)
	if err != nil {
		t.Fatal(err)
	}
	db, ds, err := openStore(dbURL, "catalog", "file://"+filepath.Join(home, "server", "objects"), home, objects, 1, 500e6)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	shared, ok := ds.(*datasets.Shared)
	if !ok {
		t.Fatalf("openStore with --storage gave %T, want *datasets.Shared", ds)
	}
	if shared.CacheBytes != 500e6 {
		t.Errorf("shared catalog's CacheBytes = %d, want 500000000", shared.CacheBytes)
	}
}

// TestRecipeCPUsFlag: --recipe-cpus reaches the execution settings, and a
// negative count is refused naming the flag.
func TestRecipeCPUsFlag(t *testing.T) {
	for _, cmd := range []string{"serve", "worker"} {
		var out, errb bytes.Buffer
		args := []string{cmd, "--home", t.TempDir(), "--recipe-cpus", "-1"}
		if code := run(context.Background(), args, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--recipe-cpus -1") {
			t.Errorf("galley %s: exit %d, stderr %q; want exit 2 naming --recipe-cpus -1", strings.Join(args, " "), code, errb.String())
		}
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var e execution
	finish := executionFlags(fs, &e)
	if err := fs.Parse([]string{"--recipe-cpus", "3"}); err != nil {
		t.Fatal(err)
	}
	if err := finish(); err != nil || e.RecipeCPUs != 3 {
		t.Errorf("--recipe-cpus 3: RecipeCPUs %d, error %v", e.RecipeCPUs, err)
	}
}
