package main

import (
	"crypto/rand"
	"errors"
	"html"
	"net/http"
	"sync"
)

// maxSessions bounds the sessions the bench server keeps; a load run
// bootstraps a handful.
const maxSessions = 4096

const sessionCookie = "chskbench-session"

// sessionStore maps session cookies to CSRF tokens, as the session
// middleware of a Clojure app does for Sente.
type sessionStore struct {
	mu     sync.Mutex
	tokens map[string]string
	max    int
}

var errTooManySessions = errors.New("too many sessions")

func newSessionStore(max int) *sessionStore {
	return &sessionStore{tokens: make(map[string]string), max: max}
}

// create returns a new session id and its token.
func (st *sessionStore) create() (id, token string, err error) {
	id, token = rand.Text(), rand.Text()
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.tokens) >= st.max {
		return "", "", errTooManySessions
	}
	st.tokens[id] = token
	return id, token, nil
}

// csrfToken is the Sente server's CSRFToken function: the token of the
// request's session, or "" (refused) without one.
func (st *sessionStore) csrfToken(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) > 64 {
		return ""
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.tokens[c.Value]
}

// servePage renders the app page of a Sente app: the CSRF token in
// #sente-csrf-token, and the session cookie that goes with it.
func (st *sessionStore) servePage(w http.ResponseWriter, r *http.Request) {
	token := st.csrfToken(r)
	if token == "" {
		id, t, err := st.create()
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		token = t
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<!doctype html><title>chskbench</title><div id="sente-csrf-token" data-csrf-token="` +
		html.EscapeString(token) + `"></div>` + "\n"))
}
