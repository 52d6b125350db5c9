// Package refapp holds the reference app of the golden transcripts
// (shared/golden/README.md) for tests: ring-style sessions with an
// anti-forgery token and a page that carries the token. It imports nothing of
// chsk, so that chsk's own tests and the Go client's tests build the same app.
package refapp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
)

// Sessions is ring's wrap-session + wrap-anti-forgery: every request without a
// known session gets one (and a Set-Cookie), and POSTs must carry the token in
// a header, else 403 HTML. The token reaches the next handler through
// WithToken.
type Sessions struct {
	WithToken func(context.Context, string) context.Context

	mu sync.Mutex
	m  map[string]string // session id -> CSRF token
}

// Wrap returns next behind the session and anti-forgery checks.
func (s *Sessions) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id, token string
		if ck, err := r.Cookie("ring-session"); err == nil {
			token = s.token(ck.Value)
		}
		if token == "" {
			id, token = s.create()
			w.Header().Add("Set-Cookie", "ring-session="+id+";Path=/;HttpOnly")
		}
		if r.Method == http.MethodPost {
			got := r.Header.Get("X-CSRF-Token")
			if got == "" {
				got = r.Header.Get("X-XSRF-Token")
			}
			if got != token {
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusForbidden)
				_, _ = w.Write([]byte("<h1>Invalid anti-forgery token</h1>"))
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(s.WithToken(r.Context(), token)))
	})
}

// New creates a session and returns its cookie ("ring-session=…") and token.
func (s *Sessions) New() (cookie, token string) {
	id, token := s.create()
	return "ring-session=" + id, token
}

func (s *Sessions) token(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[id]
}

func (s *Sessions) create() (id, token string) {
	id = rand.Text()
	token = base64.StdEncoding.EncodeToString([]byte(rand.Text() + rand.Text() + rand.Text()))[:80]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string]string)
	}
	s.m[id] = token
	return id, token
}

// Route serves the reference app's paths: the page with the token at "/",
// chsk at "/chsk" (GET and POST), and a plain 404 for everything else.
func Route(w http.ResponseWriter, r *http.Request, token string, chsk http.Handler) {
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!DOCTYPE html><html><head><title>Sente rig</title></head><body><h1>Sente reference rig</h1><div id="sente-csrf-token" data-csrf-token="` +
			token + `"></div></body></html>`))
	case r.URL.Path == "/chsk" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		chsk.ServeHTTP(w, r)
	default:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("Not found"))
	}
}
