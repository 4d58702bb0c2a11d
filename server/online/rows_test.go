package online_test

import (
	"fmt"
	"strings"
	"testing"
)

// A serving worker overwrites its request file in place: rows shorter and
// fewer than the last request's must be scored alone, with nothing left
// over from before.
func TestShorterRequestsAfterLongerOnes(t *testing.T) {
	s := fixture(t, 1, nil)
	var long []string
	for i := 0; i < 50; i++ {
		long = append(long, fmt.Sprintf("%s-%d", strings.Repeat("x", 40), i))
	}
	predict(t, s, "m@1", 1, long...)
	predict(t, s, "m@1", 1, "a")
	predict(t, s, "m@1", 1, long[:3]...)
	predict(t, s, "m@1", 1, "b", "c")
}
