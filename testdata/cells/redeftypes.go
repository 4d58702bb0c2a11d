type T struct{ A int }
func (t T) Get() int { return t.A }
func mk(a int) T { return T{a} }
func describe(t T) string { return fmt.Sprint("A=", t.A) }
type List []T
type W struct {
	T
	N int
}
old := T{1}
olds := List{{2}, {3}}
w := W{T{4}, 5}
// -- cell --
// A failed redefinition changes nothing.
type T struct{ A, B int }
T{1, 2, 3}
// Output:
// error: CompileError: too many values in struct literal of type T
//   cell:3:9: too many values in struct literal of type T
// -- cell --
T{6}.Get()
// Output:
// 6
// -- cell --
// The same definition again keeps the type as it is, methods included.
type T struct{ A int }
T{7}.Get(), old.Get()
// Output:
// 7 1
// -- cell --
type T struct{ A, B int }
T{1, 2}
// Output:
// note: T redefined; still using the earlier definition until their cells run again: List, T.Get, W, describe, mk, old
// {1 2}
// -- cell --
fmt.Printf("%T %v %+v\n", T{1, 2}, T{1, 2}, T{1, 2})
// Output:
// main.T {1 2} {A:1 B:2}
// -- cell --
// Values of the earlier T keep their type and its methods.
old, old.Get(), olds, olds[1].Get()
// Output:
// {1} 1 [{2} {3}] 3
// -- cell --
old.B
// Output:
// error: CompileError: old.B undefined (type T (earlier definition) has no field or method B)
//   cell:1:5: old.B undefined (type T (earlier definition) has no field or method B)
// -- cell --
var t T = old
// Output:
// error: CompileError: cannot use old (variable of struct type T (earlier definition)) as T value in variable declaration
//   cell:1:11: cannot use old (variable of struct type T (earlier definition)) as T value in variable declaration
// -- cell --
// Declarations of earlier cells still use the earlier T.
mk(8), describe(old), w.A, w.Get()
// Output:
// {8} "A=1" 4 4
// -- cell --
mk(8).B
// Output:
// error: CompileError: mk(8).B undefined (type T (earlier definition) has no field or method B)
//   cell:1:7: mk(8).B undefined (type T (earlier definition) has no field or method B)
// -- cell --
describe(T{1, 2})
// Output:
// error: CompileError: cannot use T{…} (value of struct type T) as T (earlier definition) value in argument to describe
//   cell:1:10: cannot use T{…} (value of struct type T) as T (earlier definition) value in argument to describe
// -- cell --
// The new T has only the methods declared after it.
T{1, 2}.Get()
// Output:
// error: CompileError: T{…}.Get undefined (type T has no field or method Get)
//   cell:2:9: T{…}.Get undefined (type T has no field or method Get)
// -- cell --
func (t T) Get() int { return t.A + t.B }
func (t *T) Scale(k int) { t.A *= k; t.B *= k }
T{1, 2}.Get()
// Output:
// 3
// -- cell --
p := &T{3, 4}
p.Scale(10)
p.Get(), *p, T(*p).B
// Output:
// 70 {30 40} 40
// -- cell --
var v any = T{5, 6}
u, ok := v.(T)
u.B, ok
// Output:
// 6 true
// -- cell --
switch x := v.(type) {
case T:
	fmt.Println("a new T", x.B)
default:
	fmt.Println("something else")
}
// Output:
// a new T 6
// -- cell --
// Inferred types written out by the rewrites name the new T too.
same := old
ts := slices.Collect(func(yield func(T) bool) { yield(T{7, 8}) })
firsts := slices.Collect(maps.Keys(map[T]bool{{9, 10}: true}))
same.A, ts, firsts, min(ts[0].B, 3)
// Output:
// 1 [{7 8}] [{9 10}] 3
// -- cell --
// Running a cell again moves its declarations to the new T.
func mk(a int) T { return T{a, a} }
func describe(t T) string { return fmt.Sprint("A=", t.A, " B=", t.B) }
describe(mk(2))
// Output:
// "A=2 B=2"
// -- cell --
// Back to the first definition: a third T, distinct from both.
type T struct{ A int }
T{11}, p.B
// Output:
// note: T redefined; still using the earlier definition until their cells run again: T.Get, T.Scale, describe, firsts, mk, p, ts, u
// {11} 40
// -- cell --
*p = T{1}
// Output:
// error: CompileError: cannot use T{…} (value of struct type T) as T (earlier definition) value in assignment
//   cell:1:6: cannot use T{…} (value of struct type T) as T (earlier definition) value in assignment
// -- cell --
old = T{12}
// Output:
// error: CompileError: cannot use T{…} (value of struct type T) as T (earlier definition) value in assignment
//   cell:1:7: cannot use T{…} (value of struct type T) as T (earlier definition) value in assignment
// -- cell --
type T struct{ A, B, C int }
func (t T) Get() int { return t.A + t.B + t.C }
T{1, 2, 3}.Get(), p.Get(), old.Get()
// Output:
// 6 70 1
// -- cell --
// A struct declared before the redefinition embeds the earlier T: its
// promoted fields and methods work, the embedded field cannot be named.
w.A, w.Get()
// Output:
// 4 4
// -- cell --
w.T
// Output:
// error: CompileError: w.T undefined (type W has no field or method T)
//   cell:1:3: w.T undefined (type W has no field or method T)
// -- cell --
type W struct {
	T
	N int
}
w2 := W{T{1, 2, 3}, 4}
w2.T.C, w2.C, w2.Get(), W{T: T{C: 1}}.Get()
// Output:
// note: W redefined; still using the earlier definition until their cells run again: w
// 3 3 6 1
// -- cell --
// Generic types: instances name the definition in force.
type Box[V any] struct{ V V }
func (b Box[V]) Get() V { return b.V }
b1 := Box[int]{1}
b1.Get()
// Output:
// 1
// -- cell --
type Box[V any] struct{ V, W V }
func (b Box[V]) Pair() []V { return []V{b.V, b.W} }
Box[string]{"a", "b"}.Pair(), b1.Get()
// Output:
// note: Box redefined; still using the earlier definition until their cells run again: Box.Get, b1
// [a b] 1
// -- cell --
Box[int]{1, 2}.Get()
// Output:
// error: CompileError: Box[int]{…}.Get undefined (type Box[int] has no field or method Get)
//   cell:1:16: Box[int]{…}.Get undefined (type Box[int] has no field or method Get)
// -- cell --
// A type may become an alias, or an error type gain a field.
type T = int
T(3) + 1
// Output:
// note: T redefined; still using the earlier definition until their cells run again: T.Get, W
// 4
// -- cell --
type E struct{ msg string }
func (e *E) Error() string { return e.msg }
// -- cell --
type E struct {
	msg  string
	code int
}
func (e *E) Error() string { return fmt.Sprintf("%s (%d)", e.msg, e.code) }
err := fmt.Errorf("wrapped: %w", &E{"bad", 2})
var target *E
errors.As(err, &target), target.code, err
// Output:
// true 2 wrapped: bad (2)
// -- cell --
// A type switch matches cell types with or without a binding.
type P struct{ X int }
var pv any = P{1}
switch pv.(type) {
case P:
	fmt.Println("a P")
default:
	fmt.Println("default")
}
switch pv.(type) {
case int, P:
	fmt.Println("int or P")
case nil:
	fmt.Println("nil")
}
switch x := pv.(type) {
case P:
	fmt.Println("a P", x.X)
}
// Output:
// a P
// int or P
// a P 1
// -- cell --
// A panic value of a cell type is named as Go names it, whichever
// definition of the type it has.
panic(&E{"boom", 3})
// Output:
// error: *main.E: boom (3)
//   cell:3:1: in this cell
// -- cell --
type V struct{ A int }
type Msg struct{ text string }
func (m Msg) Error() string { return m.text }
var err error = Msg{"wrapped for compiled code"}
func fail(which int) {
	switch which {
	case 1:
		panic(V{1})
	case 2:
		panic(err)
	}
}
names := []string{}
for i := range 2 {
	func() {
		defer func() { names = append(names, fmt.Sprint(recover() != nil)) }()
		fail(i + 1)
	}()
}
names
// Output:
// [true true]
// -- cell --
fail(1)
// Output:
// error: main.V: {1}
//   cell:1:1: in this cell
//   cell:6:9: in fail (body starts here)
// -- cell --
// The error's text is what its Error method says.
fail(2)
// Output:
// error: main.Msg: wrapped for compiled code
//   cell:2:1: in this cell
//   cell:6:9: in fail (body starts here)
