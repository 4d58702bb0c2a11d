package engine

import (
	"bytes"
	"context"
	"regexp"
	"testing"
)

func TestLogFatalWritesLikeTheStandardLogger(t *testing.T) {
	var out bytes.Buffer
	e, err := New(Options{Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Execute(context.Background(), `log.Fatalf("no %s", "data")`)
	ce, ok := err.(*CellError)
	if !ok || ce.Name != ExitError {
		t.Fatalf("error = %v, want an %s error", err, ExitError)
	}
	// The standard logger's default flags: date and time.
	if !regexp.MustCompile(`^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} no data\n$`).Match(out.Bytes()) {
		t.Errorf("stderr = %q, want a dated line", out.String())
	}
}
