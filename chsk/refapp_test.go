package chsk

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/internal/refapp"
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

	sessions refapp.Sessions
	mu       sync.Mutex
	log      []string      // event log, one EDN map per event
	events   chan *Message // every event, for tests that wait on one
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
	a := &refApp{t: t, sessions: refapp.Sessions{WithToken: WithCSRFToken}, events: make(chan *Message, 1024)}
	opts.Handler = HandlerFunc(a.handle)
	opts.CSRFToken = func(r *http.Request) string { return CSRFTokenFromContext(r.Context()) }
	srv, err := New(&opts)
	if err != nil {
		t.Fatal(err)
	}
	a.srv = srv
	a.hs = refapp.Serve(t, &a.sessions, srv, CSRFTokenFromContext, srv.Shutdown)
	return a
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
func (a *refApp) newSession() (cookie, token string) { return a.sessions.New() }
