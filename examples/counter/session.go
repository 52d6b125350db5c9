package main

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"sync"
	"time"
)

// session is one browser's server-side state. Its id is the secret the
// cookie carries; uid and csrf are handed to the page.
type session struct {
	id   string // cookie value: 32 random bytes; never shown to scripts or logs
	uid  string // public user id (Sente's uid): the handshake tells it to the page
	csrf string // the session's CSRF token, rendered into the page

	mu    sync.Mutex
	count int64

	// Owned by the store, under store.mu.
	expires time.Time
	elem    *list.Element
}

// Count returns the session's counter.
func (s *session) Count() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

// Inc adds one to the counter and returns the new value. A non-nil notify
// is called with it before the lock is released, so that notifications of
// concurrent increments happen in counting order.
func (s *session) Inc(notify func(n int64)) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.count++
	if notify != nil {
		notify(s.count)
	}
	return s.count
}

// sessionStore keeps sessions in memory, least recently used first out: a
// session expires after TTL without requests, and when MaxSessions are live
// the least recently used one makes room for a new one. Because every use
// pushes the session's expiry to now+TTL, recency order is expiry order, so
// one list serves both rules.
type sessionStore struct {
	cookieName   string
	ttl          time.Duration
	max          int
	secure       bool // mark cookies Secure even on plain-HTTP requests (behind a TLS proxy)
	initialCount int64
	now          func() time.Time

	mu   sync.Mutex
	byID map[string]*session
	lru  *list.List // of *session, most recently used at the front
}

// newSessionStore returns an empty store. ttl and max must be positive.
func newSessionStore(cookieName string, ttl time.Duration, max int, secure bool, initialCount int64) *sessionStore {
	return &sessionStore{
		cookieName:   cookieName,
		ttl:          ttl,
		max:          max,
		secure:       secure,
		initialCount: initialCount,
		now:          time.Now,
		byID:         make(map[string]*session),
		lru:          list.New(),
	}
}

// errRandom reports that the system's random source failed; no session is
// ever created with a weak id.
var errRandom = errors.New("session: cannot read random bytes")

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", errors.Join(errRandom, err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Get returns the live session named by r's cookie, or nil. A session found
// is used: its expiry moves to now+TTL.
func (st *sessionStore) Get(r *http.Request) *session {
	c, err := r.Cookie(st.cookieName)
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		return nil
	}
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.byID[c.Value]
	if s == nil {
		return nil
	}
	if !now.Before(s.expires) {
		st.removeLocked(s)
		return nil
	}
	s.expires = now.Add(st.ttl)
	st.lru.MoveToFront(s.elem)
	return s
}

// GetOrCreate returns r's session, creating one (and setting its cookie on
// w) when r has none. created reports a new session. A client-chosen cookie
// value never becomes a session id: unknown ids get a fresh session.
func (st *sessionStore) GetOrCreate(w http.ResponseWriter, r *http.Request) (s *session, created bool, err error) {
	if s := st.Get(r); s != nil {
		return s, false, nil
	}
	s, err = st.create()
	if err != nil {
		return nil, false, err
	}
	http.SetCookie(w, &http.Cookie{
		Name:     st.cookieName,
		Value:    s.id,
		Path:     "/",
		HttpOnly: true,                      // scripts cannot read it: an XSS cannot steal the session
		Secure:   st.secure || r.TLS != nil, // never sent over plain HTTP once served over TLS
		SameSite: http.SameSiteLaxMode,      // not sent with cross-site subrequests (fetch, WebSocket, POST forms)
		// No Expires/Max-Age: a browser-session cookie; the server expires idle sessions.
	})
	return s, true, nil
}

// create makes and stores a new session, evicting expired sessions and, at
// the cap, the least recently used one.
func (st *sessionStore) create() (*session, error) {
	id, err := randomToken(32)
	if err != nil {
		return nil, err
	}
	csrf, err := randomToken(32)
	if err != nil {
		return nil, err
	}
	uidBytes := make([]byte, 12)
	if _, err := rand.Read(uidBytes); err != nil {
		return nil, errors.Join(errRandom, err)
	}
	s := &session{id: id, uid: "user-" + hex.EncodeToString(uidBytes), csrf: csrf, count: st.initialCount}

	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	for e := st.lru.Back(); e != nil; e = st.lru.Back() {
		old := e.Value.(*session)
		if now.Before(old.expires) && st.lru.Len() < st.max {
			break
		}
		st.removeLocked(old)
	}
	s.expires = now.Add(st.ttl)
	s.elem = st.lru.PushFront(s)
	st.byID[s.id] = s
	return s, nil
}

func (st *sessionStore) removeLocked(s *session) {
	st.lru.Remove(s.elem)
	delete(st.byID, s.id)
}

// Len returns the number of stored sessions, expired ones not yet evicted
// included.
func (st *sessionStore) Len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.lru.Len()
}

type sessionKey struct{}

// withSession returns ctx carrying s.
func withSession(ctx context.Context, s *session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// sessionFrom returns the session stored by withSession, or nil.
func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}
