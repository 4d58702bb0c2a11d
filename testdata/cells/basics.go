x := 1
x + 1
// Output:
// 2
// -- cell --
x := "a"
x
// Output:
// "a"
// -- cell --
func f() int { return 1 }
f()
// Output:
// 1
// -- cell --
f() + undefinedThing
// Output:
// error: CompileError: undefined: undefinedThing
//   cell:1:7: undefined: undefinedThing
// -- cell --
fmt.Println(strings.ToUpper("hi"))
// Output:
// HI
// -- cell --
for i := range 3 { fmt.Print(i) }
// Output:
// 012
// -- cell --
min(3, x2()) + max(1.5, 2)
func x2() int { return 2 }
// Output:
// 4
// -- cell --
type T struct{ A int }
func (t T) Show() string { return fmt.Sprint("A=", t.A) }
t := T{3}
t.Show(), T{4}
// Output:
// "A=3" {4}
