package chsk

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// The server's timers, on synctest's fake clock: each test checks that a
// timer fires exactly when its option says, without waiting for it.

// timerServer is a server driven through ServeHTTP with recorders, inside a
// synctest bubble; events go to a channel.
type timerServer struct {
	srv    *Server
	events chan *Message
}

func newTimerServer(t *testing.T, opts Options) *timerServer {
	ts := &timerServer{events: make(chan *Message, 64)}
	opts.UserID = func(_ *http.Request, cid string) any { return cid }
	opts.CSRFToken = func(*http.Request) string { return SkipCSRFCheck }
	opts.Handler = HandlerFunc(func(m *Message) {
		if m.ID() == "test/echo" && m.WantsReply() {
			_ = m.Reply(m.Data())
		}
		ts.events <- m
	})
	srv, err := New(&opts)
	require.NoError(t, err)
	ts.srv = srv
	t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })
	return ts
}

// get runs an Ajax GET (a handshake when handshake is true) and returns a
// channel with its answer's body once ServeHTTP returned.
func (ts *timerServer) get(cid string, handshake bool) <-chan string {
	q := url.Values{"udt": {"1700000000000"}, "client-id": {cid}}
	if handshake {
		q.Set("handshake?", "true")
	}
	out := make(chan string, 1)
	go func() {
		rec := httptest.NewRecorder()
		ts.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/chsk?"+q.Encode(), nil))
		out <- rec.Body.String()
	}()
	return out
}

// event returns the next event with the given id that the handler got.
func (ts *timerServer) event(t *testing.T, id string) *Message {
	t.Helper()
	for {
		select {
		case m := <-ts.events:
			if string(m.Event.ID) == id {
				return m
			}
		default:
			t.Fatalf("no %s event", id)
		}
	}
}

// A parked poll is answered :chsk/timeout after LongPollTimeout, not before.
func TestTimerLongPollTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTimerServer(t, Options{LongPollTimeout: 7 * time.Second})
		<-ts.get("p", true)
		start := time.Now()
		poll := ts.get("p", false)
		advance(7*time.Second - time.Nanosecond)
		synctest.Wait()
		require.Empty(t, poll, "answered before LongPollTimeout")
		require.Equal(t, `[:chsk/timeout nil]`, <-poll)
		require.Equal(t, 7*time.Second, time.Since(start))
	})
}

// Pushes to a parked poll wait out the Ajax batching window and arrive as
// one batch, at the end of the window opened by the first.
func TestTimerAjaxBatchWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTimerServer(t, Options{SendBufferAjax: 300 * time.Millisecond})
		<-ts.get("b", true)
		poll := ts.get("b", false)
		synctest.Wait()
		start := time.Now()
		require.NoError(t, ts.srv.Send("b", wire.Event{ID: "t/n", Data: int64(1)}))
		advance(100 * time.Millisecond)
		require.NoError(t, ts.srv.Send("b", wire.Event{ID: "t/n", Data: int64(2)}))
		advance(200*time.Millisecond - time.Nanosecond)
		synctest.Wait()
		require.Empty(t, poll, "answered before the window closed")
		require.Equal(t, `[[[:t/n 1] [:t/n 2]] nil]`, <-poll)
		require.Equal(t, 300*time.Millisecond, time.Since(start))
	})
}

// An Ajax client that stops polling is closed (uidport-close) exactly
// CloseGraceAjax after its last poll ended; one that polls again within
// the grace is not.
func TestTimerAjaxCloseGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTimerServer(t, Options{CloseGraceAjax: 5 * time.Second, LongPollTimeout: 50 * time.Second})
		<-ts.get("g", true)
		ts.event(t, "chsk/uidport-open")

		// Polls again within the grace: still connected.
		advance(5*time.Second - time.Nanosecond)
		poll := ts.get("g", false)
		synctest.Wait()
		require.Equal(t, []any{"g"}, ts.srv.Connected().Ajax)
		require.NoError(t, ts.srv.Send("g", wire.Event{ID: "t/wake"}))
		require.Contains(t, <-poll, ":t/wake")

		// Stops polling: closed when the grace runs out, not before.
		ended := time.Now()
		advance(5*time.Second - time.Nanosecond)
		synctest.Wait()
		require.Equal(t, []any{"g"}, ts.srv.Connected().Ajax)
		advance(time.Nanosecond)
		synctest.Wait()
		require.Empty(t, ts.srv.Connected().Ajax)
		require.Equal(t, "g", ts.event(t, "chsk/uidport-close").Event.Data)
		require.Equal(t, 5*time.Second, time.Since(ended))
	})
}

// hijackRecorder is a ResponseRecorder that hands over one end of a
// net.Pipe, so that a WebSocket upgrade works inside a synctest bubble.
type hijackRecorder struct {
	*httptest.ResponseRecorder
	conn net.Conn
}

func (h hijackRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return h.conn, bufio.NewReadWriter(bufio.NewReader(h.conn), bufio.NewWriter(h.conn)), nil
}

// ws opens a WebSocket for client-id cid over a pipe and returns it with
// its handshake frame.
func (ts *timerServer) ws(t *testing.T, cid string) (*rawWS, string) {
	t.Helper()
	srvEnd, cliEnd := net.Pipe()
	req := httptest.NewRequest(http.MethodGet, "/chsk?client-id="+url.QueryEscape(cid), nil)
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set("Sec-WebSocket-Version", "13")
	// The 101 goes to the recorder (net/http writes it before the hijack);
	// the pipe carries the frames.
	go ts.srv.ServeHTTP(hijackRecorder{httptest.NewRecorder(), srvEnd}, req)
	w := &rawWS{conn: cliEnd, br: bufio.NewReader(cliEnd)}
	hs, err := w.readText(time.Second)
	require.NoError(t, err)
	return w, hs
}

// A quiet WebSocket gets [:chsk/ws-ping] every KeepAlive, counted from the
// last frame the server sent.
func TestTimerKeepAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTimerServer(t, Options{KeepAlive: 15 * time.Second, ParkAfter: -1}) // the Poller blocks in epoll_wait, outside synctest's clock
		w, _ := ts.ws(t, "k")
		defer w.closeAbrupt()
		start := time.Now()
		for n := 1; n <= 3; n++ {
			got, err := w.readText(time.Minute)
			require.NoError(t, err)
			require.Equal(t, `[:chsk/ws-ping nil]`, got)
			require.Equal(t, time.Duration(n)*15*time.Second, time.Since(start), "ping %d", n)
		}
	})
}

// A WebSocket that ends is closed (uidport-close) exactly CloseGraceWS
// later; pushes sent meanwhile reach the socket that replaces it in time.
func TestTimerWSCloseGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTimerServer(t, Options{CloseGraceWS: 2 * time.Second, KeepAlive: -1, ParkAfter: -1})
		w, _ := ts.ws(t, "w")
		ts.event(t, "chsk/uidport-open")
		w.closeAbrupt()
		synctest.Wait()
		ended := time.Now()
		require.NoError(t, ts.srv.Send("w", wire.Event{ID: "t/missed"}))
		advance(2*time.Second - time.Nanosecond)
		synctest.Wait()
		w2, _ := ts.ws(t, "w") // back within the grace
		got, err := w2.readText(time.Second)
		require.NoError(t, err)
		require.Equal(t, `[[[:t/missed]] nil]`, got)

		w2.closeAbrupt()
		synctest.Wait()
		ended = time.Now()
		advance(2*time.Second - time.Nanosecond)
		synctest.Wait()
		require.Equal(t, []any{"w"}, ts.srv.Connected().WS)
		advance(time.Nanosecond)
		synctest.Wait()
		require.Empty(t, ts.srv.Connected().WS)
		require.Equal(t, "w", ts.event(t, "chsk/uidport-close").Event.Data)
		require.Equal(t, 2*time.Second, time.Since(ended))
	})
}

// A client that answered a ping once ([:chsk/ws-pong], Sente 1.19+) and then
// falls silent is closed PingTimeout after the next ping.
func TestTimerPingTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := newTimerServer(t, Options{KeepAlive: 10 * time.Second, PingTimeout: 3 * time.Second, ParkAfter: -1})
		w, _ := ts.ws(t, "p")
		defer w.closeAbrupt()
		got, err := w.readText(time.Minute)
		require.NoError(t, err)
		require.Equal(t, `[:chsk/ws-ping nil]`, got)
		require.NoError(t, w.write(rawFrame(1, []byte(`[[:chsk/ws-pong]]`)), time.Second))
		got, err = w.readText(time.Minute) // the next ping, unanswered
		require.NoError(t, err)
		require.Equal(t, `[:chsk/ws-ping nil]`, got)
		pinged := time.Now()
		op, _, err := w.readFrame(time.Minute)
		require.NoError(t, err)
		require.Equal(t, byte(8), op, "a close frame")
		require.Equal(t, 3*time.Second, time.Since(pinged))
	})
}

// advance moves synctest's fake clock on by d: inside a bubble, time.Sleep
// returns as soon as every goroutine of the bubble is blocked, with the
// clock d later. No real time passes.
func advance(d time.Duration) { time.Sleep(d) }
