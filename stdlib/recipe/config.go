package recipe

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Param describes one configuration parameter of a recipe.
type Param struct {
	Name string `json:"name"`
	// Type is the Go type: one of Types.
	Type string `json:"type"`
	// Default is the default value as Go source text (a literal).
	Default     string `json:"default"`
	Description string `json:"description,omitempty"`
}

// Types lists the Go types a parameter may have.
var Types = []string{"bool", "int", "int64", "float64", "string", "time.Duration"}

// Parse converts s to a value of p's type. It accepts Go literal syntax as
// well as plain text for strings, so both `0.5` and `"churn"` or `churn`
// work.
func (p Param) Parse(s string) (any, error) {
	v, err := ParseValue(p.Type, s)
	if err != nil {
		return nil, fmt.Errorf("parameter %s: %w", p.Name, err)
	}
	return v, nil
}

// ParseValue converts s to a value of Go type typ (one of Types).
func ParseValue(typ, s string) (any, error) {
	t := strings.TrimSpace(s)
	switch typ {
	case "bool":
		b, err := strconv.ParseBool(t)
		if err != nil {
			return nil, fmt.Errorf("%q is not a bool: use true or false", s)
		}
		return b, nil
	case "int", "int64":
		n, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 0, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		if typ == "int" {
			return int(n), nil
		}
		return n, nil
	case "float64":
		f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	case "string":
		if len(t) >= 2 && (t[0] == '"' || t[0] == '`') {
			if u, err := strconv.Unquote(t); err == nil {
				return u, nil
			}
		}
		return s, nil
	case "time.Duration":
		d, err := time.ParseDuration(t)
		if err != nil {
			return nil, fmt.Errorf("%q is not a duration such as 30s or 5m", s)
		}
		return d, nil
	}
	return nil, fmt.Errorf("unsupported type %q: parameters may be %s", typ, strings.Join(Types, ", "))
}

// Literal renders v, a value of Go type typ, as Go source.
func Literal(typ string, v any) string {
	switch typ {
	case "string":
		return strconv.Quote(fmt.Sprint(v))
	case "time.Duration":
		if d, ok := v.(time.Duration); ok {
			return fmt.Sprintf("time.Duration(%d)", int64(d))
		}
	case "float64":
		if f, ok := v.(float64); ok {
			s := strconv.FormatFloat(f, 'g', -1, 64)
			if !strings.ContainsAny(s, ".eEnN") {
				s += ".0"
			}
			return s
		}
	}
	return fmt.Sprint(v)
}

// Config is what a recipe's entry points receive: the dataset to read and the
// parameter values of this run.
type Config struct {
	input   string
	limit   int
	values  map[string]any
	nominal time.Time
}

// NewConfig returns a configuration reading input with no parameter values
// set.
func NewConfig(input string) Config {
	return Config{input: input}
}

// Input is the location of the dataset Load should read: a file path.
func (c Config) Input() string { return c.input }

// Limit is the number of rows Load should read, or 0 for all of them. It is
// positive when a recipe runs on a sample.
func (c Config) Limit() int { return c.limit }

// NominalTime is the slot a scheduled run stands for: the time the
// schedule named, not when the run started, so that a late or retried run
// computes what its slot would have. It is zero for runs nobody scheduled.
func (c Config) NominalTime() time.Time { return c.nominal }

// WithNominalTime returns a copy of c whose NominalTime is t.
func (c Config) WithNominalTime(t time.Time) Config {
	c.nominal = t
	return c
}

// WithInput returns a copy of c reading input.
func (c Config) WithInput(input string) Config {
	c.input = input
	return c
}

// WithLimit returns a copy of c that asks Load for at most n rows.
func (c Config) WithLimit(n int) Config {
	c.limit = n
	return c
}

// With returns a copy of c with parameter name set to v.
func (c Config) With(name string, v any) Config {
	m := make(map[string]any, len(c.values)+1)
	for k, x := range c.values {
		m[k] = x
	}
	m[name] = v
	c.values = m
	return c
}

// Names lists the parameters that have values, sorted.
func (c Config) Names() []string {
	var names []string
	for k := range c.values {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Value returns parameter name's value and whether it is set.
func (c Config) Value(name string) (any, bool) {
	v, ok := c.values[name]
	return v, ok
}

// Float returns parameter name as a float64, or def when unset.
func (c Config) Float(name string, def float64) float64 {
	switch v := c.values[name].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	case int64:
		return float64(v)
	}
	return def
}

// Int returns parameter name as an int, or def when unset.
func (c Config) Int(name string, def int) int {
	switch v := c.values[name].(type) {
	case int:
		return v
	case int64:
		return int(v)
	}
	return def
}

// String returns parameter name as a string, or def when unset.
func (c Config) String(name string, def string) string {
	if v, ok := c.values[name].(string); ok {
		return v
	}
	return def
}

// Bool returns parameter name as a bool, or def when unset.
func (c Config) Bool(name string, def bool) bool {
	if v, ok := c.values[name].(bool); ok {
		return v
	}
	return def
}

// Duration returns parameter name as a time.Duration, or def when unset.
func (c Config) Duration(name string, def time.Duration) time.Duration {
	if v, ok := c.values[name].(time.Duration); ok {
		return v
	}
	return def
}

func sortedKeys(m Metrics) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
