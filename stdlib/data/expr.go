package data

import (
	"fmt"
	"strings"
)

// Expr is a column expression, evaluated natively over whole columns by
// Frame.Filter and Frame.With. Build one from Col or Lit and chain:
//
//	data.Col("tenure").Gt(12).And(data.Col("Contract").Eq("Month-to-month"))
//	data.Col("MonthlyCharges").Mul(12).Sub(data.Col("TotalCharges"))
//	data.When(data.Col("tenure").Lt(12), "new").Otherwise("existing")
//
// Arguments that are not expressions are literals: int, float64, string,
// bool or time.Time. A comparison with a null yields null, and Filter keeps
// only rows where the condition is true.
type Expr struct {
	kind  string
	name  string
	val   any
	args  []*Expr
	set   []any
	t     DType
	edges []float64
}

// Col refers to the named column.
func Col(name string) *Expr { return &Expr{kind: "col", name: name} }

// Lit is a constant.
func Lit(v any) *Expr { return &Expr{kind: "lit", val: v} }

func arg(v any) *Expr {
	if e, ok := v.(*Expr); ok {
		return e
	}
	return Lit(v)
}

func (e *Expr) op(kind string, args ...any) *Expr {
	out := &Expr{kind: kind, args: []*Expr{e}}
	for _, a := range args {
		out.args = append(out.args, arg(a))
	}
	return out
}

// Eq is e == v.
func (e *Expr) Eq(v any) *Expr { return e.op("==", v) }

// Ne is e != v.
func (e *Expr) Ne(v any) *Expr { return e.op("!=", v) }

// Lt is e < v.
func (e *Expr) Lt(v any) *Expr { return e.op("<", v) }

// Le is e <= v.
func (e *Expr) Le(v any) *Expr { return e.op("<=", v) }

// Gt is e > v.
func (e *Expr) Gt(v any) *Expr { return e.op(">", v) }

// Ge is e >= v.
func (e *Expr) Ge(v any) *Expr { return e.op(">=", v) }

// Between is lo <= e <= hi.
func (e *Expr) Between(lo, hi any) *Expr { return e.Ge(lo).And(e.Le(hi)) }

// And is true where both are true.
func (e *Expr) And(o *Expr) *Expr { return e.op("and", o) }

// Or is true where either is true.
func (e *Expr) Or(o *Expr) *Expr { return e.op("or", o) }

// Not negates a condition.
func (e *Expr) Not() *Expr { return e.op("not") }

// Not negates a condition.
func Not(e *Expr) *Expr { return e.Not() }

// IsNull is true where e is null.
func (e *Expr) IsNull() *Expr { return e.op("isnull") }

// NotNull is true where e is present.
func (e *Expr) NotNull() *Expr { return e.op("notnull") }

// In is true where e equals one of vals.
func (e *Expr) In(vals ...any) *Expr {
	out := e.op("in")
	out.set = vals
	return out
}

// Contains is true where the string e contains s.
func (e *Expr) Contains(s string) *Expr { return e.op("contains", s) }

// HasPrefix is true where the string e starts with s.
func (e *Expr) HasPrefix(s string) *Expr { return e.op("prefix", s) }

// HasSuffix is true where the string e ends with s.
func (e *Expr) HasSuffix(s string) *Expr { return e.op("suffix", s) }

// Lower lower-cases a string expression.
func (e *Expr) Lower() *Expr { return e.op("lower") }

// Upper upper-cases a string expression.
func (e *Expr) Upper() *Expr { return e.op("upper") }

// Add is e + v; int64 with int64 stays int64, otherwise float64.
func (e *Expr) Add(v any) *Expr { return e.op("+", v) }

// Sub is e - v.
func (e *Expr) Sub(v any) *Expr { return e.op("-", v) }

// Mul is e * v.
func (e *Expr) Mul(v any) *Expr { return e.op("*", v) }

// Div is e / v, always float64.
func (e *Expr) Div(v any) *Expr { return e.op("/", v) }

// Abs is |e|.
func (e *Expr) Abs() *Expr { return e.op("abs") }

// Log is the natural logarithm of e.
func (e *Expr) Log() *Expr { return e.op("log") }

// Sqrt is the square root of e.
func (e *Expr) Sqrt() *Expr { return e.op("sqrt") }

// Round rounds e to the nearest integer value (as float64).
func (e *Expr) Round() *Expr { return e.op("round") }

// Cast converts e to t. Strings that do not parse become null; floats
// truncate to int64; ints cast to timestamp count Unix seconds.
func (e *Expr) Cast(t DType) *Expr {
	out := e.op("cast")
	out.t = t
	return out
}

// Year is the calendar year of a timestamp (UTC).
func (e *Expr) Year() *Expr { return e.part("year") }

// Month is the month (1–12) of a timestamp.
func (e *Expr) Month() *Expr { return e.part("month") }

// Day is the day of the month of a timestamp.
func (e *Expr) Day() *Expr { return e.part("day") }

// Hour is the hour (0–23) of a timestamp.
func (e *Expr) Hour() *Expr { return e.part("hour") }

// Weekday is the day of the week of a timestamp, Sunday = 0.
func (e *Expr) Weekday() *Expr { return e.part("weekday") }

// DayOfYear is the day of the year (1–366) of a timestamp.
func (e *Expr) DayOfYear() *Expr { return e.part("yday") }

func (e *Expr) part(p string) *Expr {
	out := e.op("part")
	out.name = p
	return out
}

// Bucket labels each numeric value with the interval of edges it falls in:
// "<e0", "[e0, e1)", …, ">=eN". Edges must increase.
func (e *Expr) Bucket(edges ...float64) *Expr {
	out := e.op("bucket")
	out.edges = edges
	return out
}

// FillNull replaces nulls with v.
func (e *Expr) FillNull(v any) *Expr { return e.op("fill", v) }

// Case is a conditional expression under construction; finish it with
// Otherwise.
type Case struct {
	conds, vals []*Expr
}

// When starts a conditional: rows where cond holds take then.
//
//	data.When(data.Col("tenure").Lt(12), "new").
//		When(data.Col("tenure").Lt(48), "established").
//		Otherwise("loyal")
func When(cond *Expr, then any) *Case {
	return &Case{conds: []*Expr{cond}, vals: []*Expr{arg(then)}}
}

// When adds another branch, tried after the earlier ones.
func (c *Case) When(cond *Expr, then any) *Case {
	return &Case{conds: append(append([]*Expr(nil), c.conds...), cond), vals: append(append([]*Expr(nil), c.vals...), arg(then))}
}

// Otherwise gives the value for rows no branch matched and returns the
// finished expression. Pass nil for null.
func (c *Case) Otherwise(v any) *Expr {
	out := &Expr{kind: "case"}
	for k := range c.conds {
		out.args = append(out.args, c.conds[k], c.vals[k])
	}
	out.args = append(out.args, arg(v))
	return out
}

// String shows the expression in a readable form.
func (e *Expr) String() string {
	switch e.kind {
	case "col":
		return e.name
	case "lit":
		if s, ok := e.val.(string); ok {
			return fmt.Sprintf("%q", s)
		}
		return fmt.Sprint(e.val)
	case "and", "or", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/":
		return fmt.Sprintf("(%s %s %s)", e.args[0], e.kind, e.args[1])
	case "in":
		return fmt.Sprintf("%s in %v", e.args[0], e.set)
	case "cast":
		return fmt.Sprintf("%s(%s)", e.t, e.args[0])
	case "part":
		return fmt.Sprintf("%s.%s", e.args[0], e.name)
	case "case":
		var b strings.Builder
		b.WriteString("case")
		for k := 0; k+1 < len(e.args); k += 2 {
			fmt.Fprintf(&b, " when %s then %s", e.args[k], e.args[k+1])
		}
		fmt.Fprintf(&b, " else %s", e.args[len(e.args)-1])
		return b.String()
	}
	parts := make([]string, len(e.args))
	for i, a := range e.args {
		parts[i] = a.String()
	}
	return fmt.Sprintf("%s(%s)", e.kind, strings.Join(parts, ", "))
}

// columns adds the names of the columns e reads to into.
func (e *Expr) columns(into map[string]bool) {
	if e == nil {
		return
	}
	if e.kind == "col" {
		into[e.name] = true
	}
	for _, a := range e.args {
		a.columns(into)
	}
}
