package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRecipeProfile(t *testing.T) {
	var out bytes.Buffer
	e, err := New(Options{Stdout: &out, Stderr: &out, Profile: RecipeProfile()})
	if err != nil {
		t.Fatal(err)
	}
	blocked := []struct{ code, want string }{
		{"exec.Command(\"ls\")", "cell:1:6: package os/exec may not be used in a recipe"},
		{"import \"os/exec\"\nvar _ = exec.ErrNotFound", "cell:1:8: package os/exec may not be used in a recipe"},
		{"x := 1\nos.Exit(x)", "cell:2:4: os.Exit may not be used in a recipe"},
		{"import \"syscall\"\nsyscall.Getpid()", "cell:1:8: package syscall may not be used in a recipe"},
		{"import \"unsafe\"\nvar p unsafe.Pointer\n_ = p", "cell:1:8: package unsafe may not be used in a recipe"},
		{"func f() { debug.FreeOSMemory() }", "cell:1:18: package runtime/debug may not be used in a recipe"},
	}
	for _, tt := range blocked {
		_, err := e.Execute(context.Background(), tt.code)
		ce, ok := err.(*CellError)
		if !ok || ce.Name != CompileError || ce.Traceback()[0] != tt.want {
			t.Errorf("%q: err = %v; want %q", tt.code, err, tt.want)
		}
	}
	// What is not blocked runs as in a notebook.
	d, err := e.Execute(context.Background(), "n := 0\nfor i := range 3 { n += i }\nfmt.Println(strings.ToUpper(\"ok\"), os.Getenv(\"NO_SUCH_VARIABLE_X\") == \"\")\nmin(n, 5)")
	if err != nil || d == nil || !strings.Contains(out.String(), "OK true") {
		t.Fatalf("allowed cell: %v, %v, %q", d, err, out.String())
	}
}

func TestLookupNewCall(t *testing.T) {
	e, err := New(Options{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := e.Execute(ctx, "type M struct{ N int }\nfunc Make(n int) any { return &M{N: n} }\nfunc Boom() { var m map[string]int; m[\"x\"] = 1 }"); err != nil {
		t.Fatal(err)
	}
	v, err := e.Lookup("Make")
	if err != nil {
		t.Fatal(err)
	}
	made := v.Interface().(func(int) any)(4)
	name, ok := e.TypeName(made)
	if !ok || name != "*main.M" {
		t.Fatalf("TypeName = %q, %v", name, ok)
	}
	p, err := e.New(name)
	if err != nil || p.Elem().Field(0).Int() != 0 {
		t.Fatalf("New(%s) = %v, %v", name, p, err)
	}
	if n, _ := e.TypeName(p.Interface()); n != "*main.M" {
		t.Errorf("TypeName(New) = %q", n)
	}
	if _, err := e.Lookup("Nope"); err == nil {
		t.Error("Lookup of an undefined name succeeded")
	}
	boom, _ := e.Lookup("Boom")
	err = e.Call(ctx, func() error { boom.Interface().(func())(); return nil })
	if ce, ok := err.(*CellError); !ok || !strings.Contains(ce.Value, "nil map") {
		t.Errorf("Call of a panicking function = %v", err)
	}
	// A goroutine the cells' code starts panics: the call fails, as the
	// program would have. (Spawn outlives the panic by a wide margin: a
	// goroutine's own deferred calls run before its panic is reported.)
	if _, err := e.Execute(ctx, "func Spawn() {\n\tgo func() {\n\t\tpanic(\"in a goroutine\")\n\t}()\n\ttime.Sleep(time.Second)\n}"); err != nil {
		t.Fatal(err)
	}
	spawn, _ := e.Lookup("Spawn")
	err = e.Call(ctx, func() error { spawn.Interface().(func())(); return nil })
	if ce, ok := err.(*CellError); !ok || ce.Value != "in a goroutine" {
		t.Errorf("Call of a function whose goroutine panics = %v", err)
	}
}
