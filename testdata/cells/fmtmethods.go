// fmt and log see the names, fields and methods of types cells declare.
type P struct{ X, Y int }

func (p P) String() string { return fmt.Sprintf("P(%d,%d)", p.X, p.Y) }

type Q struct {
	X, Y int
	name string
}

type E struct{ code int }

func (e *E) Error() string { return fmt.Sprintf("E%d", e.code) }

type Money int

func (m Money) Format(f fmt.State, verb rune) { fmt.Fprintf(f, "$%d", int(m)) }

type G struct{ A int }

func (g G) GoString() string { return "G!" }

// -- cell --
fmt.Println(P{1, 2}, []P{{3, 4}}, map[string]P{"a": {5, 6}}, &E{7})
// Output:
// P(1,2) [P(3,4)] map[a:P(5,6)] E7

// -- cell --
q := Q{1, 2, "n"}
fmt.Printf("%v %+v %#v %T\n", q, q, q, q)
fmt.Printf("%v %T %T\n", &q, &q, []Q{q})
fmt.Printf("%#v\n", []Q{q})
// Output:
// {1 2 n} {X:1 Y:2 name:n} main.Q{X:1, Y:2, name:"n"} main.Q
// &{1 2 n} *main.Q []main.Q
// []main.Q{main.Q{X:1, Y:2, name:"n"}}

// -- cell --
// %q, %s, %x and widths use the String method; Sprint and Errorf too.
s := fmt.Sprintf("%q|%s|%8s|%x", P{1, 2}, P{1, 2}, P{}, P{})
err := fmt.Errorf("bad %v", P{9, 9})
fmt.Println(s, err)
// Output:
// "P(1,2)"|P(1,2)|  P(0,0)|5028302c3029 bad P(9,9)

// -- cell --
// Format and GoString, and values held in an interface.
var item any = P{1, 1}
fmt.Println(Money(3), item)
fmt.Printf("%v %#v\n", Money(4), G{1})
// Output:
// $3 P(1,1)
// $4 G!

// -- cell --
// Nested values: struct fields and slices of values with methods.
type Line struct {
	From, To P
	Tags     []Money
}
fmt.Printf("%v\n%+v\n", Line{P{0, 0}, P{1, 1}, []Money{1, 2}}, Line{})
// Output:
// {P(0,0) P(1,1) [$1 $2]}
// {From:P(0,0) To:P(0,0) Tags:[]}

// -- cell --
log.SetFlags(0)
log.Println("point", P{2, 3})
log.Printf("%T", P{})
// Output:
// point P(2,3)
// main.P

// -- cell --
// Nil pointers: a pointer method is called, as fmt does; a value method
// or a method that panics gives <nil>.
type N struct{ v int }

func (n *N) String() string {
	if n == nil {
		return "no N"
	}
	return "N"
}

type Boom struct{ v int }

func (b *Boom) String() string { return fmt.Sprint(b.v) }

var np *N
var bp *Boom
var pp *P
fmt.Println(np, bp, pp)
// Output:
// no N <nil> <nil>

// -- cell --
// Generic types print as reflect names them.
type Pair[K comparable, V any] struct {
	Key K
	Val V
}

func (p Pair[K, V]) String() string { return fmt.Sprintf("%v=%v", p.Key, p.Val) }

pr := Pair[string, int]{"a", 1}
fmt.Println(pr, []Pair[string, int]{pr})
fmt.Printf("%T\n", pr)
// Output:
// a=1 [a=1]
// main.Pair[string,int]

// -- cell --
// Where the interpreter cannot name a field (an embedded type redefined
// since), fmt prints as the interpreter's value has it.
type Inner struct{ A int }
type Outer struct {
	Inner
	N int
}
o := Outer{Inner{1}, 2}
// -- cell --
type Inner struct{ A, B int }
// Output:
// note: Inner redefined; still using the earlier definition until their cells run again: Outer
// -- cell --
fmt.Println(o)
// Output:
// {{1} 2}

// -- cell --
// Values held in interfaces a cell declares, and %T of interface values.
type Shape interface{ Area() float64 }
type Sq struct{ S float64 }

func (s Sq) Area() float64  { return s.S * s.S }
func (s Sq) String() string { return fmt.Sprintf("Sq(%g)", s.S) }

type Circ struct{ R float64 }

func (c Circ) Area() float64 { return 3 * c.R * c.R }

shapes := []Shape{Sq{2}, Circ{1}}
fmt.Println(shapes)
for _, s := range shapes {
	fmt.Printf("%v %+v %T\n", s, s, s)
}
var held any = P{1, 2}
fmt.Printf("%T %T\n", held, any(3))
// Output:
// [Sq(2) {1}]
// Sq(2) Sq(2) main.Sq
// {1} {R:1} main.Circ
// main.P int
