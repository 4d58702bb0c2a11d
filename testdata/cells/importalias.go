// A renamed import alone in a cell is kept for later cells.
import str "strings"
// -- cell --
str.ToUpper("a")
// Output:
// "A"
// -- cell --
import (
	"fmt"
	b64 "encoding/base64"
)

var show = fmt.Println
// -- cell --
show(b64.StdEncoding.EncodeToString([]byte("hi")))
// Output:
// aGk=
// -- cell --
// A variable of a renamed import's type in the cell that imports it.
import tpl "html/template"

var page = tpl.Must(tpl.New("page").Parse(`<b>{{.}}</b>`))
var sb str.Builder
page.Execute(&sb, "<x>")
sb.String(), page.Name()
// Output:
// "<b>&lt;x&gt;</b>" "page"
