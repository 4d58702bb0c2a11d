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
