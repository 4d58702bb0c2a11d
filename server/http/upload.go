package http

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/galley-dev/galley/server"
)

// uploadCount counts the uploads under way per client.
type uploadCount struct {
	mu sync.Mutex
	n  map[string]int
}

// acquire counts one more upload for client unless it has max already.
func (u *uploadCount) acquire(client string, max int) (release func(), ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n == nil {
		u.n = map[string]int{}
	}
	if u.n[client] >= max {
		return nil, false
	}
	u.n[client]++
	return func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.n[client]--; u.n[client] <= 0 {
			delete(u.n, client)
		}
	}, true
}

func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// uploadBody reports a body that ends early (the client went away, or the
// server's read timeout cut it off) as the client's problem, not the
// server's: the upload is incomplete and nothing was saved.
type uploadBody struct {
	r io.Reader
}

func (b *uploadBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		var mbe *http.MaxBytesError
		if !errors.As(err, &mbe) {
			err = server.Errorf(server.EINVALID, "the upload ended before its end (%v): nothing was saved; send the whole file again", err)
		}
	}
	return n, err
}
