// Closures handed to compiled code inside a loop see their own
// iteration's variables.
var wg sync.WaitGroup
var mu sync.Mutex
got := []int{}
for i := range 5 {
	wg.Go(func() { mu.Lock(); got = append(got, i); mu.Unlock() })
}
wg.Wait()
slices.Sort(got)
fmt.Println(got)
// Output:
// [0 1 2 3 4]

// -- cell --
got = nil
for i := range 5 {
	j := i * 10
	wg.Go(func() { mu.Lock(); got = append(got, j); mu.Unlock() })
}
wg.Wait()
slices.Sort(got)
fmt.Println(got)
// Output:
// [0 10 20 30 40]

// -- cell --
func squares(n int) []int {
	out := make([]int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		time.AfterFunc(time.Millisecond, func() { out[i] = i * i; wg.Done() })
	}
	wg.Wait()
	return out
}
squares(4)
// Output:
// [0 1 4 9]

// -- cell --
// A variable the closure assigns stays shared, as in Go.
total := 0
for i := range 3 {
	wg.Go(func() { mu.Lock(); total += i; mu.Unlock() })
}
wg.Wait()
total
// Output:
// 3
