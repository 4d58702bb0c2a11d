package data

import "fmt"

// Problem records one bad input row a reader nulled or skipped.
type Problem struct {
	File   string // path, or "" when reading from a stream
	Line   int    // 1-based line where the record starts
	Column string // column name, or "" for row-level problems
	Value  string // the offending text, truncated
	Reason string
	Action string // "null" or "skip"
}

func (p Problem) String() string {
	loc := fmt.Sprintf("%s:%d", p.File, p.Line)
	if p.File == "" {
		loc = fmt.Sprintf("line %d", p.Line)
	}
	if p.Column != "" {
		loc += fmt.Sprintf(": column %q", p.Column)
	}
	return fmt.Sprintf("%s: %s (%s)", loc, p.Reason, p.Action)
}
