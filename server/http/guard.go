package http

import (
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/galley-dev/galley/server"
)

// The checks in this file keep a server on a laptop safe from the web pages
// its user visits. A page cannot read the token, so it cannot authenticate;
// it can still send requests, and through DNS rebinding make them look
// same-origin, so the Host and Origin of every request are checked too, and
// mutating endpoints take only the content types they declare (a form or a
// text/plain POST, which a page may send without asking, never matches).

// guard refuses requests that did not come from a client the server
// trusts. It returns false after answering the request itself.
func (s *Server) guard(w http.ResponseWriter, r *http.Request) bool {
	if !s.hostAllowed(r.Host) {
		s.error(w, r, server.Errorf(server.EFORBIDDEN, "host %q is not one this server answers to: use a loopback address or add the name with --allow-host", r.Host))
		return false
	}
	origin := r.Header.Get("Origin")
	if origin != "" && s.originAllowed(origin) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return false
		}
	}
	if mutating(r.Method) && origin != "" && !s.sameOrigin(origin, r) && !s.originAllowed(origin) {
		s.error(w, r, server.Errorf(server.EFORBIDDEN, "cross-origin request from %q refused: add the origin with --allow-origin to allow it", origin))
		return false
	}
	open := r.URL.Path == "/api/health" || r.URL.Path == "/api/openapi.json"
	if s.page(r) {
		// The pages ask for the token themselves (pages.go).
		return true
	}
	if !open && !s.authorized(r) {
		s.error(w, r, server.Errorf(server.EUNAUTHORIZED, "missing or wrong bearer token: send \"Authorization: Bearer TOKEN\"; the CLI reads the token from $GALLEY_TOKEN or the server's token file (galley token show)"))
		return false
	}
	return true
}

func mutating(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// metricsPath serves the online scoring counters; like the API, and
// unlike the pages, it takes the bearer token (or the pages' cookie).
const metricsPath = "/metrics"

// page reports whether r is for the web pages rather than the API.
func (s *Server) page(r *http.Request) bool {
	return s.Pages != nil && !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != metricsPath
}

// authorized checks the bearer token, or the cookie the pages keep it in.
// The scheme is case-insensitive, as RFC 9110 says; the comparison takes the
// same time wherever the tokens differ.
func (s *Server) authorized(r *http.Request) bool {
	want := s.token()
	if want == "" {
		return true
	}
	if r.Header.Get("Authorization") == "" && s.cookieAuthorized(r) {
		return true
	}
	scheme, got, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	got = strings.TrimSpace(got)
	if !ok || !strings.EqualFold(scheme, "Bearer") || got == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// token is the token requests must carry: Token, else the contents of
// TokenFile, read again whenever the file changes so that a rotated token
// takes effect without a restart.
func (s *Server) token() string {
	if s.TokenFile == "" {
		return s.Token
	}
	return s.tokens.read(s.TokenFile, s.Token)
}

// tokenCache holds the last token read from a file and the file's state.
type tokenCache struct {
	mu      sync.Mutex
	modTime time.Time
	size    int64
	token   string
}

func (c *tokenCache) read(path, fallback string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	fi, err := os.Stat(path)
	if err != nil {
		// A token file that disappeared must not open the server: keep the
		// last token known.
		if c.token == "" {
			return fallback
		}
		return c.token
	}
	if c.token != "" && fi.ModTime().Equal(c.modTime) && fi.Size() == c.size {
		return c.token
	}
	if t, err := ReadToken(path); err == nil {
		c.token, c.modTime, c.size = t, fi.ModTime(), fi.Size()
	}
	if c.token == "" {
		return fallback
	}
	return c.token
}

// hostAllowed defeats DNS rebinding: a page that made its own name resolve
// to this machine still sends that name as Host. IP literals cannot be
// rebound, and "localhost" is the machine's own.
func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return false
	}
	if net.ParseIP(host) != nil || host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	for _, h := range s.AllowedHosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

func (s *Server) originAllowed(origin string) bool {
	return slices.ContainsFunc(s.AllowedOrigins, func(o string) bool {
		return o == "*" || strings.EqualFold(strings.TrimRight(o, "/"), origin)
	})
}

// sameOrigin reports whether origin is the server itself as the request
// addressed it; the Host was checked already.
func (s *Server) sameOrigin(origin string, r *http.Request) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// checkContentType refuses a request body of a type the route does not
// declare: JSON routes take application/json, uploads their own type.
func (s *Server) checkContentType(want string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !strings.EqualFold(mt, want) {
			if ct == "" {
				ct = "none"
			}
			s.error(w, r, server.Errorf(server.EMEDIATYPE, "content type %s is not accepted here: send Content-Type: %s", ct, want))
			return
		}
		next(w, r)
	}
}
