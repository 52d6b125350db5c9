package chsk

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// PROTOCOL.md §14.1: the handshake is the first frame of every socket.
func TestWebSocketHandshake(t *testing.T) {
	a := newRefApp(t, refOptions())
	_, hs := a.openWS(t, "8b1f6a0e-2c3d-4e5f-9a7b-1c2d3e4f5a6b")
	require.Equal(t, `[[:chsk/handshake ["8b1f6a0e-2c3d-4e5f-9a7b-1c2d3e4f5a6b" nil nil]] nil]`, hs)
	m := a.waitEvent(t, "chsk/uidport-open", time.Second)
	require.Equal(t, "8b1f6a0e-2c3d-4e5f-9a7b-1c2d3e4f5a6b", m.Event.Data)
	require.False(t, m.WantsReply())
}

func TestHandshakeData(t *testing.T) {
	opts := refOptions()
	opts.HandshakeData = func(*http.Request) any { return wire.NewMap(wire.Keyword("plan"), wire.Keyword("free")) }
	a := newRefApp(t, opts)
	_, hs := a.openWS(t, "alice")
	require.Equal(t, `[[:chsk/handshake ["alice" nil {:plan :free}]] nil]`, hs)
}

// §14.2: events with callbacks, as 1.17 and 1.22 clients write them.
func TestWebSocketReply(t *testing.T) {
	a := newRefApp(t, refOptions())
	ws, _ := a.openWS(t, "c1")
	for _, frame := range []string{
		`+[[:test/echo {:id 7}] "4f2a1b"]`, // 1.17
		`[[:test/echo {:id 7}] "4f2a1b"]`,  // 1.22
	} {
		ws.write(frame)
		require.Equal(t, `[{:id 7} "4f2a1b"]`, ws.read(), frame)
	}
	// Without a callback the handler gets no reply function and nothing comes back.
	ws.write(`[[:test/echo {:id 7}] nil]`)
	m := a.waitEvent(t, "test/echo", time.Second)
	for m.WantsReply() {
		m = a.waitEvent(t, "test/echo", time.Second)
	}
	ws.silent(200 * time.Millisecond)
	// Callback ids are opaque values, echoed verbatim.
	ws.write(`[[:test/echo 9] 12345]`)
	require.Equal(t, `[9 12345]`, ws.read())
}

// §14.3: pushes within the window travel in one frame, in order.
func TestPushBatch(t *testing.T) {
	a := newRefApp(t, refOptions())
	ws, _ := a.openWS(t, "alice")
	require.NoError(t, a.srv.Send("alice", wire.Event{ID: "my-app/tick", Data: int64(1)}))
	require.NoError(t, a.srv.Send("alice", wire.Event{ID: "my-app/tick", Data: int64(2)}))
	require.Equal(t, `[[[:my-app/tick 1] [:my-app/tick 2]] nil]`, ws.read())
	// A handler's two sends arrive as one batch too.
	ws.write(`[[:test/push {:n 7}] nil]`)
	require.Equal(t, `[[[:test/pushed {:n 7}] [:test/pushed {:n 7}]] nil]`, ws.read())
}

func TestSendValidation(t *testing.T) {
	a := newRefApp(t, refOptions())
	require.Error(t, a.srv.Send(nil, wire.Event{ID: "a/b"}))
	require.Error(t, a.srv.Send("u", wire.Event{ID: "plain"}))
	require.Error(t, a.srv.Send("u", wire.Event{ID: "chsk/handshake"}))
	require.Error(t, a.srv.SendClient("u", "", wire.Event{ID: "a/b"}))
	require.NoError(t, a.srv.Send("nobody", wire.Event{ID: "a/b"}))
}

// Pushes to one client of a uid reach that client only.
func TestSendClient(t *testing.T) {
	opts := refOptions()
	opts.UserID = func(*http.Request, string) any { return "alice" }
	a := newRefApp(t, opts)
	tab1, _ := a.openWS(t, "tab1")
	tab2, _ := a.openWS(t, "tab2")
	require.NoError(t, a.srv.SendClient("alice", "tab2", wire.Event{ID: "my-app/only", Data: "2"}))
	require.Equal(t, `[[[:my-app/only "2"]] nil]`, tab2.read())
	tab1.silent(150 * time.Millisecond)
	require.NoError(t, a.srv.Send("alice", wire.Event{ID: "my-app/all"}))
	require.Equal(t, `[[[:my-app/all]] nil]`, tab1.read())
	require.Equal(t, `[[[:my-app/all]] nil]`, tab2.read())
	require.NoError(t, a.srv.Broadcast(wire.Event{ID: "my-app/everyone"}))
	require.Equal(t, `[[[:my-app/everyone]] nil]`, tab1.read())
	require.Equal(t, `[[[:my-app/everyone]] nil]`, tab2.read())
}

// Each client gets pushes in send order, whatever the concurrency of senders.
func TestPushFIFO(t *testing.T) {
	opts := refOptions()
	opts.SendBufferWS = -1 // every event in its own frame: the hardest case for order
	a := newRefApp(t, opts)
	ws, _ := a.openWS(t, "fifo")
	const senders, per = 4, 200
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range per {
				require.NoError(t, a.srv.Send("fifo", wire.Event{ID: "t/n", Data: wire.Vector{int64(s), int64(i)}}))
			}
		})
	}
	next := make([]int64, senders)
	for got := 0; got < senders*per; {
		v, err := wire.Read([]byte(ws.read()), nil)
		require.NoError(t, err)
		for _, ev := range v.(wire.Vector)[0].(wire.Vector) {
			d := ev.(wire.Vector)[1].(wire.Vector)
			s, i := d[0].(int64), d[1].(int64)
			require.Equal(t, next[s], i, "sender %d out of order", s)
			next[s]++
			got++
		}
	}
	wg.Wait()
}

// §14.4 and §6.4: server pings after a quiet KeepAlive; client pings with a
// callback are answered "pong" and still reach the handler, without a reply.
func TestKeepAlive(t *testing.T) {
	opts := refOptions()
	opts.KeepAlive = 300 * time.Millisecond
	opts.PingTimeout = 300 * time.Millisecond
	a := newRefApp(t, opts)

	old, _ := a.openWS(t, "v117") // never answers pings: must never be closed
	for range 4 {
		require.Equal(t, `[:chsk/ws-ping nil]`, old.read())
	}

	ws, _ := a.openWS(t, "v122")
	ws.write(`[[:chsk/ws-ping] "9c01de"]`)
	require.Equal(t, `["pong" "9c01de"]`, ws.read())
	m := a.waitEvent(t, "chsk/ws-ping", time.Second)
	require.False(t, m.WantsReply())

	require.Equal(t, `[:chsk/ws-ping nil]`, ws.read())
	ws.write(`[[:chsk/ws-pong] nil]`) // now known to answer pings
	a.waitEvent(t, "chsk/ws-pong", time.Second)
	require.Equal(t, `[:chsk/ws-ping nil]`, ws.read())
	// No answer this time: the server closes the socket cleanly.
	err := ws.ended(5 * time.Second)
	require.Equal(t, 1000, int(websocketCloseStatus(err)))
}

// Frames the reader cannot read become [:chsk/bad-package text] and never
// close the socket; invalid events become [:chsk/bad-event ev].
func TestBadPackages(t *testing.T) {
	a := newRefApp(t, refOptions())
	ws, _ := a.openWS(t, "bad")
	ws.write(`+[[:my-app/save 1]`)
	m := a.waitEvent(t, "chsk/bad-package", time.Second)
	require.Equal(t, "[[:my-app/save 1]", m.Event.Data)
	require.False(t, m.WantsReply())

	ws.write(`[[:save 1] "cb1"]`)
	m = a.waitEvent(t, "chsk/bad-event", time.Second)
	require.True(t, wire.Equal(wire.Vector{wire.Keyword("save"), int64(1)}, m.Event.Data))
	require.True(t, m.WantsReply())

	ws.write(`[[:test/echo "still open"] "cb2"]`)
	require.Equal(t, `["still open" "cb2"]`, ws.read())
}

// §9 and §14.9: the rejections, as Sente writes them.
func TestRejections(t *testing.T) {
	opts := refOptions()
	opts.AllowedOrigins = []string{"https://app.example.com"}
	a := newRefApp(t, opts)
	cookie, token := a.newSession()
	good := "https://app.example.com"
	for _, tc := range []struct {
		name, query string
		h           http.Header
		status      int
		body        string
	}{
		{"no client-id", "csrf-token=" + token, http.Header{"Origin": {good}}, 500, clientIDMessage},
		{"blank client-id", "client-id=&csrf-token=" + token, http.Header{"Origin": {good}}, 500, clientIDMessage},
		{"no token", "client-id=x", http.Header{"Origin": {good}}, 403, "Bad CSRF token"},
		{"wrong token", "client-id=x&csrf-token=wrong", http.Header{"Origin": {good}}, 403, "Bad CSRF token"},
		{"evil origin", "client-id=x&csrf-token=" + token, http.Header{"Origin": {"https://evil.example"}}, 403, "Unauthorized origin"},
		{"csrf before origin", "client-id=x", http.Header{"Origin": {"https://evil.example"}}, 403, "Bad CSRF token"},
		{"trailing slash", "client-id=x&csrf-token=" + token, http.Header{"Origin": {good + "/"}}, 403, "Unauthorized origin"},
		{"no origin nor referer", "client-id=x&csrf-token=" + token, http.Header{}, 403, "Unauthorized origin"},
		{"evil referer", "client-id=x&csrf-token=" + token, http.Header{"Referer": {"https://app.example.com.evil.net/"}}, 403, "Unauthorized origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.h.Set("Cookie", cookie)
			for _, upgrade := range []bool{true, false} {
				h := tc.h.Clone()
				if upgrade {
					h.Set("Upgrade", "websocket")
					h.Set("Connection", "Upgrade")
					h.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
					h.Set("Sec-WebSocket-Version", "13")
				}
				st, rh, body := a.do(t, http.MethodGet, "/chsk?"+tc.query, h, "")
				require.Equal(t, tc.status, st)
				require.Equal(t, tc.body, body)
				require.Empty(t, rh.Get("Content-Type"))
			}
		})
	}
	// The allowed origin, or its Referer when there is no Origin, passes.
	st, _, _ := a.do(t, http.MethodGet, "/chsk?handshake%3F=true&client-id=x&csrf-token="+token,
		http.Header{"Cookie": {cookie}, "Referer": {good + "/some/page"}}, "")
	require.Equal(t, 200, st)
}

func TestRejectHookAndReasons(t *testing.T) {
	var mu sync.Mutex
	var seen []*Rejection
	opts := refOptions()
	opts.Reject = func(r *http.Request) *Rejection {
		if r.URL.Query().Get("client-id") == "banned" {
			return &Rejection{Status: http.StatusTeapot, Body: "nope", Reason: "banned client"}
		}
		return nil
	}
	opts.OnReject = func(_ *http.Request, rej *Rejection) {
		mu.Lock()
		seen = append(seen, rej)
		mu.Unlock()
	}
	a := newRefApp(t, opts)
	cookie, token := a.newSession()
	st, body := a.ajaxGet(t, cookie, token, "banned", true)
	require.Equal(t, http.StatusTeapot, st)
	require.Equal(t, "nope", body)
	st, _ = a.ajaxGet(t, cookie, "forged", "c", true)
	require.Equal(t, 403, st)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, seen, 2)
	require.Equal(t, RejectHook, seen[0].Kind)
	require.Equal(t, RejectCSRF, seen[1].Kind)
	require.Contains(t, seen[1].Reason, "does not match")
	require.NotContains(t, seen[1].Reason, token)
}

// §14.5–14.7: Ajax handshake, poll, POST.
func TestAjax(t *testing.T) {
	a := newRefApp(t, refOptions())
	cookie, token := a.newSession()
	st, body := a.ajaxGet(t, cookie, token, "probe-d", true)
	require.Equal(t, 200, st)
	require.Equal(t, `[[:chsk/handshake ["probe-d" nil nil]] nil]`, body)
	a.waitEvent(t, "chsk/uidport-open", time.Second)

	// A poll with nothing to deliver times out.
	start := time.Now()
	st, body = a.ajaxGet(t, cookie, token, "probe-d", false)
	require.Equal(t, 200, st)
	require.Equal(t, `[:chsk/timeout nil]`, body)
	require.GreaterOrEqual(t, time.Since(start), 2*time.Second)

	// POSTs: with a callback the reply is the response; without, dummy-cb-200.
	for _, ppstr := range []string{`+[[:test/echo {:n 1}] 0]`, `[[:test/echo {:n 1}] :ajax]`} {
		st, body = a.ajaxPost(t, cookie, token, "probe-d", ppstr)
		require.Equal(t, 200, st)
		require.Equal(t, `[{:n 1} nil]`, body)
	}
	st, body = a.ajaxPost(t, cookie, token, "probe-d", `+[[:test/echo {:n 1}]]`)
	require.Equal(t, `[:chsk/dummy-cb-200 nil]`, body)
	start = time.Now()
	_, body = a.ajaxPost(t, cookie, token, "probe-d", `[[:test/unhandled 8] :ajax]`)
	require.Equal(t, `[:chsk/timeout nil]`, body)
	require.GreaterOrEqual(t, time.Since(start), 2*time.Second)

	// A push while a poll is parked answers it.
	type res struct {
		st   int
		body string
	}
	got := make(chan res, 1)
	go func() {
		st, body := a.ajaxGet(t, cookie, token, "probe-d", false)
		got <- res{st, body}
	}()
	waitPolling(t, a.srv, "probe-d")
	_, body = a.ajaxPost(t, cookie, token, "probe-d", `[[:test/push {:n 7}] nil]`)
	require.Equal(t, `[:chsk/dummy-cb-200 nil]`, body)
	r := <-got
	require.Equal(t, `[[[:test/pushed {:n 7}] [:test/pushed {:n 7}]] nil]`, r.body)

	// A push between polls waits for the next poll.
	_, _ = a.ajaxPost(t, cookie, token, "probe-d", `[[:test/push {:n 9}] nil]`)
	waitTab(t, a.srv, adapter.Ajax, "probe-d", "two pushes waiting for a poll", func(c *tab) bool { return len(c.q.pending) == 2 && !c.q.flushing })
	start = time.Now()
	_, body = a.ajaxGet(t, cookie, token, "probe-d", false)
	require.Equal(t, `[[[:test/pushed {:n 9}] [:test/pushed {:n 9}]] nil]`, body)
	require.Less(t, time.Since(start), time.Second)
}

func TestAjaxPostRejections(t *testing.T) {
	opts := refOptions()
	opts.MaxMessageBytes = 1 << 10
	a := newRefApp(t, opts)
	cookie, token := a.newSession()
	// Sente's own CSRF check on POST (the app's middleware passed it).
	st, _, body := a.do(t, http.MethodPost, "/chsk", http.Header{
		"Cookie": {cookie}, "X-Csrf-Token": {token},
		"Content-Type": {"application/x-www-form-urlencoded"},
	}, "client-id=x&csrf-token=wrong&ppstr=x")
	require.Equal(t, 403, st)
	require.Equal(t, "Bad CSRF token", body)
	st, _ = a.ajaxPost(t, cookie, token, "x", strings.Repeat("[", 2000))
	require.Equal(t, http.StatusRequestEntityTooLarge, st)
	st, _, _ = a.do(t, http.MethodPut, "/chsk", nil, "")
	require.Equal(t, 404, st) // the app's router; Server itself answers 405:
	rec := newRecorder()
	a.srv.ServeHTTP(rec, mustRequest(t, http.MethodPut, "/chsk"))
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

// §8.4: uidport-close follows the last connection after the grace period, and
// a reconnect within it produces neither close nor open.
func TestUidportGrace(t *testing.T) {
	opts := refOptions()
	opts.CloseGraceWS = 300 * time.Millisecond
	a := newRefApp(t, opts)
	ws, _ := a.openWS(t, "g")
	a.waitEvent(t, "chsk/uidport-open", time.Second)
	require.Equal(t, []any{"g"}, a.srv.Connected().WS)
	_ = ws.c.CloseNow()
	// Reconnect within the grace: no uidport events, and pushes sent meanwhile
	// arrive.
	hardWaitDetached(t, a, adapter.WebSocket, "g")
	require.NoError(t, a.srv.Send("g", wire.Event{ID: "my-app/missed"}))
	ws2, _ := a.openWS(t, "g")
	require.Equal(t, `[[[:my-app/missed]] nil]`, ws2.read())
	_ = ws2.c.CloseNow()
	closeAt := time.Now()
	m := a.waitEvent(t, "chsk/uidport-close", 2*time.Second)
	require.Equal(t, "g", m.Event.Data)
	require.GreaterOrEqual(t, time.Since(closeAt), 250*time.Millisecond)
	require.Empty(t, a.srv.Connected().Any)
	require.Equal(t, 1, strings.Count(strings.Join(a.eventLog(), "\n"), ":chsk/uidport-open"))
}

// A client that does not read is disconnected once its queue is full; the
// others are unaffected.
func TestSlowConsumer(t *testing.T) {
	opts := refOptions()
	opts.MaxQueue = 64
	opts.SendBufferWS = -1
	opts.WriteTimeout = 500 * time.Millisecond
	opts.UserID = func(*http.Request, string) any { return "all" }
	a := newRefApp(t, opts)
	cookie, token := a.newSession()
	slow, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(a.hs.URL, "http")+"/chsk?client-id=slow&csrf-token="+token,
		&websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {cookie}}})
	require.NoError(t, err) // and never read from
	defer slow.CloseNow()
	fast, _ := a.openWS(t, "fast")
	big := strings.Repeat("x", 64<<10)
	done := make(chan struct{})
	var got atomic.Int64
	go func() {
		defer close(done)
		for got.Load() < 200 { // events may share frames while a write is in flight
			v, err := wire.Read([]byte(fast.read()), nil)
			if err != nil {
				t.Error(err)
				return
			}
			got.Add(int64(len(v.(wire.Vector)[0].(wire.Vector))))
		}
	}()
	for i := range int64(200) { // paced by the reading client, at most 16 behind; the silent one cannot keep up
		require.NoError(t, a.srv.Send("all", wire.Event{ID: "t/big", Data: big}))
		require.Eventually(t, func() bool { return got.Load() >= i-16 }, 10*time.Second, time.Millisecond)
	}
	<-done
	require.Eventually(t, func() bool { return a.srv.Stats().SlowDisconnects >= 1 }, 5*time.Second, 10*time.Millisecond)
}

func TestShutdown(t *testing.T) {
	a := newRefApp(t, refOptions())
	ws, _ := a.openWS(t, "s")
	cookie, token := a.newSession()
	_, _ = a.ajaxGet(t, cookie, token, "p", true)
	got := make(chan string, 1)
	go func() {
		_, body := a.ajaxGet(t, cookie, token, "p", false)
		got <- body
	}()
	waitPolling(t, a.srv, "p")
	require.NoError(t, a.srv.Shutdown(t.Context()))
	require.Equal(t, `[:chsk/timeout nil]`, <-got)
	require.Error(t, ws.ended(5*time.Second))
	st, _ := a.ajaxGet(t, cookie, token, "p", true)
	require.Equal(t, http.StatusServiceUnavailable, st)
	require.ErrorIs(t, a.srv.Send("s", wire.Event{ID: "a/b"}), ErrShutdown)
}

func TestMaxClientsPerUID(t *testing.T) {
	opts := refOptions()
	opts.MaxClientsPerUID = 2
	opts.UserID = func(*http.Request, string) any { return "u" }
	a := newRefApp(t, opts)
	a.openWS(t, "1")
	a.openWS(t, "2")
	cookie, token := a.newSession()
	_, resp, err := a.dialWS(t, "client-id=3&csrf-token="+token, http.Header{"Cookie": {cookie}})
	require.Error(t, err)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
}
