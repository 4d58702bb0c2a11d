df, err := data.New(data.Ints("id", []int{1, 2, 3}), data.Strings("name", []string{"a", "b", "c"}))
err
// Output:
// <nil>
// -- cell --
df.NumRows()
// Output:
// 3
// -- cell --
df.Shape()
// Output:
// 3 2
// -- cell --
df.Names()
// Output:
// [id name]
// -- cell --
data := []int{4, 5}
len(data)
// Output:
// 2
// -- cell --
data[1]
// Output:
// 5
// -- cell --
d := display.Markdown("**bold**")
d.Bundle["text/markdown"]
// Output:
// "**bold**"
// -- cell --
display.Text("plain")
// Output:
// plain
// -- cell --
func badge(label string) any { return display.Text("<" + label + ">") }
badge("ok")
// Output:
// <ok>
// -- cell --
ml := "a user variable"
ml
// Output:
// "a user variable"
