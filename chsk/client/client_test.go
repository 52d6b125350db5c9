package client

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/internal/refapp"
	"github.com/gosente/gosente/chsk/wire"
)

// clientRecorder collects what a Client hands the application.
type clientRecorder struct {
	events chan wire.Event
	states chan [2]State
}

func newClientRecorder() *clientRecorder {
	return &clientRecorder{events: make(chan wire.Event, 4096), states: make(chan [2]State, 256)}
}

func (r *clientRecorder) options(o *Options) {
	o.OnEvent = func(ev wire.Event) { r.events <- ev }
	o.OnState = func(old, new State) {
		select {
		case r.states <- [2]State{old, new}:
		default:
		}
	}
}

// event returns the next push, failing after d.
func (r *clientRecorder) event(t *testing.T, d time.Duration) wire.Event {
	t.Helper()
	select {
	case ev := <-r.events:
		return ev
	case <-time.After(d):
		t.Fatalf("no push within %v", d)
		return wire.Event{}
	}
}

// waitState returns the first new state that satisfies ok, failing after d.
func (r *clientRecorder) waitState(t *testing.T, d time.Duration, what string, ok func(State) bool) State {
	t.Helper()
	return refapp.Wait(t, r.states, func(s [2]State) bool { return ok(s[1]) }, d, "state where "+what)[1]
}

// testClientOptions are fast, quiet client options for tests.
func testClientOptions(typ Transport) *Options {
	return &Options{
		Type:    typ,
		Backoff: func(int) time.Duration { return 20 * time.Millisecond },
		Logger:  slog.New(slog.DiscardHandler),
	}
}

// dialTest dials url and closes the client when the test ends.
func dialTest(t *testing.T, url string, o *Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, url, o)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// dialRef dials the reference app with a fresh session.
func dialRef(t *testing.T, a *refApp, baseURL string, typ Transport, rec *clientRecorder) *Client {
	t.Helper()
	cookie, token := a.newSession()
	o := testClientOptions(typ)
	o.CSRFToken = token
	o.Header = http.Header{"Cookie": {cookie}}
	if rec != nil {
		rec.options(o)
	}
	return dialTest(t, baseURL+"/chsk", o)
}

var clientTransports = []struct {
	name string
	typ  Transport
	want Transport
}{
	{"ws", TransportWS, TransportWS},
	{"ajax", TransportAjax, TransportAjax},
	{"auto", TransportAuto, TransportWS},
}

func TestClientHandshake(t *testing.T) {
	for _, tc := range clientTransports {
		t.Run(tc.name, func(t *testing.T) {
			opts := refOptions()
			opts.HandshakeData = func(*http.Request) any { return wire.NewMap(wire.Keyword("plan"), wire.Keyword("free")) }
			a := newRefApp(t, opts)
			rec := newClientRecorder()
			c := dialRef(t, a, a.hs.URL, tc.typ, rec)

			st := c.State()
			require.True(t, st.Open)
			require.True(t, st.FirstOpen)
			require.True(t, st.EverOpened)
			require.Equal(t, tc.want, st.Type)
			require.Equal(t, c.ClientID(), st.UID, "the reference app's uid is the client-id")
			require.Len(t, c.ClientID(), 36)
			require.True(t, wire.Equal(wire.NewMap(wire.Keyword("plan"), wire.Keyword("free")), st.HandshakeData))
			require.NoError(t, st.LastError)

			ready := rec.waitState(t, time.Second, "first open", func(s State) bool { return s.Open && s.FirstOpen })
			require.Equal(t, c.ClientID(), ready.UID)
		})
	}
}

func TestClientRequestAndSend(t *testing.T) {
	for _, tc := range clientTransports[:2] {
		t.Run(tc.name, func(t *testing.T) {
			a := newRefApp(t, refOptions())
			c := dialRef(t, a, a.hs.URL, tc.typ, nil)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()

			data := wire.NewMap(wire.Keyword("id"), int64(7), wire.Keyword("tags"), wire.Vector{"a", "b"})
			reply, err := c.Request(ctx, wire.Event{ID: "test/echo", Data: data})
			require.NoError(t, err)
			require.True(t, wire.Equal(data, reply), "reply %v", reply)

			require.NoError(t, c.Send(ctx, wire.Event{ID: "test/echo", Data: "no reply wanted"}))
			m := a.waitEvent(t, "test/echo", 2*time.Second)
			for m.Data() != "no reply wanted" {
				m = a.waitEvent(t, "test/echo", 2*time.Second)
			}
			require.False(t, m.WantsReply())
			require.Equal(t, c.ClientID(), m.ClientID)

			_, err = c.Request(ctx, wire.Event{ID: "no-namespace"})
			require.ErrorIs(t, err, wire.ErrBadEvent)
			require.ErrorIs(t, c.Send(ctx, wire.Event{ID: "no-namespace"}), wire.ErrBadEvent)
			_, err = c.Request(ctx, wire.Event{ID: "test/echo", Data: func() {}})
			require.Error(t, err, "unprintable data")
			require.NotErrorIs(t, err, ErrSendFailed)
		})
	}
}

// Reconnect drops the connection and opens a new one at once.
func TestClientReconnect(t *testing.T) {
	for _, tc := range clientTransports[:2] {
		t.Run(tc.name, func(t *testing.T) {
			a := newRefApp(t, refOptions())
			rec := newClientRecorder()
			c := dialRef(t, a, a.hs.URL, tc.typ, rec)
			rec.waitState(t, time.Second, "open", func(s State) bool { return s.Open })
			c.Reconnect()
			st := rec.waitState(t, time.Second, "closed", func(s State) bool { return !s.Open })
			require.ErrorIs(t, st.LastError, errReconnect)
			st = rec.waitState(t, 2*time.Second, "reopened", func(s State) bool { return s.Open })
			require.False(t, st.FirstOpen)
			require.Equal(t, c.ClientID(), st.UID)
			reply, err := c.Request(t.Context(), wire.Event{ID: "test/echo", Data: "back"})
			require.NoError(t, err)
			require.Equal(t, "back", reply)
		})
	}
}

func TestClientRequestTimeout(t *testing.T) {
	opts := refOptions()
	opts.LongPollTimeout = 300 * time.Millisecond
	a := newRefApp(t, opts)
	for _, tc := range clientTransports[:2] {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRef(t, a, a.hs.URL, tc.typ, nil)
			silent := wire.Event{ID: "test/silent"} // the app never replies to it

			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			defer cancel()
			_, err := c.Request(ctx, silent)
			require.ErrorIs(t, err, ErrTimeout)
			require.ErrorIs(t, err, context.DeadlineExceeded)

			canceled, cancelNow := context.WithCancel(t.Context())
			cancelNow()
			_, err = c.Request(canceled, silent)
			require.ErrorIs(t, err, context.Canceled)
			require.NotErrorIs(t, err, ErrTimeout)

			// The connection is still usable.
			ctx, cancel = context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			reply, err := c.Request(ctx, wire.Event{ID: "test/echo", Data: int64(1)})
			require.NoError(t, err)
			require.Equal(t, int64(1), reply)
		})
	}
	t.Run("ajax server timeout", func(t *testing.T) {
		c := dialRef(t, a, a.hs.URL, TransportAjax, nil)
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.Request(ctx, wire.Event{ID: "test/silent"})
		require.ErrorIs(t, err, ErrTimeout, "the server answers :chsk/timeout after its LongPollTimeout")
		require.NotErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, time.Since(start), 3*time.Second)
	})
}

func TestClientClosed(t *testing.T) {
	for _, tc := range clientTransports[:2] {
		t.Run(tc.name, func(t *testing.T) {
			a := newRefApp(t, refOptions())
			rec := newClientRecorder()
			c := dialRef(t, a, a.hs.URL, tc.typ, rec)

			// A request waiting for its reply fails with ErrClosed at Close.
			errc := make(chan error, 1)
			go func() {
				_, err := c.Request(context.Background(), wire.Event{ID: "test/silent"})
				errc <- err
			}()
			a.waitEvent(t, "test/silent", 2*time.Second)
			start := time.Now()
			require.NoError(t, c.Close())
			require.Less(t, time.Since(start), 2*time.Second)
			require.ErrorIs(t, <-errc, ErrClosed)

			require.ErrorIs(t, c.Send(t.Context(), wire.Event{ID: "test/echo"}), ErrClosed)
			_, err := c.Request(t.Context(), wire.Event{ID: "test/echo"})
			require.ErrorIs(t, err, ErrClosed)
			st := c.State()
			require.False(t, st.Open)
			require.ErrorIs(t, st.LastError, ErrClosed)
			require.NoError(t, c.Close(), "Close is idempotent")

			last := rec.waitState(t, time.Second, "closed", func(s State) bool { return errors.Is(s.LastError, ErrClosed) })
			require.False(t, last.Open)
		})
	}
}

// Pushes arrive in the order the server sent them, none lost, also when the
// application is slower than the server (EventBuffer 8 forces back-pressure).
func TestClientOrderedPushes(t *testing.T) {
	const n = 400
	for _, tc := range clientTransports[:2] {
		t.Run(tc.name, func(t *testing.T) {
			a := newRefApp(t, refOptions())
			cookie, token := a.newSession()
			o := testClientOptions(tc.typ)
			o.CSRFToken, o.Header = token, http.Header{"Cookie": {cookie}}
			got := make(chan int64, n)
			var calls atomic.Int32
			o.OnEvent = func(ev wire.Event) {
				if calls.Add(1)%50 == 0 {
					time.Sleep(5 * time.Millisecond) // a slow consumer now and then, on purpose
				}
				got <- ev.Data.(int64)
			}
			o.EventBuffer = 8
			c := dialTest(t, a.hs.URL+"/chsk", o)
			for i := range int64(n) {
				require.NoError(t, a.srv.Send(c.ClientID(), wire.Event{ID: "test/n", Data: i}))
			}
			for i := range int64(n) {
				select {
				case v := <-got:
					require.Equal(t, i, v)
				case <-time.After(5 * time.Second):
					t.Fatalf("push %d missing", i)
				}
			}
			// A handler's pushes arrive too.
			require.NoError(t, c.Send(t.Context(), wire.Event{ID: "test/push", Data: int64(-1)}))
			for range 2 {
				select {
				case v := <-got:
					require.Equal(t, int64(-1), v)
				case <-time.After(5 * time.Second):
					t.Fatal("handler push missing")
				}
			}
		})
	}
}

// upgradeRefuser serves the reference app but refuses every WebSocket
// upgrade, as a proxy without WebSocket support might.
func upgradeRefuser(a *refApp, refused *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if adapter.IsWebSocketUpgrade(r) {
			refused.Add(1)
			http.Error(w, "WebSockets are not allowed here", http.StatusBadRequest) // as a proxy that breaks them
			return
		}
		a.hs.Config.Handler.ServeHTTP(w, r)
	})
}

func TestClientAutoFallback(t *testing.T) {
	a := newRefApp(t, refOptions())
	var refused atomic.Int32
	hs := httptest.NewServer(upgradeRefuser(a, &refused))
	t.Cleanup(hs.Close)

	t.Run("remembered", func(t *testing.T) {
		refused.Store(0)
		c := dialRef(t, a, hs.URL, TransportAuto, nil)
		require.Equal(t, TransportAjax, c.State().Type)
		require.Equal(t, int32(1), refused.Load())
		reply, err := c.Request(t.Context(), wire.Event{ID: "test/echo", Data: "via ajax"})
		require.NoError(t, err)
		require.Equal(t, "via ajax", reply)

		c.Reconnect()
		waitFor(t, 2*time.Second, "reopen", func() bool {
			_, err := c.Request(t.Context(), wire.Event{ID: "test/echo"})
			return err == nil
		})
		require.Equal(t, TransportAjax, c.State().Type)
		require.Equal(t, int32(1), refused.Load(), "the fallback is remembered")
	})
	t.Run("expired", func(t *testing.T) {
		refused.Store(0)
		cookie, token := a.newSession()
		o := testClientOptions(TransportAuto)
		o.CSRFToken, o.Header = token, http.Header{"Cookie": {cookie}}
		o.FallbackTTL = time.Nanosecond
		c := dialTest(t, hs.URL+"/chsk", o)
		require.Equal(t, TransportAjax, c.State().Type)
		c.Reconnect()
		waitFor(t, 2*time.Second, "a second upgrade attempt", func() bool { return refused.Load() == 2 })
		waitFor(t, 2*time.Second, "reopen on ajax", func() bool {
			st := c.State()
			return st.Open && st.Type == TransportAjax
		})
	})
	t.Run("ws only", func(t *testing.T) {
		cookie, token := a.newSession()
		o := testClientOptions(TransportWS)
		o.CSRFToken, o.Header = token, http.Header{"Cookie": {cookie}}
		_, err := Dial(t.Context(), hs.URL+"/chsk", o)
		var se *StatusError
		require.ErrorAs(t, err, &se)
		require.Equal(t, http.StatusBadRequest, se.Status)
		require.Equal(t, TransportWS, se.Transport)
	})
}

func TestClientDialErrors(t *testing.T) {
	a := newRefApp(t, refOptions())
	for _, tc := range clientTransports {
		t.Run("bad token "+tc.name, func(t *testing.T) {
			cookie, _ := a.newSession()
			o := testClientOptions(tc.typ)
			o.CSRFToken, o.Header = "wrong", http.Header{"Cookie": {cookie}}
			start := time.Now()
			c, err := Dial(t.Context(), a.hs.URL+"/chsk", o)
			require.Nil(t, c)
			var se *StatusError
			require.ErrorAs(t, err, &se)
			require.Equal(t, http.StatusForbidden, se.Status)
			require.Equal(t, "Bad CSRF token", se.Body)
			require.Less(t, time.Since(start), 2*time.Second, "a 403 is not retried")
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		_, err = Dial(ctx, "http://"+addr+"/chsk", testClientOptions(TransportAuto))
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
	t.Run("bad options", func(t *testing.T) {
		for _, u := range []string{"ftp://x/chsk", "://"} {
			_, err := Dial(t.Context(), u, nil)
			require.Error(t, err, u)
		}
		_, err := Dial(t.Context(), "http://127.0.0.1:1/chsk", &Options{Type: 9})
		require.Error(t, err)
	})
}

// dropListener lets a test drop every TCP connection a server accepted,
// hijacked WebSockets included, as a network failure would.
type dropListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *dropListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *dropListener) dropAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		_ = c.Close()
	}
	l.conns = nil
}

func TestClientReconnectAfterDrop(t *testing.T) {
	for _, tc := range clientTransports[:2] {
		t.Run(tc.name, func(t *testing.T) {
			a := newRefApp(t, refOptions())
			hs := httptest.NewUnstartedServer(a.hs.Config.Handler)
			dl := &dropListener{Listener: hs.Listener}
			hs.Listener = dl
			hs.Start()
			t.Cleanup(hs.Close)
			rec := newClientRecorder()
			c := dialRef(t, a, hs.URL, tc.typ, rec)
			uid := c.State().UID

			for i := range int64(3) {
				dl.dropAll()
				if tc.typ == TransportWS {
					rec.waitState(t, 2*time.Second, "closed", func(s State) bool { return !s.Open })
					st := rec.waitState(t, 3*time.Second, "reopened", func(s State) bool { return s.Open })
					require.False(t, st.FirstOpen)
					require.Equal(t, uid, st.UID)
					require.Equal(t, tc.typ, st.Type)
				}
				// Over Ajax the HTTP client may retry the dropped poll on a new
				// connection, or the client handshakes again: pushes flow on.
				require.NoError(t, a.srv.Send(uid, wire.Event{ID: "test/n", Data: i}))
				require.Equal(t, wire.Event{ID: "test/n", Data: i}, rec.event(t, 5*time.Second))
			}
			reply, err := c.Request(t.Context(), wire.Event{ID: "test/echo", Data: "again"})
			require.NoError(t, err)
			require.Equal(t, "again", reply)
		})
	}
}

// restartable is a gosente server on a fixed address that a test can stop
// and start again, as a deployment restarts. With sessions, it keeps
// ring-style sessions in memory, which a restart forgets, and records every
// token it gives; without, every request's token is "restart-token".
type restartable struct {
	t        *testing.T
	addr     string
	sessions bool
	srv      *chsk.Server
	hs       *http.Server
	served   chan struct{}

	mu     sync.Mutex
	tokens []string
}

func (r *restartable) start() {
	t := r.t
	t.Helper()
	var ln net.Listener
	var err error
	refapp.Poll(time.Second, 20*time.Millisecond, func() bool { // the old socket may linger for a moment
		ln, err = net.Listen("tcp", r.addr)
		return err == nil
	})
	require.NoError(t, err)
	r.addr = ln.Addr().String()
	var srv atomic.Pointer[chsk.Server]
	opts := &chsk.Options{
		UserID:    func(_ *http.Request, cid string) any { return cid },
		CSRFToken: func(*http.Request) string { return "restart-token" },
		Handler: chsk.HandlerFunc(func(m *chsk.Message) {
			switch m.ID() {
			case "test/echo":
				_ = m.Reply(m.Data())
			case "test/push":
				_ = srv.Load().Send(m.UID, wire.Event{ID: "test/pushed", Data: m.Data()})
			}
		}),
		LongPollTimeout: time.Second,
		Logger:          slog.New(slog.DiscardHandler),
	}
	if r.sessions {
		opts.CSRFToken, opts.AllowedOrigins = nil, []string{chsk.SameOrigin}
	}
	r.srv, err = chsk.New(opts)
	require.NoError(t, err)
	srv.Store(r.srv)
	var h http.Handler = r.srv
	if r.sessions {
		sessions := &refapp.Sessions{WithToken: func(ctx context.Context, tok string) context.Context {
			r.mu.Lock()
			r.tokens = append(r.tokens, tok)
			r.mu.Unlock()
			return chsk.WithCSRFToken(ctx, tok)
		}}
		h = sessions.Wrap(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			refapp.Route(w, req, chsk.CSRFTokenFromContext(req.Context()), srv.Load())
		}))
	}
	r.hs = &http.Server{Handler: h}
	r.served = make(chan struct{})
	go func() {
		defer close(r.served)
		_ = r.hs.Serve(ln)
	}()
}

func (r *restartable) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(r.t, r.srv.Shutdown(ctx))
	_ = r.hs.Close()
	<-r.served
}

func TestClientReconnectAfterRestart(t *testing.T) {
	for _, tc := range clientTransports {
		t.Run(tc.name, func(t *testing.T) {
			r := &restartable{t: t, addr: "127.0.0.1:0"}
			r.start()
			t.Cleanup(r.stop)
			rec := newClientRecorder()
			o := testClientOptions(tc.typ)
			o.CSRFToken = "restart-token"
			rec.options(o)
			c := dialTest(t, "http://"+r.addr+"/chsk", o)
			want := c.State().Type

			r.stop()
			rec.waitState(t, 3*time.Second, "closed", func(s State) bool { return !s.Open })
			for range 2 { // a few failed attempts while the server is down
				rec.waitState(t, 5*time.Second, "a failed attempt", func(s State) bool { return !s.Open && !s.NextReconnect.IsZero() })
			}
			r.start()
			st := rec.waitState(t, 5*time.Second, "reopened", func(s State) bool { return s.Open })
			require.Equal(t, c.ClientID(), st.UID)
			require.Equal(t, want, st.Type, "no fallback because of a restart")

			reply, err := c.Request(t.Context(), wire.Event{ID: "test/echo", Data: "after restart"})
			require.NoError(t, err)
			require.Equal(t, "after restart", reply)
			require.NoError(t, c.Send(t.Context(), wire.Event{ID: "test/push", Data: int64(3)}))
			ev := rec.event(t, 3*time.Second)
			require.Equal(t, wire.Event{ID: "test/pushed", Data: int64(3)}, ev)
		})
	}
}

// Close ends every goroutine of the client, also while it waits to
// reconnect.
func TestClientCloseLeavesNoGoroutine(t *testing.T) {
	for _, tc := range clientTransports {
		t.Run(tc.name, func(t *testing.T) {
			a := newRefApp(t, refOptions())
			ignore := goleak.IgnoreCurrent()
			cookie, token := a.newSession()
			o := testClientOptions(tc.typ)
			o.CSRFToken, o.Header = token, http.Header{"Cookie": {cookie}}
			o.OnEvent = func(wire.Event) {}
			o.OnState = func(State, State) {}
			c, err := Dial(t.Context(), a.hs.URL+"/chsk", o)
			require.NoError(t, err)
			_, err = c.Request(t.Context(), wire.Event{ID: "test/echo"})
			require.NoError(t, err)
			require.NoError(t, c.Close())
			// The server's poller for idle sockets lives until its Shutdown.
			goleak.VerifyNone(t, ignore, goleak.IgnoreAnyFunction("github.com/gosente/gosente/chsk/adapter.(*Poller).loop"))
		})
	}
	t.Run("while reconnecting", func(t *testing.T) {
		r := &restartable{t: t, addr: "127.0.0.1:0"}
		r.start()
		ignore := goleak.IgnoreCurrent()
		o := testClientOptions(TransportWS)
		o.CSRFToken = "restart-token"
		o.Backoff = func(int) time.Duration { return time.Hour }
		c, err := Dial(t.Context(), "http://"+r.addr+"/chsk", o)
		require.NoError(t, err)
		r.stop()
		waitFor(t, 2*time.Second, "closed", func() bool { return !c.State().NextReconnect.IsZero() })
		start := time.Now()
		require.NoError(t, c.Close())
		require.Less(t, time.Since(start), time.Second)
		goleak.VerifyNone(t, ignore)
	})
}

func TestClientWritesLegacyFrames(t *testing.T) {
	a := newRefApp(t, refOptions())
	for _, f := range []wire.Format{wire.Format117, wire.Format116, wire.Format118} {
		t.Run(f.String(), func(t *testing.T) {
			cookie, token := a.newSession()
			o := testClientOptions(TransportWS)
			o.CSRFToken, o.Header = token, http.Header{"Cookie": {cookie}}
			o.Packer = &wire.EDN{Format: f}
			c := dialTest(t, a.hs.URL+"/chsk", o)
			reply, err := c.Request(t.Context(), wire.Event{ID: "test/echo", Data: int64(116)})
			require.NoError(t, err)
			require.Equal(t, int64(116), reply)
		})
	}
}

func TestSenteBackoff(t *testing.T) {
	b := SenteBackoff(60 * time.Second)
	for _, tc := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{0, 0, 0},
		{1, 0, 0},
		{2, 2 * time.Second, 4 * time.Second},
		{3, 4 * time.Second, 8 * time.Second},
		{5, 16 * time.Second, 32 * time.Second},
		{7, 30 * time.Second, 60 * time.Second}, // 64–128s, capped
		{1000, 30 * time.Second, 60 * time.Second},
	} {
		for range 50 {
			d := b(tc.attempt)
			require.GreaterOrEqual(t, d, tc.min, "attempt %d", tc.attempt)
			if tc.max == 0 {
				require.Zero(t, d)
			} else {
				require.Less(t, d, tc.max, "attempt %d", tc.attempt)
			}
		}
	}
	uncapped := SenteBackoff(0)
	require.GreaterOrEqual(t, uncapped(10), 512*time.Second)
	require.Greater(t, uncapped(1000), 1000*time.Hour, "no overflow")
}

// waitFor polls cond until it holds, failing after d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if !refapp.Poll(d, 10*time.Millisecond, cond) {
		t.Fatalf("%s: not within %v", what, d)
	}
}
