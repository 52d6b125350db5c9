package client

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/internal/refapp"
	"github.com/gosente/gosente/chsk/wire"
)

// refApp is a gosente server set up as the golden transcripts' reference app
// (shared/golden/README.md) for the client's tests: ring-style sessions, the
// page with the token, user-id = client-id; it echoes :test/echo and pushes
// :test/push twice.
type refApp struct {
	srv      *chsk.Server
	hs       *httptest.Server
	sessions refapp.Sessions
	events   chan *chsk.Message // every event, for tests that wait on one
}

// refOptions are the reference app's Sente options; tests adjust them.
func refOptions() chsk.Options {
	return chsk.Options{
		UserID:          func(_ *http.Request, cid string) any { return cid },
		LongPollTimeout: 2 * time.Second,
		KeepAlive:       3 * time.Second,
	}
}

func newRefApp(t testing.TB, opts chsk.Options) *refApp {
	t.Helper()
	a := &refApp{sessions: refapp.Sessions{WithToken: chsk.WithCSRFToken}, events: make(chan *chsk.Message, 1024)}
	opts.Handler = chsk.HandlerFunc(a.handle)
	srv, err := chsk.New(&opts)
	if err != nil {
		t.Fatal(err)
	}
	a.srv = srv
	a.hs = refapp.Serve(t, &a.sessions, srv, chsk.CSRFTokenFromContext, srv.Shutdown)
	return a
}

func (a *refApp) handle(m *chsk.Message) {
	switch m.ID() {
	case "test/echo":
		if m.WantsReply() {
			_ = m.Reply(m.Data())
		}
	case "test/push":
		for range 2 {
			_ = a.srv.Send(m.UID, wire.Event{ID: "test/pushed", Data: m.Data()})
		}
	}
	select {
	case a.events <- m:
	default:
	}
}

// newSession creates a session and returns its cookie and CSRF token.
func (a *refApp) newSession() (cookie, token string) { return a.sessions.New() }

// waitEvent waits up to d for an event with the given id.
func (a *refApp) waitEvent(t *testing.T, id string, d time.Duration) *chsk.Message {
	t.Helper()
	return refapp.Wait(t, a.events, func(m *chsk.Message) bool { return string(m.Event.ID) == id }, d, id+" event")
}
