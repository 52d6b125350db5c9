package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"net/http"
	"sync"

	"github.com/gorilla/sessions"
)

// Session values: everything a session holds lives in its record in the
// store's kv, none of it in the process, so nodes sharing a kv share it.
const (
	valUID   = "uid"   // public user id (Sente's uid): the handshake tells it to the page
	valCSRF  = "csrf"  // the session's CSRF token, rendered into the page
	valCount = "count" // the counter
)

// record is a session's values as the kv keeps them.
type record struct {
	UID   string `json:"uid" redis:"uid"`
	CSRF  string `json:"csrf" redis:"csrf"`
	Count int64  `json:"count" redis:"count"`
}

// kv keeps session records by session id. A record idle for the kv's TTL is
// gone; every get or incr of it is a use.
type kv interface {
	// get returns id's record; ok is false when there is none.
	get(ctx context.Context, id string) (rec record, ok bool, err error)
	// put creates or replaces id's record.
	put(ctx context.Context, id string, rec record) error
	// incr adds one to the record's count, atomically for every node sharing
	// the kv, and returns the new count; ok is false when the record is gone.
	incr(ctx context.Context, id string) (n int64, ok bool, err error)
}

// sessionStore is a server-side gorilla sessions.Store: the cookie carries
// only the session id (32 random bytes, never shown to scripts or logs) and
// the values live in kv.
type sessionStore struct {
	cookieName   string
	secure       bool // mark cookies Secure even on plain-HTTP requests (behind a TLS proxy)
	initialCount int64
	kv           kv

	// incMu serializes the increments of one session on this node (striped
	// by id), so notifications happen in counting order.
	incMu [64]sync.Mutex
	seed  maphash.Seed
}

var _ sessions.Store = (*sessionStore)(nil)

// newSessionStore returns a store over kv.
func newSessionStore(cookieName string, records kv, secure bool, initialCount int64) *sessionStore {
	return &sessionStore{cookieName: cookieName, secure: secure, initialCount: initialCount, kv: records, seed: maphash.MakeSeed()}
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

// Get implements sessions.Store: the request's session, cached per request.
func (st *sessionStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(st, name)
}

// New implements sessions.Store: the live session named by r's cookie, or a
// new empty one (IsNew) with the cookie flags of this app. A client-chosen
// cookie value never becomes a session id: unknown ids get a new session.
func (st *sessionStore) New(r *http.Request, name string) (*sessions.Session, error) {
	s := sessions.NewSession(st, name)
	s.IsNew = true
	s.Options = &sessions.Options{
		Path:     "/",
		HttpOnly: true,                      // scripts cannot read it: an XSS cannot steal the session
		Secure:   st.secure || r.TLS != nil, // never sent over plain HTTP once served over TLS
		SameSite: http.SameSiteLaxMode,      // not sent with cross-site subrequests (fetch, WebSocket, POST forms)
		// MaxAge 0: a browser-session cookie; the kv expires idle sessions.
	}
	c, err := r.Cookie(name)
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		return s, nil
	}
	rec, ok, err := st.kv.get(r.Context(), c.Value)
	if err != nil || !ok {
		return s, err
	}
	s.ID, s.IsNew = c.Value, false
	s.Values[valUID], s.Values[valCSRF], s.Values[valCount] = rec.UID, rec.CSRF, rec.Count
	return s, nil
}

// Save implements sessions.Store: it writes s's values to the kv and, for a
// new session, picks its random id and sets the cookie. Saving a session
// read earlier replaces its record, count included: the app saves only new
// sessions and counts through session.Inc, which the kv does atomically.
func (st *sessionStore) Save(r *http.Request, w http.ResponseWriter, s *sessions.Session) error {
	rec := record{}
	rec.UID, _ = s.Values[valUID].(string)
	rec.CSRF, _ = s.Values[valCSRF].(string)
	rec.Count, _ = s.Values[valCount].(int64)
	newID := s.ID == ""
	if newID {
		id, err := randomToken(32)
		if err != nil {
			return err
		}
		s.ID = id
	}
	if err := st.kv.put(r.Context(), s.ID, rec); err != nil {
		return err
	}
	if newID {
		http.SetCookie(w, sessions.NewCookie(s.Name(), s.ID, s.Options))
	}
	return nil
}

// session is the app's view of a stored session.
type session struct {
	id   string
	uid  string
	csrf string
	st   *sessionStore
}

// Lookup returns the live session named by r's cookie, or nil (with the
// kv's error when it failed).
func (st *sessionStore) Lookup(r *http.Request) (*session, error) {
	gs, err := st.New(r, st.cookieName)
	if err != nil || gs.IsNew {
		return nil, err
	}
	return st.wrap(gs), nil
}

func (st *sessionStore) wrap(gs *sessions.Session) *session {
	uid, _ := gs.Values[valUID].(string)
	csrf, _ := gs.Values[valCSRF].(string)
	return &session{id: gs.ID, uid: uid, csrf: csrf, st: st}
}

// GetOrCreate returns r's session, creating one (and setting its cookie on
// w) when r has none. created reports a new session.
func (st *sessionStore) GetOrCreate(w http.ResponseWriter, r *http.Request) (s *session, created bool, err error) {
	gs, err := st.New(r, st.cookieName)
	if err != nil {
		return nil, false, err
	}
	if !gs.IsNew {
		return st.wrap(gs), false, nil
	}
	csrf, err := randomToken(32)
	if err != nil {
		return nil, false, err
	}
	uidBytes := make([]byte, 12)
	if _, err := rand.Read(uidBytes); err != nil {
		return nil, false, errors.Join(errRandom, err)
	}
	gs.Values[valUID] = "user-" + hex.EncodeToString(uidBytes)
	gs.Values[valCSRF] = csrf
	gs.Values[valCount] = st.initialCount
	if err := gs.Save(r, w); err != nil {
		return nil, false, err
	}
	return st.wrap(gs), true, nil
}

// errSessionGone reports a session that expired or was evicted while in use.
var errSessionGone = errors.New("session: gone")

// Count returns the session's counter.
func (s *session) Count(ctx context.Context) (int64, error) {
	rec, ok, err := s.st.kv.get(ctx, s.id)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, errSessionGone
	}
	return rec.Count, nil
}

// Inc adds one to the counter and returns the new value. A non-nil notify
// is called with it before this node lets another increment of the session
// run, so that its notifications happen in counting order.
func (s *session) Inc(ctx context.Context, notify func(n int64)) (int64, error) {
	mu := &s.st.incMu[maphash.String(s.st.seed, s.id)%uint64(len(s.st.incMu))]
	mu.Lock()
	defer mu.Unlock()
	n, ok, err := s.st.kv.incr(ctx, s.id)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, errSessionGone
	}
	if notify != nil {
		notify(n)
	}
	return n, nil
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
