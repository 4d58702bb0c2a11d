// A cell holding a whole program runs it as `go run` does: package
// variables, then init functions in order, then main, once.
package main

import "fmt"

var x = initX()

func initX() int { fmt.Println("init x"); return 7 }

func init() { fmt.Println("init1", x) }
func init() { fmt.Println("init2") }

func main() {
	fmt.Println("main", x)
}

// Output:
// init x
// init1 7
// init2
// main 7

// -- cell --
// Later cells do not run main again.
fmt.Println("later")

// Output:
// later

// -- cell --
// Calling it is still possible.
main()

// Output:
// main 7

// -- cell --
// A program without a package clause runs the same way.
func main() {
	fmt.Println("second main")
}

// Output:
// second main

// -- cell --
main()

// Output:
// second main

// -- cell --
package tools

// Output:
// error: CompileError: cells are package main, not package tools; remove the package clause or name it main
//   cell:1:1: cells are package main, not package tools; remove the package clause or name it main

// -- cell --
// Package variables are initialized in the order their dependencies
// need, as Go does, whatever order they are written in.
package main

import "fmt"

var total = base * 2

var base = compute()

func compute() int { return 21 }

func main() {
	fmt.Println(total, base)
}

// Output:
// 42 21
