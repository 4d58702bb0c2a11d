x := 3
func double(n int) int { return n * 2 }
double(x)
// Output:
// 6
// -- cell --
import "unicode"
unicode.IsUpper('A')
// Output:
// true
// -- cell --
result := helper(2)
type Wrapper struct{ V int }
func helper(n int) Wrapper { return Wrapper{n + 1} }
result.V
// Output:
// 3
// -- cell --
var (
	a1 = 1
	b1 = "two"
)
fmt.Println(a1, b1)
// Output:
// 1 two
// -- cell --
if n := len(b1); n > 2 {
	fmt.Println("long", n)
} else {
	fmt.Println("short")
}
// Output:
// long 3
// -- cell --
switch y := x * 2; {
case y > 5:
	fmt.Println("big")
default:
	fmt.Println("small")
}
// Output:
// big
// -- cell --
func() { fmt.Println("literal called") }()
// Output:
// literal called
// -- cell --
func (w Wrapper) Twice() int { return w.V * 2 }
result.Twice()
// Output:
// 6
// -- cell --
// a comment only
// Output:
// -- cell --
fmt.Println("a"); fmt.Println("b")
// Output:
// a
// b
// -- cell --
nums := []int{
	1,
	2,
}
len(nums)
// Output:
// 2
// -- cell --
total := 0
for _, n := range nums {
	total += n
}
total
// Output:
// 3
// -- cell --
x
// Output:
// 3
// -- cell --
x = 10
x
// Output:
// 10
// -- cell --
const (
	KB = 1 << (10 * (iota + 1))
	MB
)
MB / KB
// Output:
// 1024
// -- cell --
type Weekday int
const (
	Sunday Weekday = iota
	Monday
)
Monday
// Output:
// 1
// -- cell --
var p struct{ A, B int }
p.A = 1
p
// Output:
// {1 0}
// -- cell --
s := "héllo"
len(s), utf8.RuneCountInString(s)
// Output:
// 6 5
// -- cell --
utf8.RuneCountInString("héllo")
// Output:
// 5
// -- cell --
ptr := &x
*ptr = 99
x
// Output:
// 99
// -- cell --
xs := make([]int, 0, 4)
xs = append(xs, 1, 2)
len(xs), cap(xs)
// Output:
// 2 4
// -- cell --
cap(make([]int, 0, 4))
// Output:
// 4
// -- cell --
matrix := [][]float64{{1, 2}, {3, 4}}
matrix[1][0]
// Output:
// 3
// -- cell --
var iface any = 3.5
f, ok := iface.(float64)
fmt.Println(f, ok)
// Output:
// 3.5 true
// -- cell --
_, bad := iface.(string)
bad
// Output:
// false
// -- cell --
gen := func(yield func(int) bool) {
	for i := 10; i < 13; i++ {
		if !yield(i) {
			return
		}
	}
}
for v := range gen {
	fmt.Print(v, " ")
}
// Output:
// 10 11 12
// -- cell --
for v := range gen {
	for w := range gen {
		if w > 10 {
			break
		}
		fmt.Print(v+w, " ")
	}
}
// Output:
// 20 21 22
// -- cell --
func firstBig(seq func(func(int) bool)) int {
	for v := range seq {
		if v > 10 {
			return v
		}
	}
	return -1
}
// Output:
// error: CompileError: return inside a range-over-func loop is not supported; collect the values first (slices.Collect) and range over the slice
//   cell:4:4: return inside a range-over-func loop is not supported; collect the values first (slices.Collect) and range over the slice
