b := bytes.Buffer{}
b.WriteString("composite literal of a package type")
b.Len()
// Output:
// 35
// -- cell --
var sb strings.Builder
sb = strings.Builder{}
sb.WriteString("assigned")
sb.String()
// Output:
// "assigned"
// -- cell --
f, err := data.New(data.Ints("n", []int{3, 1, 2}))
head := f.Head(2)
head.NumRows()
// Output:
// 2
// -- cell --
train, test, err := f.Split(0.34, 7)
err == nil && train.NumRows()+test.NumRows() == 3
// Output:
// true
// -- cell --
import "github.com/galley-dev/galley/stdlib/data"
g, _ := data.New(data.Ints("m", []int{1}))
g.NumRows()
// Output:
// 1
// -- cell --
opts := plot.Options{Bins: 4, Title: "t"}
opts.Bins
// Output:
// 4
// -- cell --
oops := bytes.Buffer{}
oops.Nope()
// Output:
// error: CompileError: oops.Nope undefined (type bytes.Buffer has no field or method Nope)
//   cell:2:6: oops.Nope undefined (type bytes.Buffer has no field or method Nope)
// -- cell --
import "bytes"
var again bytes.Buffer
again.WriteString("imports survive a failed cell")
again.Len()
// Output:
// 29
// -- cell --
cfg := recipe.NewConfig("telco-churn.csv").WithLimit(500)
cfg.Input()
// Output:
// "telco-churn.csv"
