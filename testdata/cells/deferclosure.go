// A deferred call of a closure held in a variable, in the cell and in
// the functions it declares.
fn := func() { fmt.Println("deferred") }
defer fn()
fmt.Println("body")
// Output:
// body
// deferred
// -- cell --
func cleanup() (out []string) {
	note := func(s string) { out = append(out, s) }
	defer func() { note("last") }()
	defer note("second")
	x := "first"
	note(x)
	return
}
cleanup()
// Output:
// [first second last]
// -- cell --
var later = func(n int) int { return n * 2 }
defer func() { fmt.Println("doubled", later(21)) }()
// Output:
// doubled 42
// -- cell --
func withVar() {
	var fn func()
	fn = func() { fmt.Println("assigned later") }
	defer fn()
}
withVar()
// Output:
// assigned later
// -- cell --
msg := "before"
show := func() { fmt.Println(msg) }
defer show()
msg = "after"
// Output:
// after
// -- cell --
defer fn()
fmt.Println("fn from an earlier cell")
// Output:
// fn from an earlier cell
// deferred
// -- cell --
var steps []func()
for i := range 3 {
	steps = append(steps, func() { fmt.Println("step", i) })
}
defer steps[2]()
defer steps[0]()
// Output:
// step 0
// step 2
// -- cell --
byName := map[string]func() string{"a": func() string { return "from a map" }}
defer func() { fmt.Println(byName["a"]()) }()
// Output:
// from a map
// -- cell --
sorted := []int{3, 1, 2}
defer fmt.Println("sorted", sorted)
sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
// Output:
// sorted [1 2 3]
// -- cell --
func G[V any](v V) (out []V) {
	f := func() { out = append(out, v) }
	defer f()
	return
}
G(3), G("s")
// Output:
// [3] [s]
// -- cell --
// The literal's type names a type local to the function.
func local() {
	type pt struct{ x int }
	f := func() pt { return pt{1} }
	defer func() { fmt.Println("local", f().x) }()
	defer f()
}
local()
// Output:
// local 1
