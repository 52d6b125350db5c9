package chsk

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

// refApp is the reference app of the golden transcripts (shared/golden/README.md),
// built on gosente: ring-style sessions with an anti-forgery token, a page
// carrying the token, Sente on /chsk with user-id = client-id, and a handler
// that logs every event, echoes :test/echo and pushes :test/push twice.
type refApp struct {
	t   testing.TB
	srv *Server
	hs  *httptest.Server

	mu       sync.Mutex
	sessions map[string]string // session id -> CSRF token
	log      []string          // event log, one EDN map per event
	events   chan *Message     // every event, for tests that wait on one
}

// refOptions are the reference app's Sente options; tests adjust them.
func refOptions() Options {
	return Options{
		UserID:          func(_ *http.Request, cid string) any { return cid },
		LongPollTimeout: 2 * time.Second,
		KeepAlive:       3 * time.Second,
	}
}

func newRefApp(t testing.TB, opts Options) *refApp {
	t.Helper()
	a := &refApp{t: t, sessions: make(map[string]string), events: make(chan *Message, 1024)}
	opts.Handler = HandlerFunc(a.handle)
	opts.CSRFToken = func(r *http.Request) string { return CSRFTokenFromContext(r.Context()) }
	srv, err := New(&opts)
	if err != nil {
		t.Fatal(err)
	}
	a.srv = srv
	a.hs = httptest.NewServer(a.session(http.HandlerFunc(a.route)))
	t.Cleanup(func() {
		a.hs.CloseClientConnections()
		a.hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return a
}

// session is ring's wrap-session + wrap-anti-forgery: every request without a
// known session gets one (and a Set-Cookie), and POSTs must carry the token
// in a header (or the __anti-forgery-token field), else 403 HTML.
func (a *refApp) session(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		var token string
		if ck, err := r.Cookie("ring-session"); err == nil {
			token = a.sessions[ck.Value]
		}
		if token == "" {
			id := rand.Text()
			token = base64.StdEncoding.EncodeToString([]byte(rand.Text() + rand.Text() + rand.Text()))[:80]
			a.sessions[id] = token
			w.Header().Add("Set-Cookie", "ring-session="+id+";Path=/;HttpOnly")
		}
		a.mu.Unlock()
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
		next.ServeHTTP(w, r.WithContext(WithCSRFToken(r.Context(), token)))
	})
}

func (a *refApp) route(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!DOCTYPE html><html><head><title>Sente rig</title></head><body><h1>Sente reference rig</h1><div id="sente-csrf-token" data-csrf-token="` +
			CSRFTokenFromContext(r.Context()) + `"></div></body></html>`))
	case r.URL.Path == "/chsk" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		a.srv.ServeHTTP(w, r)
	default:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("Not found"))
	}
}

func (a *refApp) handle(m *Message) {
	method := "get"
	if m.Request != nil {
		method = strings.ToLower(m.Request.Method)
	}
	line, err := wire.Marshal(wire.NewMap(
		wire.Keyword("t"), time.Now().UnixMilli(),
		wire.Keyword("id"), m.Event.ID,
		wire.Keyword("?data"), m.Event.Data,
		wire.Keyword("uid"), m.UID,
		wire.Keyword("client-id"), m.ClientID,
		wire.Keyword("reply-fn?"), m.WantsReply(),
		wire.Keyword("method"), wire.Keyword(method),
		wire.Keyword("ws?"), m.Transport == adapter.WebSocket,
	))
	if err != nil {
		a.t.Errorf("event log: %v", err)
	}
	a.mu.Lock()
	a.log = append(a.log, string(line))
	a.mu.Unlock()
	switch m.Event.ID {
	case "test/echo":
		if m.WantsReply() {
			_ = m.Reply(m.Event.Data)
		}
	case "test/push":
		for range 2 {
			_ = a.srv.Send(m.UID, wire.Event{ID: "test/pushed", Data: m.Event.Data})
		}
	}
	select {
	case a.events <- m:
	default:
	}
}

// eventLog returns the event log lines so far.
func (a *refApp) eventLog() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.log...)
}

// newSession creates a session and returns its cookie and CSRF token.
func (a *refApp) newSession() (cookie, token string) {
	id := rand.Text()
	token = base64.StdEncoding.EncodeToString([]byte(rand.Text() + rand.Text() + rand.Text()))[:80]
	a.mu.Lock()
	a.sessions[id] = token
	a.mu.Unlock()
	return "ring-session=" + id, token
}
