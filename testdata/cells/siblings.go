// Standard packages that call methods of cell-declared types through
// interfaces the type satisfies: sort.Sort, container/heap, and
// encoding/gob; flag in a notebook.
type byLen []string

func (s byLen) Len() int           { return len(s) }
func (s byLen) Swap(i, j int)      { s[i], s[j] = s[j], s[i] }
func (s byLen) Less(i, j int) bool { return len(s[i]) < len(s[j]) }

fruits := []string{"peach", "banana", "kiwi"}
sort.Sort(byLen(fruits))
fmt.Println(fruits)
// Output:
// [kiwi peach banana]

// -- cell --
type IntHeap []int

func (h IntHeap) Len() int           { return len(h) }
func (h IntHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h IntHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *IntHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *IntHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	*h = old[:n-1]
	return x
}

h := &IntHeap{5, 2, 8}
heap.Init(h)
heap.Push(h, 3)
for h.Len() > 0 {
	fmt.Print(heap.Pop(h), " ")
}
fmt.Println()
// Output:
// 2 3 5 8

// -- cell --
type Pt struct{ X, Y int }

var buf bytes.Buffer
gob.NewEncoder(&buf).Encode(Pt{1, 2})
var p Pt
err := gob.NewDecoder(&buf).Decode(&p)
fmt.Println(err, p)
// Output:
// <nil> {1 2}

// -- cell --
fs := flag.NewFlagSet("tool", flag.ContinueOnError)
n := fs.Int("n", 1, "count")
verbose := fs.Bool("v", false, "verbose")
err = fs.Parse([]string{"-n", "5", "-v", "rest"})
fmt.Println(err, *n, *verbose, fs.Args())
name := flag.String("name", "world", "who")
flag.Parse()
fmt.Println(*name)
// Output:
// <nil> 5 true [rest]
// world
