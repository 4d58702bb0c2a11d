package worker

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/objectstore"
)

// TestAssembly: parts are appended in order only once they and the parts
// before them have succeeded, the header once; the output is published
// only by finish, never by abort; a part with other columns is refused.
func TestAssembly(t *testing.T) {
	ctx := context.Background()
	objects, err := objectstore.OpenDefault(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer objects.Close()
	p := &Pool{Objects: objects, Dir: t.TempDir()}
	put := func(run int64, k int, text string) {
		if err := objects.Put(ctx, objectstore.PartKey(run, k), strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	parts := func(run int64, states ...server.RunState) []*server.RunPart {
		var ps []*server.RunPart
		for k, s := range states {
			ps = append(ps, &server.RunPart{Run: run, Part: k, State: s})
		}
		return ps
	}
	ok, run := server.RunSucceeded, server.RunRunning
	put(1, 0, "id,p\na,\"1\n\"\n")
	put(1, 1, "id,p\nb,2\n")
	put(1, 2, "id,p\nc,3\n")

	a, err := p.startAssembly(&server.Run{ID: 1, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, ps := range [][]*server.RunPart{parts(1, run, ok, run), parts(1, ok, ok, run), parts(1, ok, ok, run)} {
		if err := a.add(ctx, objects, ps); err != nil {
			t.Fatal(err)
		}
	}
	if a.next != 2 {
		t.Errorf("%d parts appended, want 2 (part 3 is still running)", a.next)
	}
	if err := a.add(ctx, objects, parts(1, ok, ok, ok)); err != nil {
		t.Fatal(err)
	}
	if found, _ := objects.Exists(ctx, objectstore.OutputKey(1)); found {
		t.Errorf("the output is published before the assembly is finished")
	}
	key, err := a.finish()
	if err != nil || key != objectstore.OutputKey(1) {
		t.Fatalf("finish = %q, %v", key, err)
	}
	want := "id,p\na,\"1\n\"\nb,2\nc,3\n"
	local, _ := os.ReadFile(a.path)
	if string(local) != want {
		t.Errorf("local output %q, want %q", local, want)
	}
	stored := t.TempDir() + "/out.csv"
	if err := objects.Fetch(ctx, key, stored); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(stored); string(b) != want {
		t.Errorf("stored output %q, want %q", b, want)
	}

	// An abandoned assembly publishes nothing and leaves no file.
	put(2, 0, "id,p\nx,1\n")
	a, err = p.startAssembly(&server.Run{ID: 2, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.add(ctx, objects, parts(2, ok, run)); err != nil {
		t.Fatal(err)
	}
	a.abort()
	if found, _ := objects.Exists(ctx, objectstore.OutputKey(2)); found {
		t.Errorf("an aborted assembly published its output")
	}
	if _, err := os.Stat(a.path); !os.IsNotExist(err) {
		t.Errorf("an aborted assembly left %s (%v)", a.path, err)
	}

	// Parts with other columns fail the run.
	put(3, 0, "id,p\nx,1\n")
	put(3, 1, "id,q\ny,2\n")
	a, err = p.startAssembly(&server.Run{ID: 3, Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer a.abort()
	if err := a.add(ctx, objects, parts(3, ok, ok)); server.ErrorCode(err) != server.EINVALID || !strings.Contains(err.Error(), "same columns") {
		t.Errorf("parts with other columns: %v", err)
	}
}
