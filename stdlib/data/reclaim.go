package data

import (
	"runtime"
	"runtime/metrics"
	"sync"
)

// Bulk reads and writes allocate their results on the Go heap, beside
// short-lived page, parse and encode buffers. The collector's default
// pacing (GOGC=100) lets the heap grow to twice what was live at the last
// collection before it looks again, so a 1.4 GB Parquet read would peak
// near 2.8 GB with garbage the collector has not yet been asked about. The
// engine instead collects at its own seams (between the columns or chunks
// of a bulk operation) whenever the garbage made since the last collection
// exceeds an eighth of the live heap, and at least reclaimSlack. Freed
// spans are then reused by the next column, so the process's resident
// size stays near what is live. A collection of a heap of large pointer-free
// Arrow buffers costs a few milliseconds, as the collector does not scan
// them.

// reclaimSlack is the garbage always tolerated before a collection.
const reclaimSlack = 64 << 20

var reclaimMu sync.Mutex // one collection at a time; others skip

// reclaim collects now if the heap holds more garbage than the policy
// above allows. It is cheap to call when nothing needs collecting.
func reclaim() {
	if !reclaimMu.TryLock() {
		return // another goroutine is collecting on our behalf
	}
	defer reclaimMu.Unlock()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return
	}
	live, heap := s[0].Value.Uint64(), s[1].Value.Uint64()
	if heap > live && heap-live > max(reclaimSlack, live/8) {
		runtime.GC()
	}
}
