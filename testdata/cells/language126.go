for i := range 3 {
	fmt.Print(i, " ")
}
// Output:
// 0 1 2
// -- cell --
n := int64(4)
total := int64(0)
for i := range n {
	total += i
}
total
// Output:
// 6
// -- cell --
count := 0
for range 5 {
	count++
}
count
// Output:
// 5
// -- cell --
func Count(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := 0; i < n; i++ {
			if !yield(i) {
				return
			}
		}
	}
}
for v := range Count(10) {
	if v == 1 {
		continue
	}
	if v > 3 {
		break
	}
	fmt.Print(v, ";")
}
// Output:
// 0;2;3;
// -- cell --
func Pairs() iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		_ = yield("a", 1) && yield("b", 2)
	}
}
for k, v := range Pairs() {
	fmt.Println(k, v)
}
// Output:
// a 1
// b 2
// -- cell --
sum := 0
for v := range slices.Values([]int{1, 2, 3}) {
	sum += v
}
sum
// Output:
// 6
// -- cell --
for i, s := range slices.All([]string{"x", "y"}) {
	fmt.Print(i, s, " ")
}
// Output:
// 0x 1y
// -- cell --
for part := range strings.SplitSeq("a,b,c", ",") {
	fmt.Print(part, ".")
}
// Output:
// a.b.c.
// -- cell --
min(3, 1, 2)
// Output:
// 1
// -- cell --
a, b := 2.5, 1.5
max(a, b, 0)
// Output:
// 2.5
// -- cell --
min("pear", "apple")
// Output:
// "apple"
// -- cell --
m := map[string]int{"a": 1, "b": 2}
clear(m)
len(m)
// Output:
// 0
// -- cell --
s := []int{1, 2, 3}
clear(s)
s
// Output:
// [0 0 0]
// -- cell --
p := new(42)
*p
// Output:
// 42
// -- cell --
xs := []float64{3, 1, 2}
slices.Max(xs)
// Output:
// 3
// -- cell --
slices.Sort(xs)
xs
// Output:
// [1 2 3]
// -- cell --
slices.Contains(xs, 2)
// Output:
// true
// -- cell --
slices.Index([]string{"a", "b"}, "b")
// Output:
// 1
// -- cell --
keys := slices.Sorted(maps.Keys(map[string]int{"z": 1, "a": 2, "m": 3}))
keys
// Output:
// [a m z]
// -- cell --
cmp.Compare(2, 3)
// Output:
// -1
// -- cell --
func Map[T, U any](xs []T, f func(T) U) []U {
	out := make([]U, 0, len(xs))
	for _, x := range xs {
		out = append(out, f(x))
	}
	return out
}
Map([]int{1, 2}, func(i int) string { return strconv.Itoa(i * 10) })
// Output:
// [10 20]
// -- cell --
type Pair[K comparable, V any] struct {
	Key K
	Val V
}
Pair[string, int]{"a", 1}
// Output:
// {a 1}
// -- cell --
type Number interface{ ~int | ~float64 }
func Sum[T Number](xs ...T) T {
	var s T
	for _, x := range xs {
		s += x
	}
	return s
}
Sum(1.5, 2.5)
// Output:
// 4
// -- cell --
var funcs []func() int
for i := 0; i < 3; i++ {
	funcs = append(funcs, func() int { return i })
}
funcs[0]() + funcs[1]()*10 + funcs[2]()*100
// Output:
// 210
// -- cell --
var wg sync.WaitGroup
var mu sync.Mutex
hits := 0
for range 4 {
	wg.Go(func() {
		mu.Lock()
		hits++
		mu.Unlock()
	})
}
wg.Wait()
hits
// Output:
// 4
// -- cell --
next, stop := iter.Pull(Count(3))
v1, ok1 := next()
v2, _ := next()
stop()
fmt.Println(v1, ok1, v2)
// Output:
// 0 true 1
// -- cell --
slices.Collect(maps.Values(map[string]int{"only": 7}))
// Output:
// [7]
// -- cell --
strings.Repeat("ab", 2)
// Output:
// "abab"
// -- cell --
type Set[T comparable] = map[T]struct{}
seen := Set[string]{"a": {}, "b": {}}
len(seen)
// Output:
// 2
// -- cell --
func Keys[T comparable](s Set[T]) []T {
	var out []T
	for k := range s {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	return out
}
var empty Set[int]
Keys(seen), empty == nil
// Output:
// [a b] true
// -- cell --
type Pair[K comparable, V any] struct {
	Key K
	Val V
}
type Named[V any] = Pair[string, V]
type IntPair = Pair[int, int]
Named[float64]{"pi", 3.14}, IntPair{1, 2}
// Output:
// {pi 3.14} {1 2}
// -- cell --
p := Named[[]int]{"xs", []int{1, 2}}
len(p.Val)
// Output:
// 2
