package http

import (
	"crypto/subtle"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/galley-dev/galley/server"
)

// The web pages live beside the API and pass the same guard: the Host
// allow-list, the Origin check on every mutating request, and the token. A
// browser cannot send a bearer header when it follows a link, so a page asks
// for the token once and keeps it in a cookie that only this server's own
// pages send (HttpOnly, SameSite=Strict). The API accepts that cookie too,
// for the requests the pages make; a page on another site can neither read
// it nor make the browser send it, and its requests fail the Origin and
// content-type checks besides.

// tokenCookie names the cookie that holds the token for the pages.
const tokenCookie = "galley_token"

// loginPath is where the pages' login form posts the token.
const loginPath = "/ui/login"

// servePages answers a request outside /api: the login form, or a page once
// the request carries the token.
func (s *Server) servePages(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == loginPath && r.Method == http.MethodPost {
		s.login(w, r)
		return
	}
	// A link printed by `galley serve` or `make run` carries the token once,
	// as JupyterLab's do: keep it in the cookie and drop it from the URL.
	if q := r.URL.Query(); q.Has("token") && r.Method == http.MethodGet {
		if !s.tokenMatches(q.Get("token")) {
			s.loginForm(w, r, "That token is not this server's. Paste the one from 'galley token show'.")
			return
		}
		s.setTokenCookie(w, r, q.Get("token"))
		q.Del("token")
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return
	}
	if !s.authorized(r) {
		s.loginForm(w, r, "")
		return
	}
	s.Pages.ServeHTTP(w, r)
}

// login takes the token from the form, keeps it in the cookie and goes
// back to the page that asked for it.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		s.loginForm(w, r, "The form could not be read: try again.")
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if !s.tokenMatches(token) {
		s.loginForm(w, r, "That token is not this server's. Paste the one from 'galley token show'.")
		return
	}
	s.setTokenCookie(w, r, token)
	next := r.PostForm.Get("next")
	if u, err := url.Parse(next); err != nil || next == "" || u.IsAbs() || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(next, "//") {
		// Only a path on this server: never a redirect elsewhere.
		next = "/ui/runs"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) setTokenCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name:     tokenCookie,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteStrictMode,
	})
}

// tokenMatches compares a token a user gave with the server's in constant
// time; a blank one never matches.
func (s *Server) tokenMatches(got string) bool {
	want := s.token()
	if want == "" {
		return true
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// cookieAuthorized reports whether the request carries the token in the
// pages' cookie.
func (s *Server) cookieAuthorized(r *http.Request) bool {
	c, err := r.Cookie(tokenCookie)
	return err == nil && s.tokenMatches(c.Value)
}

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>galley: sign in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d2330}
input[type=password]{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}button{margin-top:1rem;padding:.5rem 1rem;font:inherit}
.problem{color:#a40e26}code{background:#eef1f5;padding:0 .25rem}</style></head>
<body><main><h1>galley</h1>
<p>This server asks for its token. Run <code>galley token show</code> on the machine it runs on and paste the token here; this browser keeps it for this server only.</p>
{{if .Problem}}<p class="problem" role="alert">{{.Problem}}</p>{{end}}
<form method="post" action="/ui/login"><label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="hidden" name="next" value="{{.Next}}"><button type="submit">Open</button></form></main></body></html>
`))

// loginForm answers 401 with a form that asks for the token.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request, problem string) {
	next := r.URL.RequestURI()
	if r.URL.Path == loginPath {
		next = "/ui/runs"
	}
	if strings.HasPrefix(r.URL.Path, "/ui/live/") || r.Method != http.MethodGet {
		s.error(w, r, server.Errorf(server.EUNAUTHORIZED, "this page needs the server's token: open a page of this server and sign in"))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusUnauthorized)
	loginPage.Execute(w, struct{ Problem, Next string }{problem, next})
}
