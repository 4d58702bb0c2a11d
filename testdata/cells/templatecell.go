// text/template and html/template call the methods of types cells declare
// and see their fields under their declared names.
type User struct {
	First, Last string
	Tags        []string
	age         int
	Boss        *User
}

func (u User) Full() string { return u.First + " " + u.Last }
func (u User) Adult() bool  { return u.age >= 18 }
func (u *User) Initials() string { return u.First[:1] + u.Last[:1] }
func (u User) Checked() (string, error) {
	if u.Last == "" {
		return "", errors.New("no last name")
	}
	return "ok", nil
}

t := template.Must(template.New("t").Parse("{{.Full}} {{.First}} {{if .Adult}}adult{{end}} {{range .Tags}}[{{.}}]{{end}} {{.Checked}}\n"))
var out strings.Builder
err := t.Execute(&out, User{First: "Ada", Last: "Lovelace", Tags: []string{"math"}, age: 36})
fmt.Print(out.String(), err, "\n")
// Output:
// Ada Lovelace Ada adult [math] ok
// <nil>
// -- cell --
// Pointer receivers count for pointers; nested values and slices of cell
// types are seen the same way.
boss := &User{First: "Grace", Last: "Hopper"}
t2 := template.Must(template.New("t").Parse("{{.Initials}} {{.Boss.Full}}\n"))
t3 := template.Must(template.New("s").Parse("{{range .}}{{.Full}};{{end}}\n"))
out.Reset()
_ = t2.Execute(&out, &User{First: "Alan", Last: "Turing", Boss: boss})
_ = t3.ExecuteTemplate(&out, "s", []User{*boss, {First: "Alan", Last: "Kay"}})
fmt.Print(out.String())
// Output:
// AT Grace Hopper
// Grace Hopper;Alan Kay;
// -- cell --
// A method that fails is left out: Go would report its error instead.
err = template.Must(template.New("t").Parse("{{.Checked}}")).Execute(io.Discard, User{First: "X"})
strings.Contains(err.Error(), `can't evaluate field Checked`)
// Output:
// true
// -- cell --
// html/template escapes what the methods return.
import htmltemplate "html/template"
// -- cell --
type Link struct{ Text string }

func (l Link) Label() string { return "<" + l.Text + ">" }

h := htmltemplate.Must(htmltemplate.New("h").Parse(`<b>{{.Label}}</b>`))
var sb strings.Builder
err = h.Execute(&sb, Link{"x"})
sb.String(), err
// Output:
// "<b>&lt;x&gt;</b>" <nil>
// -- cell --
// Maps with string keys and nil pointers are seen as Go's are.
out.Reset()
m := template.Must(template.New("m").Parse("{{.a.Full}} {{if .a.Boss}}boss{{else}}no boss{{end}}\n"))
_ = m.Execute(&out, map[string]User{"a": {First: "Ada", Last: "L"}})
fmt.Print(out.String())
// Output:
// Ada L no boss
