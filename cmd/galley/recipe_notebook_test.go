package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// recipeNotebook writes a recipe notebook of two cells, the parameters
// cell params and the code cell code, to name.ipynb in a new temporary
// directory and returns its path.
func recipeNotebook(t testing.TB, name, params, code string) string {
	t.Helper()
	cell := func(tags []string, src string) map[string]any {
		return map[string]any{"cell_type": "code", "id": fmt.Sprintf("c%d", len(src)), "metadata": map[string]any{"tags": tags}, "source": src, "outputs": []any{}}
	}
	b, err := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 4, "metadata": map[string]any{}, "cells": []any{
		cell([]string{"parameters"}, params),
		cell(nil, code),
	}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name+".ipynb")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
