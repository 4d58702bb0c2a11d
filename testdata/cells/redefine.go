func greet() string { return "hello" }
greet()
// Output:
// "hello"
// -- cell --
func greet() string { return "bonjour" }
greet()
// Output:
// "bonjour"
// -- cell --
v := 10
// -- cell --
v := v * 2
v
// Output:
// 20
// -- cell --
v := "now a string"
v
// Output:
// "now a string"
// -- cell --
strings.ToUpper(v)
// Output:
// "NOW A STRING"
// -- cell --
type Point struct{ X, Y int }
func (p Point) Sum() int { return p.X + p.Y }
Point{1, 2}.Sum()
// Output:
// 3
// -- cell --
pt := Point{3, 4}
pt.Sum()
// Output:
// 7
// -- cell --
func (p Point) String() string { return fmt.Sprintf("(%d,%d)", p.X, p.Y) }
pt
// Output:
// (3,4)
// -- cell --
const limit = 3
limit * 2
// Output:
// 6
// -- cell --
var arr [limit]int
len(arr)
// Output:
// 3
// -- cell --
data := []float64{1, 2, 3}
len(data)
// Output:
// 3
// -- cell --
display := "shadowed"
display
// Output:
// "shadowed"
// -- cell --
func two() (string, float64) { return strconv.Itoa(42), math.Sqrt(16) }
two()
// Output:
// "42" 4
// -- cell --
strconv.Atoi("12")
// Output:
// 12 <nil>
// -- cell --
import str "strings"
str.Fields(" a b ")
// Output:
// [a b]
// -- cell --
str.TrimSpace("  x ")
// Output:
// "x"
// -- cell --
rand.IntN(1)
// Output:
// 0
// -- cell --
counter := func() func() int {
	c := 0
	return func() int { c++; return c }
}()
counter()
counter()
counter()
// Output:
// 3
// -- cell --
func MapOf[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}
type Box[T any] struct{ V T }
func (b Box[T]) Get() T { return b.V }
MapOf([]int{1, 2}, strconv.Itoa), Box[string]{"in"}.Get()
// Output:
// [1 2] "in"
// -- cell --
type T struct{ Name string }
type U = int
ts := []T{{"a"}, {"b"}}
MapOf(ts, func(t T) U { return len(t.Name) })
// Output:
// [1 1]
