package recipe

import (
	"fmt"
	"sort"
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
var Types = []string{"bool", "int", "int64", "float64", "string", "time.Duration", "[]int", "[]float64", "[]string"}

// Parse converts s, text from a user or the schema, to a value of p's type.
// It is the one place a parameter value is parsed: everything downstream
// (the injected parameters cell, Config) takes the Value it returns.
func (p Param) Parse(s string) (Value, error) {
	v, err := ParseValue(p.Type, s)
	if err != nil {
		return Value{}, fmt.Errorf("parameter %s: %w", p.Name, err)
	}
	return v, nil
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

// WithValue returns a copy of c with parameter name set to v.
func (c Config) WithValue(name string, v Value) Config { return c.With(name, v.Any()) }
