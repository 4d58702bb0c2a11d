func lifo() (out []int) {
	for i := range 3 {
		defer func() { out = append(out, i) }()
	}
	return
}
lifo()
// Output:
// [2 1 0]
// -- cell --
func words() (out []string) {
	for _, w := range []string{"a", "b", "c"} {
		defer func(suffix string) { out = append(out, w+suffix) }("!")
	}
	return
}
words()
// Output:
// [c! b! a!]
// -- cell --
func threeClause() (out []int) {
	for i := 0; i < 3; i++ {
		defer func() { out = append(out, i*10) }()
	}
	return
}
threeClause()
// Output:
// [20 10 0]
// -- cell --
func oldStyle() (out []int) {
	for _, v := range []int{1, 2, 3} {
		v := v
		defer func() { out = append(out, v) }()
	}
	return
}
oldStyle()
// Output:
// [3 2 1]
// -- cell --
func changedBefore() (out []int) {
	for i := range 2 {
		j := i
		j += 100
		defer func() { out = append(out, j) }()
	}
	return
}
changedBefore()
// Output:
// [101 100]
// -- cell --
func nested() (out []string) {
	for i := range 2 {
		for j := range 2 {
			defer func() { out = append(out, fmt.Sprint(i, j)) }()
		}
	}
	return
}
nested()
// Output:
// [1 1 1 0 0 1 0 0]
