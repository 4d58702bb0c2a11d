// os.Exit and log.Fatal end the cell without running deferred calls, as
// they end a Go program.
defer fmt.Println("deferred call")
defer func() { fmt.Println("deferred literal") }()
fmt.Println("before")
os.Exit(3)
// Output:
// before
// error: Exit: exit status 3
//   cell:6:1: in this cell

// -- cell --
func run() {
	defer fmt.Println("in run")
	defer func() {
		if r := recover(); r != nil {
			fmt.Println("recovered", r)
		}
	}()
	log.SetFlags(0)
	log.Fatal("fatal")
}
run()
// Output:
// fatal
// error: Exit: exit status 1
//   cell:11:1: in this cell

// -- cell --
// Without an exit, deferred calls and recover work as before.
func safe() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	defer fmt.Println("cleanup", 1)
	panic("boom")
}
safe()
// Output:
// cleanup 1
// recovered: boom

// -- cell --
// A deferred method call takes its receiver when the defer statement runs.
type closer struct{ name string }

func (c *closer) Close() error { fmt.Println("close", c.name); return nil }

func openAll() {
	for _, n := range []string{"a", "b", "c"} {
		f := &closer{n}
		defer f.Close()
	}
}
openAll()
// Output:
// close c
// close b
// close a
