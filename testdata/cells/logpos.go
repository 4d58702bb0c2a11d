// log with Lshortfile or Llongfile reports the cell's line.
log.SetFlags(log.Lshortfile)
log.Println("hi")
log.SetPrefix("app: ")
log.Printf("n=%d", 3)
// Output:
// cell:3: hi
// app: cell:5: n=3

// -- cell --
log.SetFlags(log.Lshortfile | log.Lmsgprefix)
log.Print("msg")
w := log.Writer() // the same stream as log.Print, so the order is kept
l := log.New(w, "L ", log.Llongfile)
l.Println("from logger")
log.SetFlags(0)
log.SetPrefix("")
// Output:
// cell:2: app: msg
// L cell:5: from logger

// -- cell --
func check(ok bool) {
	log.SetFlags(log.Lshortfile)
	if !ok {
		log.Fatalf("check failed")
	}
}
check(false)
// Output:
// cell:4: check failed
// error: Exit: exit status 1
//   cell:7:1: in this cell
//   cell:2:2: in check (body starts here)
