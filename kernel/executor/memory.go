package executor

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// watchMemory enforces limit: the garbage collector is told to work hard
// to stay below it, and a watchdog ends the worker when the memory the Go
// runtime holds from the system passes it anyway. The exit message starts
// with "fatal error:" like the runtime's own, so the supervisor reports it
// as the cause.
func watchMemory(limit int64, stderr io.Writer) (stop func()) {
	debug.SetMemoryLimit(limit * 9 / 10)
	samples := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			metrics.Read(samples)
			used := int64(samples[0].Value.Uint64() - samples[1].Value.Uint64())
			if used > limit {
				fmt.Fprintf(stderr, "\nfatal error: memory limit exceeded: the worker used %d MiB of its %d MiB limit\n", used>>20, limit>>20)
				os.Exit(3)
			}
		}
	}()
	return func() { close(done) }
}
