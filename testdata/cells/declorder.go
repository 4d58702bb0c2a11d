x := 3
func triple() int { return x * 3 }
triple()
// Output:
// 9
// -- cell --
x = 5
triple()
// Output:
// 15
// -- cell --
func greeting() string { return prefix + ", " + name }
var prefix = "hello"
name := "cell"
greeting()
// Output:
// "hello, cell"
// -- cell --
name = "notebook"
greeting()
// Output:
// "hello, notebook"
// -- cell --
type Counter struct{ N int }
func bump() int { c.N++; return c.N }
c := &Counter{N: 10}
bump(), bump()
// Output:
// 11 12
// -- cell --
limit := "now a string"
func describeLimit() string { return strings.ToUpper(limit) }
describeLimit()
// Output:
// "NOW A STRING"
// -- cell --
limit := 7
func doubleLimit() int { return limit * 2 }
doubleLimit()
// Output:
// 14
// -- cell --
func useMissing() int { return missing }
// Output:
// error: CompileError: undefined: missing
//   cell:1:32: undefined: missing
// -- cell --
h := sha256.New()
func hashSize() int { return h.Size() }
hashSize()
// Output:
// 32
