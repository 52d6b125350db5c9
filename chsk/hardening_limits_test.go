package chsk

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

// Each limit of Options, exactly at the limit and one past it.

// hardEchoOfSize returns the frame [[:test/echo "xx…"] cb] of exactly n bytes.
func hardEchoOfSize(n int, cb string) string {
	head, tail := `[[:test/echo "`, `"] `+cb+`]`
	return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
}

// MaxMessageBytes: a WebSocket message and an Ajax POST body of exactly the
// limit are served; one byte more closes the socket with 1009 or answers
// 413.
func TestHardeningMaxMessageBytes(t *testing.T) {
	const limit = 4096
	hardBaseline(t, 8<<20)
	opts := hardOptions()
	opts.MaxMessageBytes = limit
	a := newRefApp(t, opts)

	t.Run("ws at the limit", func(t *testing.T) {
		ws, _ := a.openWS(t, rand.Text())
		frame := hardEchoOfSize(limit, `"cb"`)
		require.Len(t, frame, limit)
		ws.write(frame)
		reply := ws.read()
		require.True(t, strings.HasPrefix(reply, `["xxx`), reply)
		require.Equal(t, `["`+strings.Repeat("x", limit-len(`[[:test/echo ""] "cb"]`))+`" "cb"]`, reply)
	})
	t.Run("ws one byte over", func(t *testing.T) {
		ws, _ := a.openWS(t, rand.Text())
		ws.hostileWrite(websocket.MessageText, []byte(hardEchoOfSize(limit+1, `"cb"`)))
		err := ws.ended(5 * time.Second)
		require.Equal(t, websocket.StatusMessageTooBig, websocketCloseStatus(err), "err: %v", err)
	})
	// The limit bounds the whole POST body, form encoding included.
	post := func(t *testing.T, size int) (int, string) {
		cookie, token := a.newSession()
		head := "client-id=" + rand.Text() + "&ppstr="
		tail := url.QueryEscape(`"] 0]`)
		body := head + url.QueryEscape(`[[:test/echo "`) + strings.Repeat("x", size-len(head)-len(url.QueryEscape(`[[:test/echo "`))-len(tail)) + tail
		require.Len(t, body, size)
		st, _, resp := a.do(t, http.MethodPost, "/chsk", http.Header{
			"Cookie": {cookie}, "X-Csrf-Token": {token},
			"Content-Type": {"application/x-www-form-urlencoded"},
		}, body)
		return st, resp
	}
	t.Run("ajax at the limit", func(t *testing.T) {
		st, body := post(t, limit)
		require.Equal(t, http.StatusOK, st, body)
		require.True(t, strings.HasPrefix(body, `["xxx`), body)
	})
	t.Run("ajax one byte over", func(t *testing.T) {
		st, body := post(t, limit+1)
		require.Equal(t, http.StatusRequestEntityTooLarge, st, body)
	})
	hardAssertServes(t, a)
	hardWaitIdle(t, a, 5*time.Second)
}

// ReadLimits.MaxDepth: a frame nested exactly to the limit is read; one level
// more is a bad package (the socket stays usable).
func TestHardeningMaxDepth(t *testing.T) {
	const depth = 16
	hardBaseline(t, 8<<20)
	opts := hardOptions()
	opts.ReadLimits = wire.ReadOptions{MaxDepth: depth}
	a := newRefApp(t, opts)
	// The envelope and the event are two levels: depth-2 more reach the limit.
	nested := func(levels int) string { return strings.Repeat("[", levels) + strings.Repeat("]", levels) }
	atLimit := `[[:test/echo ` + nested(depth-2) + `] "cb"]`
	over := `[[:test/echo ` + nested(depth-1) + `] "cb"]`

	t.Run("ws", func(t *testing.T) {
		ws, _ := a.openWS(t, rand.Text())
		ws.write(atLimit)
		require.Equal(t, `[`+nested(depth-2)+` "cb"]`, ws.read())
		ws.write(over)
		m := a.waitEvent(t, "chsk/bad-package", 5*time.Second)
		require.Equal(t, over, m.Event.Data)
		ws.write(`[[:test/echo 2] "after"]`) // the socket survives
		require.Equal(t, `[2 "after"]`, ws.read())
	})
	t.Run("ajax", func(t *testing.T) {
		cookie, token := a.newSession()
		st, body := a.ajaxPost(t, cookie, token, rand.Text(), strings.Replace(atLimit, `"cb"`, "0", 1))
		require.Equal(t, http.StatusOK, st)
		require.Equal(t, `[`+nested(depth-2)+` nil]`, body)
		st, body = a.ajaxPost(t, cookie, token, rand.Text(), strings.Replace(over, `"cb"`, "0", 1))
		require.Equal(t, http.StatusOK, st)
		require.Equal(t, `[:chsk/dummy-cb-200 nil]`, body)
		a.waitEvent(t, "chsk/bad-package", 5*time.Second)
	})
	hardAssertServes(t, a)
	hardWaitIdle(t, a, 5*time.Second)
}

// A client without a connection (an Ajax client between polls, a
// WebSocket client within its close grace) keeps up to MaxQueue pushes for
// its return; one more drops them all and counts as a slow disconnect.
func TestHardeningMaxQueue(t *testing.T) {
	const maxQueue = 8
	hardBaseline(t, 8<<20)
	opts := hardOptions()
	opts.MaxQueue = maxQueue
	opts.CloseGraceWS = 5 * time.Second
	opts.CloseGraceAjax = 5 * time.Second
	a := newRefApp(t, opts)
	batch := func(from, n int) string {
		var evs []string
		for i := range n {
			evs = append(evs, fmt.Sprintf("[:t/q %d]", from+i))
		}
		return "[" + strings.Join(evs, " ") + "]"
	}
	push := func(uid string, n int) {
		for i := range n {
			require.NoError(t, a.srv.Send(uid, wire.Event{ID: "t/q", Data: int64(i)}))
		}
	}

	t.Run("ajax", func(t *testing.T) {
		cookie, token := a.newSession()
		for _, tc := range []struct {
			pushes int
			want   string
		}{
			{maxQueue, `[` + batch(0, maxQueue) + ` nil]`},
			{maxQueue + 1, `[:chsk/timeout nil]`}, // the queue was dropped: the poll waits in vain
		} {
			cid := rand.Text()
			st, _ := a.ajaxGet(t, cookie, token, cid, true) // handshake; no poll parked yet
			require.Equal(t, http.StatusOK, st)
			drops := a.srv.Stats().SlowDisconnects
			push(cid, tc.pushes)
			st, body := a.ajaxGet(t, cookie, token, cid, false)
			require.Equal(t, http.StatusOK, st)
			require.Equal(t, tc.want, body, "%d pushes", tc.pushes)
			require.Equal(t, drops+uint64(tc.pushes/(maxQueue+1)), a.srv.Stats().SlowDisconnects)
		}
	})
	t.Run("ws", func(t *testing.T) {
		for _, tc := range []struct {
			pushes    int
			delivered bool
		}{{maxQueue, true}, {maxQueue + 1, false}} {
			cid := rand.Text()
			ws, _ := a.openWS(t, cid)
			_ = ws.c.Close(websocket.StatusNormalClosure, "")
			hardWaitDetached(t, a, adapter.WebSocket, cid)
			drops := a.srv.Stats().SlowDisconnects
			push(cid, tc.pushes)
			ws2, _ := a.openWS(t, cid) // back within the grace
			if tc.delivered {
				require.Equal(t, `[`+batch(0, maxQueue)+` nil]`, ws2.read())
				hardWaitQueue(t, a, cid, 0) // see TestHardeningMaxQueueInFlight
			} else {
				ws2.silent(100 * time.Millisecond)
			}
			require.Equal(t, drops+uint64(tc.pushes/(maxQueue+1)), a.srv.Stats().SlowDisconnects)
			require.NoError(t, a.srv.Send(cid, wire.Event{ID: "t/q", Data: int64(99)}))
			require.Equal(t, `[[[:t/q 99]] nil]`, ws2.read(), "the client is served again")
		}
	})
	hardAssertServes(t, a)
}

// A client that reconnects to MaxQueue pushes and reads them all is caught
// up; the next push must not find it "too far behind". The server used to
// count the batch being written as queued until the write call returned, so
// a push that came just after the client read the batch, but before the
// writer took the lock again, disconnected a client that was caught up. The
// race is narrow; 20 rounds find it almost surely.
func TestHardeningMaxQueueInFlight(t *testing.T) {
	const maxQueue = 8
	hardBaseline(t, 8<<20)
	opts := hardOptions()
	opts.MaxQueue = maxQueue
	opts.CloseGraceWS = 5 * time.Second
	a := newRefApp(t, opts)
	for round := range 20 {
		cid := rand.Text()
		ws, _ := a.openWS(t, cid)
		_ = ws.c.Close(websocket.StatusNormalClosure, "")
		hardWaitDetached(t, a, adapter.WebSocket, cid)
		for i := range maxQueue {
			require.NoError(t, a.srv.Send(cid, wire.Event{ID: "t/q", Data: int64(i)}))
		}
		ws2, _ := a.openWS(t, cid)
		ws2.read() // all maxQueue pushes: the client is caught up
		require.NoError(t, a.srv.Send(cid, wire.Event{ID: "t/q", Data: int64(99)}))
		select {
		case f := <-ws2.frames:
			require.NoError(t, f.err, "round %d: a caught-up client was disconnected as slow (SlowDisconnects %d)",
				round, a.srv.Stats().SlowDisconnects)
			require.Equal(t, `[[[:t/q 99]] nil]`, string(f.data))
		case <-time.After(5 * time.Second):
			t.Fatal("no push")
		}
		_ = ws2.c.CloseNow()
	}
	require.Zero(t, a.srv.Stats().SlowDisconnects)
}

// hardWaitQueue waits until WebSocket client cid (uid cid) has n frames and
// pushes queued on the server.
func hardWaitQueue(t *testing.T, a *refApp, cid string, n int) {
	t.Helper()
	waitTab(t, a.srv, adapter.WebSocket, cid, "a queue of "+strconv.Itoa(n), func(c *tab) bool { return c.q.len() == n })
}

// hardWaitDetached waits until the server noticed that client cid's
// connection ended (it is then within its close grace).
func hardWaitDetached(t *testing.T, a *refApp, kind adapter.Transport, cid string) {
	t.Helper()
	waitTab(t, a.srv, kind, cid, "no connection", func(c *tab) bool { return c.conn == nil })
}

// MaxClientsPerUID counts a uid's clients over both transports: N are
// served, the next is refused with 429 (WebSocket upgrade or Ajax
// handshake) without a trace in the registry, a client already counted may
// reconnect, and a slot frees once a client's grace ran out.
func TestHardeningMaxClientsPerUID(t *testing.T) {
	const limit = 3
	hardBaseline(t, 8<<20)
	opts := hardOptions()
	opts.MaxClientsPerUID = limit
	opts.UserID = func(_ *http.Request, cid string) any { uid, _, _ := strings.Cut(cid, "."); return uid }
	var (
		mu       sync.Mutex
		rejected []*Rejection
	)
	opts.OnReject = func(_ *http.Request, rej *Rejection) {
		mu.Lock()
		rejected = append(rejected, rej)
		mu.Unlock()
	}
	a := newRefApp(t, opts)
	cookie, token := a.newSession()
	ws1, _ := a.openWS(t, "m.1")
	a.openWS(t, "m.2")
	st, _ := a.ajaxGet(t, cookie, token, "m.3", true)
	require.Equal(t, http.StatusOK, st)

	_, resp, err := a.dialWS(t, "client-id=m.4&csrf-token="+url.QueryEscape(token), http.Header{"Cookie": {cookie}})
	require.Error(t, err)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	st, body := a.ajaxGet(t, cookie, token, "m.5", true)
	require.Equal(t, http.StatusTooManyRequests, st, body)
	st, _ = a.ajaxGet(t, cookie, token, "m.3", true) // an existing client handshakes again
	require.Equal(t, http.StatusOK, st)
	mu.Lock()
	require.Len(t, rejected, 2)
	for _, rej := range rejected {
		require.Equal(t, RejectLimit, rej.Kind)
		require.Equal(t, http.StatusTooManyRequests, rej.Status)
	}
	mu.Unlock()
	ws1b, _ := a.openWS(t, "m.1") // an existing client reconnects (replacing its socket)
	require.Error(t, ws1.ended(5*time.Second))
	require.Equal(t, 1, hardPortEvents(t, a).opens[`"m"`])

	// Another uid is not affected.
	a.openWS(t, "other.1")

	// m.1 leaves; after its grace a new client of m fits.
	_ = ws1b.c.CloseNow()
	require.Eventually(t, func() bool {
		st, _ := a.ajaxGet(t, cookie, token, "m.6", true)
		return st == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond)
	require.Equal(t, 1, hardPortEvents(t, a).opens[`"m"`], "m never lost all its clients")
	hardAssertServes(t, a)
}

// 500 WebSocket upgrades at the same instant all succeed, and leave the
// server healthy and, once they close, empty.
func TestHardeningConnectionStorm(t *testing.T) {
	const storm = 500
	hardBaseline(t, 8<<20)
	// Under the storm an upgrade may take longer than the 100ms grace
	// (TestHardeningSlowUpgradeOutlastsGrace).
	a := newRefApp(t, hardOptions())
	cookie, token := a.newSession()
	running := hardSettledGoroutines() // the server, idle
	start := make(chan struct{})
	errs := make(chan error, storm)
	conns := make([]*rawWS, storm)
	var wg sync.WaitGroup
	for i := range storm {
		wg.Go(func() {
			<-start
			ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			w, err := rawOpen(ctx, a.hs.URL, cookie, token, fmt.Sprintf("storm-%d", i), 0)
			if err != nil {
				errs <- err
				return
			}
			hs, err := w.readText(10 * time.Second)
			if err != nil || !strings.HasPrefix(hs, "[[:chsk/handshake") {
				errs <- fmt.Errorf("handshake %q: %v", hs, err)
				w.closeAbrupt()
				return
			}
			conns[i] = w
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(began)
	close(errs)
	defer func() {
		for _, w := range conns {
			if w != nil {
				w.closeAbrupt()
			}
		}
	}()
	for err := range errs {
		t.Fatal(err)
	}
	t.Logf("%d simultaneous upgrades served in %v", storm, took.Round(time.Millisecond))
	if n := len(a.srv.Connected().Any); n != storm {
		// What do the sockets of the clients the server forgot say?
		connected := map[any]bool{}
		for _, uid := range a.srv.Connected().Any {
			connected[uid] = true
		}
		for i, w := range conns {
			if cid := fmt.Sprintf("storm-%d", i); !connected[cid] {
				op, p, err := w.readFrame(200 * time.Millisecond)
				t.Logf("%s: op %d payload %q err %v", cid, op, p, err)
			}
		}
		t.Fatalf("%d of %d clients connected after the storm", n, storm)
	}
	hardAssertServes(t, a) // while the storm's sockets are open
	for i, w := range conns {
		if i%2 == 0 {
			w.closeAbrupt()
		} else {
			_ = w.conn.Close()
		}
	}
	hardWaitIdle(t, a, 5*time.Second)
	hardGoroutinesAtMost(t, running, 5*time.Second)
	hardAssertServes(t, a)
}
