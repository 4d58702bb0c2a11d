type Shape interface {
	Area() float64
}
type Rect struct{ W, H float64 }
func (r Rect) Area() float64 { return r.W * r.H }
type Circle struct{ R float64 }
func (c Circle) Area() float64 { return 3 * c.R * c.R }
// -- cell --
shapes := []Shape{Rect{2, 3}, Circle{1}}
total := 0.0
for _, s := range shapes {
	total += s.Area()
}
total
// Output:
// 9
// -- cell --
func describe(v any) string {
	switch x := v.(type) {
	case int:
		return "int " + strconv.Itoa(x)
	case string:
		return "string " + x
	case Shape:
		return fmt.Sprintf("shape %.1f", x.Area())
	default:
		return "other"
	}
}
describe(3) + "|" + describe("s") + "|" + describe(Rect{1, 1}) + "|" + describe(2.5)
// Output:
// "int 3|string s|shape 1.0|other"
// -- cell --
func deferOrder() (out []int) {
	for i := range 3 {
		defer func(v int) { out = append(out, v) }(i)
	}
	return nil
}
deferOrder()
// Output:
// [2 1 0]
// -- cell --
ch := make(chan int, 3)
for i := range 3 {
	ch <- i * i
}
close(ch)
got := []int{}
for v := range ch {
	got = append(got, v)
}
got
// Output:
// [0 1 4]
// -- cell --
timeout := time.After(50 * time.Millisecond)
values := make(chan string)
go func() { values <- "fast" }()
select {
case v := <-values:
	fmt.Println("got", v)
case <-timeout:
	fmt.Println("timeout")
}
// Output:
// got fast
// -- cell --
ctx, cancel := context.WithCancel(context.Background())
cancel()
<-ctx.Done()
ctx.Err()
// Output:
// context canceled
// -- cell --
errors.Is(ctx.Err(), context.Canceled)
// Output:
// true
// -- cell --
type NotFound struct{ Key string }
func (e *NotFound) Error() string { return "not found: " + e.Key }
func find(k string) error { return &NotFound{k} }
// -- cell --
err := find("x")
nf, ok := err.(*NotFound)
ok
// Output:
// true
// -- cell --
nf.Key
// Output:
// "x"
// -- cell --
err.Error()
// Output:
// "not found: x"
// -- cell --
wrapped := fmt.Errorf("lookup: %w", os.ErrNotExist)
errors.Is(wrapped, os.ErrNotExist), errors.Unwrap(wrapped) == os.ErrNotExist
// Output:
// true true
// -- cell --
errors.Is(wrapped, os.ErrNotExist)
// Output:
// true
// -- cell --
wrapped := fmt.Errorf("lookup: %w", os.ErrNotExist)
errors.Is(wrapped, os.ErrNotExist)
// Output:
// true
// -- cell --
type Item struct {
	Name  string  `json:"name"`
	Price float64 `json:"price,omitempty"`
}
b, _ := json.Marshal([]Item{{"a", 1.5}, {"b", 0}})
string(b)
// Output:
// "[{\"name\":\"a\",\"price\":1.5},{\"name\":\"b\"}]"
// -- cell --
var back []Item
json.Unmarshal(b, &back)
len(back), back[0].Name
// Output:
// 2 "a"
// -- cell --
var back []Item
jerr := json.Unmarshal(b, &back)
fmt.Println(jerr, len(back), back[0].Name, back[0].Price)
// Output:
// <nil> 2 a 1.5
// -- cell --
var m map[string]any
json.Unmarshal([]byte(`{"a": [1, 2], "b": {"c": true}}`), &m)
m["b"]
// Output:
// map[c:true]
// -- cell --
d := 90 * time.Minute
d.String()
// Output:
// "1h30m0s"
// -- cell --
t0 := time.Date(2024, 2, 28, 0, 0, 0, 0, time.UTC)
t0.AddDate(0, 0, 1).Format("2006-01-02")
// Output:
// "2024-02-29"
// -- cell --
found := ""
outer:
for i := range 3 {
	for j := range 3 {
		if i*j == 2 {
			found = fmt.Sprint(i, j)
			break outer
		}
	}
}
found
// Output:
// "1 2"
// -- cell --
var once sync.Once
calls := 0
for range 3 {
	once.Do(func() { calls++ })
}
calls
// Output:
// 1
// -- cell --
var counter atomic.Int64
var wg sync.WaitGroup
for range 10 {
	wg.Add(1)
	go func() {
		defer wg.Done()
		counter.Add(1)
	}()
}
wg.Wait()
counter.Load()
// Output:
// 10
// -- cell --
results := make([]int, 5)
var wg2 sync.WaitGroup
for i := 0; i < 5; i++ {
	wg2.Add(1)
	go func() {
		defer wg2.Done()
		results[i] = i * 10
	}()
}
wg2.Wait()
results
// Output:
// [0 10 20 30 40]
// -- cell --
words := strings.Fields("the quick brown fox jumps over the lazy dog")
freq := map[string]int{}
for _, w := range words {
	freq[w]++
}
freq["the"]
// Output:
// 2
// -- cell --
sort.Strings(words)
words[:3]
// Output:
// [brown dog fox]
// -- cell --
slices.SortFunc(words, func(a, b string) int { return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(b, a)) })
words[0]
// Output:
// "quick"
// -- cell --
var sb strings.Builder
for i := range 3 {
	fmt.Fprintf(&sb, "[%d]", i)
}
sb.String()
// Output:
// "[0][1][2]"
// -- cell --
r := strings.NewReader("line one\nline two\n")
sc := bufio.NewScanner(r)
lines := 0
for sc.Scan() {
	lines++
}
lines
// Output:
// 2
// -- cell --
fib := func(n int) int { return 0 }
fib = func(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}
fib(15)
// Output:
// 610
// -- cell --
type Stack[T any] struct{ items []T }
func (s *Stack[T]) Push(v T) { s.items = append(s.items, v) }
func (s *Stack[T]) Len() int { return len(s.items) }
st := &Stack[int]{}
st.Push(1)
st.Push(2)
st.Len()
// Output:
// 2
// -- cell --
type Celsius float64
type Temp = Celsius
var tc Temp = 21.5
tc
// Output:
// 21.5
// -- cell --
re := regexp.MustCompile(`(\w+)@(\w+)\.com`)
re.FindStringSubmatch("mail bob@example.com now")[2]
// Output:
// "example"
// -- cell --
bits.OnesCount(255)
// Output:
// 8
// -- cell --
math.Round(math.Pi*100) / 100
// Output:
// 3.14
// -- cell --
fmt.Sprintf("%5.2f|%-4s|%03d", 3.14159, "ab", 7)
// Output:
// " 3.14|ab  |007"
// -- cell --
buf := new(bytes.Buffer)
buf.WriteString("hello")
buf.Len()
// Output:
// 5
// -- cell --
cmp.Or("", "fallback")
// Output:
// "fallback"
// -- cell --
maps.Clone(map[string]int{"k": 1})["k"]
// Output:
// 1
// -- cell --
slices.Reverse(got)
got
// Output:
// [4 1 0]
// -- cell --
slices.BinarySearch([]int{1, 3, 5}, 4)
// Output:
// 2 false
// -- cell --
for i, w := range slices.Backward([]string{"a", "b"}) {
	fmt.Print(i, w)
}
// Output:
// 1b0a
// -- cell --
for c := range slices.Chunk([]int{1, 2, 3, 4, 5}, 2) {
	fmt.Print(c)
}
// Output:
// [1 2][3 4][5]
// -- cell --
for line := range strings.Lines("a\nb\n") {
	fmt.Printf("%q ", line)
}
// Output:
// "a\n" "b\n"
// -- cell --
for k, v := range maps.All(map[string]int{"one": 1}) {
	fmt.Println(k, v)
}
// Output:
// one 1
