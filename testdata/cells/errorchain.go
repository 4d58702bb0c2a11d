// errors.Is and errors.As follow the Unwrap methods of types cells declare,
// and call their Is and As methods, as they do in a compiled program.
type Wrapped struct{ err error }
func (w *Wrapped) Error() string { return "wrapped: " + w.err.Error() }
func (w *Wrapped) Unwrap() error { return w.err }
var ErrBase = errors.New("base")
errors.Is(&Wrapped{ErrBase}, ErrBase), errors.Is(&Wrapped{ErrBase}, errors.New("base"))
// Output:
// true false
// -- cell --
var held error = &Wrapped{&Wrapped{ErrBase}}
outer := fmt.Errorf("outer: %w", held)
errors.Is(held, ErrBase), errors.Is(outer, ErrBase), errors.Is(errors.Join(errors.New("x"), outer), ErrBase)
// Output:
// true true true
// -- cell --
type Multi struct{ errs []error }
func (m *Multi) Error() string { return "multi" }
func (m *Multi) Unwrap() []error { return m.errs }
errors.Is(&Multi{[]error{errors.New("a"), &Wrapped{ErrBase}}}, ErrBase), errors.Is(&Multi{nil}, ErrBase)
// Output:
// true false
// -- cell --
// An Is method decides equality for its type.
type Code struct{ N int }
func (c *Code) Error() string { return fmt.Sprint("code ", c.N) }
func (c *Code) Is(target error) bool {
	t, ok := target.(*Code)
	return ok && t.N == c.N
}
errors.Is(&Code{404}, &Code{404}), errors.Is(&Wrapped{&Code{404}}, &Code{404}), errors.Is(&Code{404}, &Code{500})
// Output:
// true true false
// -- cell --
// errors.As finds compiled and cell types behind a cell type's Unwrap.
_, oerr := os.Open("/no/such/file")
var pe *fs.PathError
var code *Code
errors.As(&Wrapped{oerr}, &pe), pe != nil
// Output:
// true true
// -- cell --
errors.As(fmt.Errorf("w: %w", &Wrapped{&Code{7}}), &code), code != nil, code.N
// Output:
// true true 7
// -- cell --
errors.Is(nil, ErrBase), errors.Is(&Wrapped{nil}, ErrBase), errors.Is(fmt.Errorf("plain: %w", ErrBase), ErrBase)
// Output:
// false false true
// -- cell --
// errors.Unwrap calls a cell type's Unwrap method too.
errors.Unwrap(held) != nil, errors.Is(errors.Unwrap(held), ErrBase), errors.Unwrap(ErrBase) == nil
// Output:
// true true true
// -- cell --
// An As method can fill in a target of another type.
type Legacy struct{ code int }
func (l *Legacy) Error() string { return "legacy" }
func (l *Legacy) As(target any) bool {
	if c, ok := target.(**Code); ok {
		*c = &Code{l.code}
		return true
	}
	return false
}
var fromLegacy *Code
var pe2 *fs.PathError
errors.As(fmt.Errorf("w: %w", &Legacy{42}), &fromLegacy), fromLegacy.N, errors.As(&Legacy{1}, &pe2)
// Output:
// true 42 false
