var m map[string]int
m["a"] = 1
// Output:
// error: runtime.Error: assignment to entry in nil map
//   cell:2:1: in this cell
// -- cell --
xs := []int{1, 2}
i := 5
xs[i]
// Output:
// error: runtime.Error: runtime error: index out of range
//   cell:3:1: in this cell
// -- cell --
panic("boom")
// Output:
// error: string: boom
//   cell:1:1: in this cell
// -- cell --
panic(fmt.Errorf("wrapped: %w", os.ErrNotExist))
// Output:
// error: *fmt.wrapError: wrapped: file does not exist
//   cell:1:1: in this cell
// -- cell --
os.Exit(3)
// Output:
// error: Exit: exit status 3
//   cell:1:1: in this cell
// -- cell --
done := make(chan bool)
go func() {
	defer close(done)
	var p *int
	fmt.Println(*p)
}()
<-done
time.Sleep(10 * time.Millisecond)
// Output:
// error: runtime.Error: runtime error: invalid memory address or nil pointer dereference
//   cell:2:1: in a goroutine started by this cell
//   cell:3:8: in a function literal in this cell (body starts here)
// -- cell --
"still alive"
// Output:
// "still alive"
// -- cell --
func risky(n int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("recovered: %v", r)
		}
	}()
	return fmt.Errorf("n=%d", 10/n)
}
risky(0)
// Output:
// recovered: runtime error: integer divide by zero
// -- cell --
errors.As(err, &pe), pe.Op
// Output:
// error: CompileError: undefined: err
//   cell:1:11: undefined: err
//   cell:1:17: use of package pe not in selector
//   cell:1:25: undefined: pe.Op
// -- cell --
_, err := os.Open("/no/such/file")
var pe *fs.PathError
errors.As(err, &pe)
// Output:
// true
// -- cell --
pe.Op
// Output:
// "open"
// -- cell --
errors.Is(err, fs.ErrNotExist)
// Output:
// true
// -- cell --
func worker(ch chan<- int, n int) { ch <- n * n }
ch := make(chan int)
go worker(ch, 7)
<-ch
// Output:
// 49
// -- cell --
x := 1
x := 2
// Output:
// error: CompileError: no new variables on left side of :=
//   cell:2:3: no new variables on left side of :=
// -- cell --
y := undefinedName + 1
// Output:
// error: CompileError: undefined: undefinedName
//   cell:1:6: undefined: undefinedName
// -- cell --
var s string = 5
// Output:
// error: CompileError: cannot use 5 (untyped int constant) as string value in variable declaration
//   cell:1:16: cannot use 5 (untyped int constant) as string value in variable declaration
// -- cell --
fmt.Println("before"
// Output:
// error: CompileError: missing ',' before newline in argument list
//   cell:1:21: missing ',' before newline in argument list
// -- cell --
ctr := 0
ctr++
fmt.Println("ran", ctr)
ctr.Foo()
// Output:
// error: CompileError: ctr.Foo undefined (type int has no field or method Foo)
//   cell:4:5: ctr.Foo undefined (type int has no field or method Foo)
// -- cell --
ctr
// Output:
// error: CompileError: undefined: ctr
//   cell:1:1: undefined: ctr
// -- cell --
log.SetFlags(0)
log.SetPrefix("app: ")
log.Fatal("fatal thing")
// Output:
// app: fatal thing
// error: Exit: exit status 1
//   cell:3:1: in this cell
// -- cell --
// log.Fatal wrote as the standard logger was set up to (by default with the
// date and time; engine_test.go checks that).
log.SetFlags(log.LstdFlags)
log.SetPrefix("")
log.Prefix() == "" && log.Flags() == log.LstdFlags
// Output:
// true
// -- cell --
// The idiom of the example notebooks: the traceback's first line is the
// error's message, then the statement that panicked.
df, err := data.ReadCSV("no-such-file.csv")
if err != nil {
	panic(err)
}
_ = df
// Output:
// error: *fs.PathError: open no-such-file.csv: no such file or directory
//   cell:4:1: in this cell
