// Top-level constants persist across cells as variables do.
const s = "x"
const (
	A = iota
	B
	C
)

type Level int

const (
	Low Level = iota + 1
	High
)

// -- cell --
func f() string { return s }
fmt.Println(f(), A, B, C, High)

// Output:
// x 0 1 2 2

// -- cell --
// A constant's value is usable as a constant in later cells.
var arr [C + 1]int
len(arr)

// Output:
// 3
