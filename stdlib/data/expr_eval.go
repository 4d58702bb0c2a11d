package data

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// eval computes e over f.
func (e *Expr) eval(f *Frame) (*vec, error) {
	if e == nil {
		return nil, fmt.Errorf("nil expression")
	}
	switch e.kind {
	case "col":
		i := f.schema.Index(e.name)
		if i < 0 {
			return nil, f.missing(e.name)
		}
		return colVec(f.col(i)), nil
	case "lit":
		return litVec(e.val)
	case "in":
		return e.evalIn(f)
	case "case":
		return e.evalCase(f)
	}
	args := make([]*vec, len(e.args))
	for i, a := range e.args {
		v, err := a.eval(f)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	n := f.nrows
	switch e.kind {
	case "==", "!=", "<", "<=", ">", ">=":
		return e.compare(args[0], args[1], n)
	case "and", "or":
		return e.logic(args[0], args[1], n)
	case "not":
		if args[0].t != Bool {
			return nil, fmt.Errorf("not %s: operand is %s, not bool", e.args[0], args[0].t)
		}
		return mapBool(args[0], n, func(b bool) bool { return !b }), nil
	case "isnull", "notnull":
		want := e.kind == "isnull"
		out := &vec{t: Bool, n: n, b: make([]bool, n)}
		for i := range out.b {
			out.b[i] = !args[0].ok(i) == want
		}
		return out, nil
	case "contains", "prefix", "suffix", "lower", "upper":
		return e.stringOp(args, n)
	case "+", "-", "*", "/":
		return e.arith(args[0], args[1], n)
	case "abs", "log", "sqrt", "round":
		return e.math(args[0], n)
	case "cast":
		return args[0].cast(e.t)
	case "part":
		return e.datePart(args[0], n)
	case "bucket":
		return e.bucket(args[0], n)
	case "fill":
		return e.fill(args[0], args[1], n)
	}
	return nil, fmt.Errorf("unknown expression %q", e.kind)
}

func numeric(t DType) bool { return t == Int64 || t == Float64 }

// comparable coerces a pair for comparison: numbers with numbers, strings
// with strings, timestamps with timestamps or time strings.
func (e *Expr) coerce(a, b *vec) (*vec, *vec, error) {
	switch {
	case a.t == b.t:
	case numeric(a.t) && numeric(b.t):
	case a.t == Timestamp && b.t == String:
		c, err := b.cast(Timestamp)
		return a, c, err
	case a.t == String && b.t == Timestamp:
		c, err := a.cast(Timestamp)
		return c, b, err
	default:
		return nil, nil, fmt.Errorf("%s: cannot compare %s with %s", e, a.t, b.t)
	}
	return a, b, nil
}

func (e *Expr) compare(a, b *vec, n int) (*vec, error) {
	a, b, err := e.coerce(a, b)
	if err != nil {
		return nil, err
	}
	out := &vec{t: Bool, n: n, b: make([]bool, n)}
	out.valid = bothValid(a, b, n)
	op := e.kind
	test := func(c int) bool {
		switch op {
		case "==":
			return c == 0
		case "!=":
			return c != 0
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		}
		return c >= 0
	}
	switch {
	case a.t == String && a.codes != nil && b.scalar:
		// Compare each dictionary level once, then map codes.
		s := b.str(0)
		hit := make([]bool, len(a.levels))
		for k, l := range a.levels {
			hit[k] = test(strings.Compare(l, s))
		}
		for i, c := range a.codes {
			out.b[i] = c >= 0 && hit[c]
		}
	case a.t == String:
		for i := range out.b {
			out.b[i] = test(strings.Compare(a.str(i), b.str(i)))
		}
	case a.t == Bool:
		for i := range out.b {
			x, y := a.b[a.idx(i)], b.b[b.idx(i)]
			out.b[i] = test(boolCmp(x, y))
		}
	case (a.t == Int64 || a.t == Timestamp) && a.t == b.t:
		for i := range out.b {
			x, y := a.i[a.idx(i)], b.i[b.idx(i)]
			out.b[i] = test(cmpInt(x, y))
		}
	case a.t == Float64 && b.scalar && b.t == Float64 && !math.IsNaN(b.f[0]):
		floatScalarCmp(op, a.f, b.f[0], out.b)
	case a.t == Int64 && b.scalar && b.t == Float64:
		y := b.f[0]
		for i, x := range a.i {
			out.b[i] = test(cmpFloat(float64(x), y))
		}
	case a.t == Float64 && b.scalar && b.t == Int64:
		floatScalarCmp(op, a.f, float64(b.i[0]), out.b)
	default:
		for i := range out.b {
			out.b[i] = test(cmpFloat(a.float(i), b.float(i)))
		}
	}
	return out, nil
}

// floatScalarCmp compares each x with a number y (not NaN) as cmpFloat
// orders them, NaN after every number, with one loop per operator and no
// branch per row: a filter's condition is often a coin toss per row.
func floatScalarCmp(op string, xs []float64, y float64, out []bool) {
	out = out[:len(xs)]
	switch op {
	case "==":
		for i, x := range xs {
			out[i] = x == y
		}
	case "!=":
		for i, x := range xs {
			out[i] = x != y
		}
	case "<":
		for i, x := range xs {
			out[i] = x < y
		}
	case "<=":
		for i, x := range xs {
			out[i] = x <= y
		}
	case ">":
		for i, x := range xs {
			out[i] = !(x <= y) // true for NaN
		}
	default: // ">="
		for i, x := range xs {
			out[i] = !(x < y)
		}
	}
}

func cmpInt(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case x == y:
		return 0
	}
	// NaN sorts after numbers and equals nothing.
	if math.IsNaN(x) && !math.IsNaN(y) {
		return 1
	}
	if math.IsNaN(y) && !math.IsNaN(x) {
		return -1
	}
	return 2
}

func boolCmp(x, y bool) int {
	switch {
	case x == y:
		return 0
	case !x:
		return -1
	}
	return 1
}

func bothValid(a, b *vec, n int) []bool {
	if (a.valid == nil) && (b.valid == nil) {
		return nil
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = a.ok(i) && b.ok(i)
	}
	return out
}

func mapBool(a *vec, n int, fn func(bool) bool) *vec {
	out := &vec{t: Bool, n: n, b: make([]bool, n)}
	for i := range out.b {
		out.b[i] = fn(a.b[a.idx(i)])
	}
	if a.valid != nil {
		out.valid = make([]bool, n)
		for i := range out.valid {
			out.valid[i] = a.ok(i)
		}
	}
	return out
}

// logic applies Kleene three-valued and/or: false and null is false, true
// or null is true.
func (e *Expr) logic(a, b *vec, n int) (*vec, error) {
	if a.t != Bool || b.t != Bool {
		return nil, fmt.Errorf("%s: operands must be conditions, got %s and %s", e, a.t, b.t)
	}
	and := e.kind == "and"
	out := &vec{t: Bool, n: n, b: make([]bool, n)}
	var valid []bool
	if a.valid != nil || b.valid != nil {
		valid = make([]bool, n)
	}
	for i := range out.b {
		x, y := a.b[a.idx(i)], b.b[b.idx(i)]
		xo, yo := a.ok(i), b.ok(i)
		if and {
			out.b[i] = x && y && xo && yo
			if valid != nil {
				valid[i] = (xo && yo) || (xo && !x) || (yo && !y)
			}
		} else {
			out.b[i] = (x && xo) || (y && yo)
			if valid != nil {
				valid[i] = (xo && yo) || out.b[i]
			}
		}
	}
	out.valid = valid
	return out, nil
}

func (e *Expr) evalIn(f *Frame) (*vec, error) {
	a, err := e.args[0].eval(f)
	if err != nil {
		return nil, err
	}
	n := f.nrows
	out := &vec{t: Bool, n: n, b: make([]bool, n), valid: a.valid}
	switch a.t {
	case String:
		set := map[string]bool{}
		for _, x := range e.set {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%s: %v is not a string", e, x)
			}
			set[s] = true
		}
		if a.codes != nil {
			hit := make([]bool, len(a.levels))
			for k, l := range a.levels {
				hit[k] = set[l]
			}
			for i, c := range a.codes {
				out.b[i] = c >= 0 && hit[c]
			}
		} else {
			for i := range out.b {
				out.b[i] = set[a.str(i)]
			}
		}
	case Int64, Float64, Bool, Timestamp:
		set := map[float64]bool{}
		for _, x := range e.set {
			v, err := litVec(x)
			if err != nil {
				return nil, err
			}
			if v.t == String {
				return nil, fmt.Errorf("%s: %q is a string but the column is %s", e, x, a.t)
			}
			set[v.float(0)] = true
		}
		for i := range out.b {
			out.b[i] = set[a.float(i)]
		}
	}
	return out, nil
}

func (e *Expr) stringOp(args []*vec, n int) (*vec, error) {
	a := args[0]
	if a.t != String {
		return nil, fmt.Errorf("%s: %s is %s, not string", e, e.args[0], a.t)
	}
	if e.kind == "lower" || e.kind == "upper" {
		fn := strings.ToLower
		if e.kind == "upper" {
			fn = strings.ToUpper
		}
		out := &vec{t: String, n: n, valid: a.valid, scalar: a.scalar}
		if a.codes != nil {
			out.codes = a.codes
			out.levels = make([]string, len(a.levels))
			for k, l := range a.levels {
				out.levels[k] = fn(l)
			}
			return out, nil
		}
		out.s = make([]string, len(a.s))
		for i, s := range a.s {
			out.s[i] = fn(s)
		}
		return out, nil
	}
	if args[1].t != String {
		return nil, fmt.Errorf("%s: pattern must be a string", e)
	}
	pat := args[1].str(0)
	var test func(string) bool
	switch e.kind {
	case "contains":
		test = func(s string) bool { return strings.Contains(s, pat) }
	case "prefix":
		test = func(s string) bool { return strings.HasPrefix(s, pat) }
	default:
		test = func(s string) bool { return strings.HasSuffix(s, pat) }
	}
	out := &vec{t: Bool, n: n, b: make([]bool, n), valid: a.valid}
	if a.codes != nil {
		hit := make([]bool, len(a.levels))
		for k, l := range a.levels {
			hit[k] = test(l)
		}
		for i, c := range a.codes {
			out.b[i] = c >= 0 && hit[c]
		}
		return out, nil
	}
	for i := range out.b {
		out.b[i] = test(a.str(i))
	}
	return out, nil
}

func (e *Expr) arith(a, b *vec, n int) (*vec, error) {
	if !(numeric(a.t) || a.t == Bool) || !(numeric(b.t) || b.t == Bool) {
		return nil, fmt.Errorf("%s: arithmetic needs numbers, got %s and %s", e, a.t, b.t)
	}
	scalar := a.scalar && b.scalar
	if scalar {
		n = 1
	}
	out := &vec{n: n, valid: bothValid(a, b, n), scalar: scalar}
	if a.t == Int64 && b.t == Int64 && e.kind != "/" {
		out.t = Int64
		out.i = make([]int64, n)
		for i := range out.i {
			x, y := a.i[a.idx(i)], b.i[b.idx(i)]
			switch e.kind {
			case "+":
				out.i[i] = x + y
			case "-":
				out.i[i] = x - y
			case "*":
				out.i[i] = x * y
			}
		}
		return out, nil
	}
	out.t = Float64
	out.f = make([]float64, n)
	switch e.kind {
	case "+":
		for i := range out.f {
			out.f[i] = a.float(i) + b.float(i)
		}
	case "-":
		for i := range out.f {
			out.f[i] = a.float(i) - b.float(i)
		}
	case "*":
		for i := range out.f {
			out.f[i] = a.float(i) * b.float(i)
		}
	case "/":
		for i := range out.f {
			out.f[i] = a.float(i) / b.float(i)
		}
	}
	return out, nil
}

func (e *Expr) math(a *vec, n int) (*vec, error) {
	if !numeric(a.t) {
		return nil, fmt.Errorf("%s: %s is %s, not numeric", e, e.args[0], a.t)
	}
	if a.scalar {
		n = 1
	}
	out := &vec{t: Float64, n: n, f: make([]float64, n), valid: a.valid, scalar: a.scalar}
	fn := map[string]func(float64) float64{"abs": math.Abs, "log": math.Log, "sqrt": math.Sqrt, "round": math.Round}[e.kind]
	for i := range out.f {
		out.f[i] = fn(a.float(i))
	}
	if e.kind == "abs" && a.t == Int64 {
		return out.cast(Int64)
	}
	return out, nil
}

func (e *Expr) datePart(a *vec, n int) (*vec, error) {
	if a.t != Timestamp {
		return nil, fmt.Errorf("%s: %s is %s, not timestamp", e, e.args[0], a.t)
	}
	if a.scalar {
		n = 1
	}
	out := &vec{t: Int64, n: n, i: make([]int64, n), valid: a.valid, scalar: a.scalar}
	for i := range out.i {
		t := time.UnixMicro(a.i[i]).UTC()
		var v int
		switch e.name {
		case "year":
			v = t.Year()
		case "month":
			v = int(t.Month())
		case "day":
			v = t.Day()
		case "hour":
			v = t.Hour()
		case "weekday":
			v = int(t.Weekday())
		case "yday":
			v = t.YearDay()
		}
		out.i[i] = int64(v)
	}
	return out, nil
}

func (e *Expr) bucket(a *vec, n int) (*vec, error) {
	if !numeric(a.t) {
		return nil, fmt.Errorf("%s: %s is %s, not numeric", e, e.args[0], a.t)
	}
	edges := e.edges
	for k := 1; k < len(edges); k++ {
		if edges[k] <= edges[k-1] {
			return nil, fmt.Errorf("bucket edges must increase: %v", edges)
		}
	}
	g := func(x float64) string { return fmt.Sprint(x) }
	levels := make([]string, len(edges)+1)
	for k := range levels {
		switch {
		case len(edges) == 0:
			levels[k] = "all"
		case k == 0:
			levels[k] = "<" + g(edges[0])
		case k == len(edges):
			levels[k] = ">=" + g(edges[k-1])
		default:
			levels[k] = fmt.Sprintf("[%s, %s)", g(edges[k-1]), g(edges[k]))
		}
	}
	out := &vec{t: String, n: n, codes: make([]int32, n), levels: levels, valid: a.valid}
	for i := range out.codes {
		x := a.float(i)
		k := 0
		for k < len(edges) && x >= edges[k] {
			k++
		}
		out.codes[i] = int32(k)
	}
	return out, nil
}

func (e *Expr) fill(a, v *vec, n int) (*vec, error) {
	if a.valid == nil {
		return a, nil
	}
	t := a.t
	if numeric(a.t) && numeric(v.t) && a.t != v.t {
		t = Float64
	}
	a2, err := a.broadcast(n).cast(t)
	if err != nil {
		return nil, err
	}
	v2, err := v.cast(t)
	if err != nil || v2.t != t {
		return nil, fmt.Errorf("%s: cannot fill %s nulls with %v", e, a.t, e.args[1])
	}
	return pick(a2, v2, n)
}

// pick returns a where present, else b.
func pick(a, b *vec, n int) (*vec, error) {
	if a.t != b.t {
		return nil, fmt.Errorf("cannot mix %s and %s", a.t, b.t)
	}
	out := &vec{t: a.t, n: n, valid: make([]bool, n)}
	switch a.t {
	case Float64:
		out.f = make([]float64, n)
	case Int64, Timestamp:
		out.i = make([]int64, n)
	case Bool:
		out.b = make([]bool, n)
	case String:
		out.s = make([]string, n)
	}
	for i := 0; i < n; i++ {
		src := a
		if !a.ok(i) {
			src = b
		}
		out.valid[i] = src.ok(i)
		j := src.idx(i)
		switch a.t {
		case Float64:
			out.f[i] = src.f[j]
		case Int64, Timestamp:
			out.i[i] = src.i[j]
		case Bool:
			out.b[i] = src.b[j]
		case String:
			out.s[i] = src.str(i)
		}
	}
	return out, nil
}

func (e *Expr) evalCase(f *Frame) (*vec, error) {
	n := f.nrows
	k := len(e.args)
	vals := make([]*vec, 0, k/2+1)
	conds := make([]*vec, 0, k/2)
	for i := 0; i+1 < k; i += 2 {
		c, err := e.args[i].eval(f)
		if err != nil {
			return nil, err
		}
		if c.t != Bool {
			return nil, fmt.Errorf("when %s: condition is %s, not bool", e.args[i], c.t)
		}
		v, err := e.args[i+1].eval(f)
		if err != nil {
			return nil, err
		}
		conds, vals = append(conds, c), append(vals, v)
	}
	other, err := e.args[k-1].eval(f)
	if err != nil {
		return nil, err
	}
	if e.args[k-1].kind == "lit" && e.args[k-1].val == nil {
		other = nil
	}
	// Result type: the common type of all branches (numbers widen).
	t := vals[0].t
	all := append([]*vec(nil), vals...)
	if other != nil {
		all = append(all, other)
	}
	for _, v := range all {
		if v.t != t {
			if numeric(v.t) && numeric(t) {
				t = Float64
			} else {
				return nil, fmt.Errorf("%s: branches mix %s and %s", e, t, v.t)
			}
		}
	}
	for i, v := range vals {
		if vals[i], err = v.cast(t); err != nil {
			return nil, err
		}
	}
	if other == nil {
		other = &vec{t: t, n: 1, scalar: true, valid: []bool{false}}
		switch t {
		case Float64:
			other.f = []float64{0}
		case Int64, Timestamp:
			other.i = []int64{0}
		case Bool:
			other.b = []bool{false}
		case String:
			other.s = []string{""}
		}
	} else if other, err = other.cast(t); err != nil {
		return nil, err
	}
	// Assign each row the branch that matches first.
	branch := make([]*vec, n)
	for i := 0; i < n; i++ {
		branch[i] = other
		for b, c := range conds {
			if c.ok(i) && c.b[c.idx(i)] {
				branch[i] = vals[b]
				break
			}
		}
	}
	out := &vec{t: t, n: n, valid: make([]bool, n)}
	switch t {
	case Float64:
		out.f = make([]float64, n)
	case Int64, Timestamp:
		out.i = make([]int64, n)
	case Bool:
		out.b = make([]bool, n)
	case String:
		out.s = make([]string, n)
	}
	for i, src := range branch {
		out.valid[i] = src.ok(i)
		j := src.idx(i)
		switch t {
		case Float64:
			out.f[i] = src.f[j]
		case Int64, Timestamp:
			out.i[i] = src.i[j]
		case Bool:
			out.b[i] = src.b[j]
		case String:
			out.s[i] = src.str(i)
		}
	}
	return out, nil
}
