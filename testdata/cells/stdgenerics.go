// Generic API of compiled standard packages: errors.AsType, sync.OnceValue,
// sync.OnceValues, rand.N, reflect.TypeFor; slices.Clone.
type CodeErr struct{ code int }

func (e *CodeErr) Error() string { return fmt.Sprint("code ", e.code) }

err := fmt.Errorf("wrapped: %w", &CodeErr{7})
ce, ok := errors.AsType[*CodeErr](err)
fmt.Println(ce.code, ok)
_, isPath := errors.AsType[*fs.PathError](err)
fmt.Println(isPath)
// Output:
// 7 true
// false

// -- cell --
_, statErr := os.Stat("/nonexistent/galley")
pe, ok := errors.AsType[*fs.PathError](statErr)
fmt.Println(ok, pe.Op)
// Output:
// true stat

// -- cell --
get := sync.OnceValue(func() int { fmt.Println("computed"); return 42 })
fmt.Println(get(), get())
pair := sync.OnceValues(func() (string, error) { return "v", nil })
fmt.Println(pair())
// Output:
// computed
// 42 42
// v <nil>

// -- cell --
n := rand.N(10)
fmt.Println(n >= 0 && n < 10, reflect.TypeFor[int]())
ys := slices.Clone([]int{1, 2})
fmt.Println(ys)
// Output:
// true int
// [1 2]

// -- cell --
m := map[string]int{"a": 1}
_, found := m["a"]
var x any = 3
_, isInt := x.(int)
fmt.Println(found, isInt)
// Output:
// true true
