type Card struct{ Title string }
func (c Card) DisplayData() display.Data { return display.Markdown("# " + c.Title) }
Card{"hi"}
// Output:
// # hi
// -- cell --
type Badge struct{ N int }
func (b *Badge) DisplayData() display.Data { return display.Text(fmt.Sprint("badge ", b.N)) }
b := &Badge{3}
b
// Output:
// badge 3
// -- cell --
display.Render(b).Bundle["text/plain"]
// Output:
// "badge 3"
// -- cell --
type NotFound struct{ Key string }
func (e *NotFound) Error() string { return "not found: " + e.Key }
func lookup(k string) error { return fmt.Errorf("lookup: %w", &NotFound{k}) }
err := lookup("x")
err.Error()
// Output:
// "lookup: not found: x"
// -- cell --
var nf *NotFound
errors.As(err, &nf), nf.Key
// Output:
// true "x"
// -- cell --
var other *NotFound
errors.As(errors.New("plain"), &other), other == nil
// Output:
// false true
// -- cell --
// errors.As looks inside joined errors and multiple %w wraps too.
var inJoin *NotFound
joined := errors.Join(errors.New("first"), fmt.Errorf("second: %w", &NotFound{"deep"}))
multi := fmt.Errorf("a: %w, b: %w", errors.New("plain"), &NotFound{"multi"})
var inMulti *NotFound
var none *NotFound
errors.As(joined, &inJoin), inJoin.Key, errors.As(multi, &inMulti), inMulti.Key, errors.As(errors.Join(errors.New("x")), &none)
// Output:
// true "deep" true "multi" false
// -- cell --
// Methods of compiled values see a cell error's Error method too.
var sb strings.Builder
logger := log.New(&sb, "", 0)
logger.Printf("%v", &NotFound{"logged"})
w := bufio.NewWriter(&sb)
fmt.Fprint(w, &NotFound{"buffered"})
w.Flush()
sb.String()
// Output:
// "not found: logged\nnot found: buffered"
// -- cell --
fmt.Println(&NotFound{"printed"})
// Output:
// not found: printed
// -- cell --
var pe *fs.PathError
_, oerr := os.Open("/no/such/file")
errors.As(oerr, &pe), pe.Op
// Output:
// true "open"
// -- cell --
q, r := 7/2, 7%2
q, r
// Output:
// 3 1
// -- cell --
m := map[string]int{"k": 2}
v, ok := m["k"]
v, ok, len(m)
// Output:
// 2 true 1
// -- cell --
q, missing
// Output:
// error: CompileError: undefined: missing
//   cell:1:4: undefined: missing
