//go:build linux

package chsk

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/internal/refapp"
	"github.com/gosente/gosente/chsk/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goroutineStacks counts the distinct stacks of goroutines that are in
// function fn: zero when none is.
func goroutineStacks(fn string) int {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	return bytes.Count(buf.Bytes(), []byte(fn))
}

// socketReaders counts the goroutines reading a socket (by stack).
func socketReaders() int { return goroutineStacks("chsk.(*sockReader).run") }

// Idle sockets give up their goroutines, and still get pushes, send events,
// get replies, and end at Shutdown.
func TestIdleSocketsPark(t *testing.T) {
	const n = 20
	opts := Options{ParkAfter: 20 * time.Millisecond, CloseGraceWS: 50 * time.Millisecond,
		UserID: func(_ *http.Request, cid string) any { return cid }}
	a := newRefApp(t, opts)
	socks := make([]*testWS, n)
	for i := range socks {
		socks[i], _ = a.openWS(t, fmt.Sprintf("park-%d", i))
	}
	require.Eventually(t, func() bool { return socketReaders() == 0 }, 5*time.Second, 10*time.Millisecond,
		"idle sockets still have reading goroutines")
	for round := range 3 {
		for i, w := range socks {
			w.write(fmt.Sprintf(`[[:test/echo %d] "cb%d"]`, i, round))
		}
		for i, w := range socks {
			require.Equal(t, fmt.Sprintf(`[%d "cb%d"]`, i, round), w.read())
		}
		require.NoError(t, a.srv.Broadcast(wire.Event{ID: "t/all", Data: int64(round)}))
		for _, w := range socks {
			require.Equal(t, fmt.Sprintf(`[[[:t/all %d]] nil]`, round), w.read())
		}
		require.Eventually(t, func() bool { return socketReaders() == 0 }, 5*time.Second, 10*time.Millisecond,
			"sockets did not park again after round %d", round)
	}
	// A parked socket whose client goes away is noticed.
	connected := len(a.srv.Connected().Any)
	require.NoError(t, socks[0].c.CloseNow())
	require.Eventually(t, func() bool { return len(a.srv.Connected().Any) == connected-1 }, 5*time.Second, 10*time.Millisecond)
}

// A socket's events carry the upgrade request with a context that lasts as
// long as the socket (parked or not), keeps the request's values, and
// costs no goroutine per context a handler derives from it.
func TestSocketRequestContext(t *testing.T) {
	a := newRefApp(t, Options{ParkAfter: 20 * time.Millisecond,
		UserID: func(_ *http.Request, cid string) any { return cid }})
	w, _ := a.openWS(t, "ctx")
	require.Eventually(t, func() bool { return socketReaders() == 0 }, 5*time.Second, time.Millisecond, "the socket never parked")
	w.write(`[[:test/echo 1] "cb"]`)
	m := a.waitEvent(t, "test/echo", 5*time.Second)
	ctx := m.Request.Context()
	require.NoError(t, ctx.Err(), "the socket is open")
	require.NotNil(t, ctx.Value(http.LocalAddrContextKey), "the request's values are kept")
	before := runtime.NumGoroutine()
	var cancels []context.CancelFunc
	for range 100 {
		_, cancel := context.WithTimeout(ctx, time.Minute)
		cancels = append(cancels, cancel)
	}
	require.Less(t, runtime.NumGoroutine()-before, 10, "derived contexts start goroutines")
	for _, cancel := range cancels {
		cancel()
	}
	require.NoError(t, w.c.CloseNow())
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the request's context outlived the socket")
	}
}

// A socket waits in the poller from its handshake on and keeps its request
// lean there; each event after a wait gets an equal copy: the header, the
// form, the context's values and a ServeMux pattern's path values, safe to
// read from several goroutines at once.
func TestParkedSocketRequest(t *testing.T) {
	type ctxKey struct{}
	events := make(chan *Message, 16)
	srv, err := New(&Options{ParkAfter: 20 * time.Millisecond,
		Handler: HandlerFunc(func(m *Message) {
			if m.ID() == "t/ev" {
				events <- m
			}
		}),
		UserID:    func(_ *http.Request, cid string) any { return cid },
		CSRFToken: func(*http.Request) string { return SkipCSRFCheck }})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /app/{tenant}/chsk", func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("X-Set-By-Middleware", "ok")
		srv.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, "value")))
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, srv.Shutdown(context.Background()))
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(hs.URL, "http") + "/app/acme/chsk?client-id=c1&extra=x&extra=y"
	c, _, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: http.Header{"X-Two": {"1", "2"}}})
	require.NoError(t, err)
	defer c.CloseNow()
	_, _, err = c.Read(ctx) // the handshake
	require.NoError(t, err)
	var first *http.Request
	for round := range 3 {
		require.Eventually(t, func() bool { return socketReaders() == 0 }, 5*time.Second, time.Millisecond,
			"the socket did not wait in the poller before round %d", round)
		require.NoError(t, c.Write(ctx, websocket.MessageText, fmt.Appendf(nil, "[[:t/ev %d]]", round)))
		var m *Message
		select {
		case m = <-events:
		case <-ctx.Done():
			t.Fatalf("round %d: no event", round)
		}
		r := m.Request
		require.Equal(t, "/app/acme/chsk", r.URL.Path)
		require.Equal(t, "client-id=c1&extra=x&extra=y", r.URL.RawQuery)
		if first == nil {
			first = r
		} else {
			require.Equal(t, first.Header, r.Header, "round %d", round)
		}
		var wg sync.WaitGroup // handlers may share the request between goroutines
		for range 2 {
			wg.Go(func() {
				assert.Equal(t, []string{"x", "y"}, r.Form["extra"])
				assert.Equal(t, "c1", r.FormValue("client-id"))
				assert.Equal(t, []string{"1", "2"}, r.Header.Values("X-Two"))
				assert.Equal(t, "ok", r.Header.Get("X-Set-By-Middleware"))
				assert.Equal(t, "acme", r.PathValue("tenant"))
				assert.Equal(t, "value", r.Context().Value(ctxKey{}))
				assert.NoError(t, r.Context().Err())
			})
		}
		wg.Wait()
	}
}

// A socket on a connection the poller cannot watch (here a wrapping
// listener's) keeps its reader goroutine and its request whole, and the
// server says why, once.
func TestUnparkableSocketKeepsItsRequest(t *testing.T) {
	var logs refapp.LogBuffer
	events := make(chan *Message, 4)
	srv, err := New(&Options{ParkAfter: time.Millisecond,
		Handler:   HandlerFunc(func(m *Message) { events <- m }),
		UserID:    func(_ *http.Request, cid string) any { return cid },
		CSRFToken: func(*http.Request) string { return SkipCSRFCheck },
		Logger:    slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = opaqueListener{hs.Listener}
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, srv.Shutdown(context.Background()))
	})
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for _, cid := range []string{"u1", "u2"} {
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/chsk?client-id="+cid,
			&websocket.DialOptions{HTTPHeader: http.Header{"X-Test": {cid}}})
		require.NoError(t, err)
		defer c.CloseNow()
		_, _, err = c.Read(ctx) // the handshake
		require.NoError(t, err)
		require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(`[[:t/ev 1]]`)))
		for m := (*Message)(nil); m == nil || m.ID() != "t/ev"; {
			select {
			case m = <-events:
			case <-ctx.Done():
				t.Fatalf("%s: no event", cid)
			}
			if m.ID() == "t/ev" {
				require.Equal(t, cid, m.Request.Header.Get("X-Test"))
				require.Equal(t, cid, m.Request.FormValue("client-id"))
			}
		}
		// The reader runs, so the handler's wait is over: the tab has the
		// request whole again.
		waitTab(t, srv, adapter.WebSocket, cid, "its request whole", func(c *tab) bool {
			return c.req.head == "" && c.req.r != nil && c.req.r.Header.Get("X-Test") == cid
		})
	}
	require.Positive(t, socketReaders(), "unparkable sockets keep their readers")
	require.Equal(t, 1, strings.Count(logs.String(), "idle WebSockets keep a goroutine each"), logs.String())
}

// opaqueListener hides its connections' type, so the poller cannot watch them.
type opaqueListener struct{ net.Listener }

func (l opaqueListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return struct{ net.Conn }{c}, nil
}
