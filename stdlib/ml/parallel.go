package ml

import (
	"runtime"
	"sync"
)

// chunkRows is the block of rows a worker processes at a time: small enough
// that a block's intermediate vectors stay in cache.
const chunkRows = 4096

func workerCount(threads int) int {
	if threads > 0 {
		return threads
	}
	return runtime.GOMAXPROCS(0)
}

// parallelBlocks calls fn(worker, lo, hi) for consecutive row blocks of
// [0, n), spread over workers goroutines. Block b always goes to worker
// b % workers, so per-worker partial results, reduced in worker order, are
// the same on every run.
func parallelBlocks(n, workers int, fn func(worker, lo, hi int)) {
	blocks := (n + chunkRows - 1) / chunkRows
	if workers > blocks {
		workers = blocks
	}
	if workers <= 1 {
		for lo := 0; lo < n; lo += chunkRows {
			fn(0, lo, min(lo+chunkRows, n))
		}
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := w; b < blocks; b += workers {
				lo := b * chunkRows
				fn(w, lo, min(lo+chunkRows, n))
			}
		}(w)
	}
	wg.Wait()
}

// parallelItems calls fn(i) for i in [0, n) on up to workers goroutines.
func parallelItems(n, workers int, fn func(i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}
