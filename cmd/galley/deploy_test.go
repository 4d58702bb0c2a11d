package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// workerFlags is the interface the deploy files give 'galley worker', the
// queue's worker process: docs/deploy.md.
var workerFlags = []string{"home", "database", "storage", "concurrency", "queues"}

// TestDeployFiles parses the docker-compose file and the Kubernetes
// manifests under deploy/ and checks the galley commands in them: every
// flag given to 'galley serve' is one it has, and every worker gets the
// database and the storage URL it needs. Nothing here runs Docker or
// Kubernetes.
func TestDeployFiles(t *testing.T) {
	files, _ := filepath.Glob("../../deploy/kubernetes/*.yaml")
	files = append(files, "../../deploy/docker-compose.yml")
	if len(files) < 4 {
		t.Fatalf("deploy files: %v", files)
	}
	var found [][]string
	kinds := map[string]int{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		for n := 0; ; n++ {
			var doc map[string]any
			if err := dec.Decode(&doc); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				t.Fatalf("%s, document %d: %v", f, n+1, err)
			}
			if strings.HasSuffix(f, ".yaml") {
				kind, _ := doc["kind"].(string)
				meta, _ := doc["metadata"].(map[string]any)
				if doc["apiVersion"] == nil || kind == "" || meta == nil || meta["name"] == nil {
					t.Errorf("%s, document %d: no apiVersion, kind or metadata.name", f, n+1)
				}
				kinds[kind]++
			}
			walk(doc, func(args []string) { found = append(found, args) })
		}
	}
	for _, k := range []string{"Deployment", "Service", "ConfigMap", "Secret"} {
		if kinds[k] == 0 {
			t.Errorf("the manifests have no %s", k)
		}
	}
	serves, workers := 0, 0
	usage := commands["serve"].usage
	for _, args := range found {
		flags := flagNames(args[1:])
		switch args[0] {
		case "serve":
			serves++
			for _, f := range flags {
				if !strings.Contains(usage, "--"+f+" ") && !strings.Contains(usage, "--"+f+"]") {
					t.Errorf("galley serve has no flag --%s (in %q)", f, args)
				}
			}
		case "worker":
			workers++
			for _, f := range flags {
				if !slices.Contains(workerFlags, f) {
					t.Errorf("galley worker has no flag --%s (in %q)", f, args)
				}
			}
			if !slices.Contains(flags, "database") || !slices.Contains(flags, "storage") {
				t.Errorf("a worker without --database or --storage: %q", args)
			}
		}
	}
	// Two servers and a worker service in compose, a server and a worker
	// Deployment in Kubernetes.
	if serves != 3 || workers != 2 {
		t.Errorf("found %d serve and %d worker commands, want 3 and 2", serves, workers)
	}
}

// walk finds the galley commands in a parsed document: the args of a
// Kubernetes container or the command of a compose service, as lists whose
// first word is a galley subcommand.
func walk(v any, found func([]string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if list, ok := x.([]any); ok && (k == "args" || k == "command") && len(list) > 0 {
				var args []string
				for _, a := range list {
					s, _ := a.(string)
					args = append(args, s)
				}
				if args[0] == "serve" || args[0] == "worker" {
					found(args)
					continue
				}
			}
			walk(x, found)
		}
	case []any:
		for _, x := range v {
			walk(x, found)
		}
	}
}

// flagNames returns the names of the flags in args, "--name=value" and
// "--name value" alike.
func flagNames(args []string) []string {
	var out []string
	for _, a := range args {
		if name, ok := strings.CutPrefix(a, "--"); ok {
			name, _, _ = strings.Cut(name, "=")
			out = append(out, name)
		}
	}
	return out
}
