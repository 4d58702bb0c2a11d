// Receiving with comma-ok into the blank identifier, at top level and in
// a function.
ch := make(chan int, 1)
close(ch)
_, ok := <-ch
fmt.Println(ok)
// Output:
// false

// -- cell --
func drain(ch chan string) (n int) {
	var ok bool
	for {
		_, ok = <-ch
		if !ok {
			return n
		}
		n++
	}
}
words := make(chan string, 3)
words <- "a"
words <- "b"
close(words)
drain(words)
// Output:
// 2

// -- cell --
var v int
c2 := make(chan int, 1)
c2 <- 4
v, ok = <-c2
fmt.Println(v, ok)
// Output:
// 4 true
