package data

import (
	"fmt"
	"runtime/debug"
	"sync"
)

// faultGuard turns memory faults while reading a mapped file (the file
// was truncated under the reader) into an error instead of a crash. Every
// goroutine that reads the mapping runs its reads in do.
type faultGuard struct {
	mu  sync.Mutex
	err error
}

// do runs fn, recovering from a memory fault in it.
func (g *faultGuard) do(fn func()) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			g.mu.Lock()
			if g.err == nil {
				g.err = fmt.Errorf("the file changed while it was read: %v", r)
			}
			g.mu.Unlock()
		}
	}()
	fn()
}

func (g *faultGuard) failed() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}
