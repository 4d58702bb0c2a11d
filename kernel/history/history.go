// Package history keeps the inputs (and text outputs) of executed cells in a
// per-user file, so a front end can ask for them across kernel restarts the
// way IPython's history works: the last n entries, a range of one session,
// or a glob search.
//
// The file holds one JSON object per line. Each kernel start is a new
// session, numbered one past the highest session in the file.
package history

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// Entry is one executed cell.
type Entry struct {
	Session int     `json:"session"`
	Line    int     `json:"line"`
	Input   string  `json:"input"`
	Output  *string `json:"output,omitempty"`
}

// DefaultPath is where history lives: $GALLEY_HISTORY_FILE, else
// $XDG_DATA_HOME/galley/history.jsonl, else ~/.local/share/galley/history.jsonl.
func DefaultPath() (string, error) {
	if p := os.Getenv("GALLEY_HISTORY_FILE"); p != "" {
		return p, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "galley", "history.jsonl"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("history: no home directory to keep history in (set GALLEY_HISTORY_FILE): %w", err)
	}
	return filepath.Join(home, ".local", "share", "galley", "history.jsonl"), nil
}

// Store is the history file of one kernel session.
type Store struct {
	path    string
	session int
	mu      sync.Mutex
}

// Open opens the history at path and starts a new session in it.
func Open(path string) (*Store, error) {
	s := &Store{path: path}
	entries, err := s.read()
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		s.session = max(s.session, e.Session)
	}
	s.session++
	return s, nil
}

// Session is the number of this kernel's session.
func (s *Store) Session() int { return s.session }

// Append records the cell with execution count line.
func (s *Store) Append(line int, input string, output *string) error {
	b, err := json.Marshal(Entry{Session: s.session, Line: line, Input: input, Output: output})
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	// One write per entry: O_APPEND keeps lines of concurrent kernels whole.
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

func (s *Store) read() ([]Entry, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	var entries []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var e Entry
		// A damaged line (a crash mid-write) costs that entry, not the history.
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Session > 0 {
			entries = append(entries, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("history: reading %s: %w", s.path, err)
	}
	return entries, nil
}

// Tail returns the last n entries (all when n <= 0), oldest first. With
// unique, only the latest of identical inputs is kept.
func (s *Store) Tail(n int, unique bool) ([]Entry, error) {
	entries, err := s.read()
	if err != nil {
		return nil, err
	}
	if unique {
		entries = dedupe(entries)
	}
	return last(entries, n), nil
}

// Range returns the entries of session with start <= line < stop; stop <= 0
// means no upper bound. A session of 0 or less counts back from the
// current one (0 is this session, -1 the one before).
func (s *Store) Range(session, start, stop int) ([]Entry, error) {
	if session <= 0 {
		session += s.session
	}
	entries, err := s.read()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range entries {
		if e.Session == session && e.Line >= start && (stop <= 0 || e.Line < stop) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Search returns the last n entries (all when n <= 0) whose input matches
// the glob pattern, where * matches any text and ? one character.
func (s *Store) Search(pattern string, n int, unique bool) ([]Entry, error) {
	re, err := globRegexp(pattern)
	if err != nil {
		return nil, err
	}
	entries, err := s.read()
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, e := range entries {
		if re.MatchString(e.Input) {
			out = append(out, e)
		}
	}
	if unique {
		out = dedupe(out)
	}
	return last(out, n), nil
}

func globRegexp(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("history: bad pattern %q: %w", pattern, err)
	}
	return re, nil
}

// dedupe keeps the latest entry of each input, in order.
func dedupe(entries []Entry) []Entry {
	seen := map[string]bool{}
	var out []Entry
	for i := len(entries) - 1; i >= 0; i-- {
		if !seen[entries[i].Input] {
			seen[entries[i].Input] = true
			out = append(out, entries[i])
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func last(entries []Entry, n int) []Entry {
	if n > 0 && len(entries) > n {
		return entries[len(entries)-n:]
	}
	return entries
}
