package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server/notebook"
)

func TestRun(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{args: []string{"version"}, code: 0, stdout: "galley " + version},
		{args: []string{"--version"}, code: 0, stdout: "galley " + version},
		{args: []string{"help"}, code: 0, stdout: "Commands:"},
		{args: []string{"help", "version"}, code: 0, stdout: "usage: galley version"},
		{args: []string{"help", "nope"}, code: 2, stderr: `unknown command "nope"`},
		{args: []string{"version", "extra"}, code: 2, stderr: "usage: galley version"},
		{args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{args: nil, code: 2, stderr: "Commands:"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, &out, &errb)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.code, errb.String())
			}
			if !strings.Contains(out.String(), tt.stdout) {
				t.Errorf("stdout = %q, want it to contain %q", out.String(), tt.stdout)
			}
			if !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", errb.String(), tt.stderr)
			}
		})
	}
}

func TestNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "my-churn")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"new", "churn", dir}, &out, &errb); code != 0 {
		t.Fatalf("galley new churn: exit %d: %s", code, errb.String())
	}
	got, err := os.ReadFile(filepath.Join(dir, "churn.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "templates", "churn", "churn.ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the new folder's churn.ipynb differs from templates/churn/churn.ipynb")
	}
	// The copy converts into a recipe as the template does.
	rec, err := notebook.ConvertBytes(got)
	if err != nil {
		t.Fatalf("the new notebook does not convert into a recipe: %v", err)
	}
	if len(rec.Params) != 7 {
		t.Errorf("recipe parameters = %v, want the template's 7", rec.Params)
	}
	if !strings.Contains(out.String(), "galley recipe create "+filepath.Join(dir, "churn.ipynb")) {
		t.Errorf("stdout = %q, want the next steps", out.String())
	}

	// A second run into the same folder changes nothing.
	os.WriteFile(filepath.Join(dir, "churn.ipynb"), []byte("mine"), 0o644)
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"new", "propensity", dir}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "not empty") {
		t.Errorf("galley new into a used folder: exit %d, stderr %q", code, errb.String())
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "churn.ipynb")); string(b) != "mine" {
		t.Errorf("galley new overwrote a file")
	}
	if _, err := os.Stat(filepath.Join(dir, "propensity.ipynb")); err == nil {
		t.Errorf("galley new wrote into a used folder")
	}

	for _, args := range [][]string{{"new", "nope", filepath.Join(t.TempDir(), "x")}, {"new", "churn"}} {
		errb.Reset()
		code := run(context.Background(), args, &out, &errb)
		if code == 0 || !strings.Contains(errb.String(), "churn") {
			t.Errorf("galley %v: exit %d, stderr %q; want an error naming the templates", args, code, errb.String())
		}
	}
}
