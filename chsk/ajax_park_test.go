//go:build linux

package chsk

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/internal/refapp"
	"github.com/gosente/gosente/chsk/wire"
)

// pollHandlers counts the goroutines in a long-poll's handler (by stack).
func pollHandlers() int { return goroutineStacks("chsk.(*Server).serveAjaxGet") }

// keptAlive is an Ajax client on one kept-alive connection, counting the
// connections it had to open.
type keptAlive struct {
	hc            *http.Client
	dials         atomic.Int32
	cookie, token string
	cid           string
	url           string
}

func newKeptAlive(a *refApp, cookie, token, cid string) *keptAlive {
	k := &keptAlive{cookie: cookie, token: token, cid: cid, url: a.hs.URL + "/chsk"}
	d := &net.Dialer{}
	k.hc = &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			k.dials.Add(1)
			return d.DialContext(ctx, network, addr)
		}}}
	return k
}

func (k *keptAlive) do(ctx context.Context, method, query, body string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, method, k.url+"?"+query, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Cookie", k.cookie)
	req.Header.Set("X-Csrf-Token", k.token)
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	}
	res, err := k.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d: %s", res.StatusCode, b)
	}
	return string(b), err
}

func (k *keptAlive) get(ctx context.Context, handshake bool) (string, error) {
	q := url.Values{"udt": {"1700000000000"}, "client-id": {k.cid}}
	if handshake {
		q.Set("handshake?", "true")
	}
	return k.do(ctx, http.MethodGet, q.Encode(), "")
}

// pollAsync starts a poll and returns where its answer (or error) arrives.
func (k *keptAlive) pollAsync(ctx context.Context) <-chan string {
	out := make(chan string, 1)
	go func() {
		body, err := k.get(ctx, false)
		if err != nil {
			body = "error: " + err.Error()
		}
		out <- body
	}()
	return out
}

func recv(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no answer to the poll")
		return ""
	}
}

// Parked polls give up their handlers' goroutines (net/http's too: the
// connection is taken over), still get pushes, and each client goes on over
// its one kept-alive connection: the next polls and POSTs reuse it, and
// polls park again. A client that goes away while parked is noticed.
func TestParkedPollsTakenOver(t *testing.T) {
	const n = 20
	a := newRefApp(t, Options{ParkAfter: 20 * time.Millisecond, SendBufferAjax: -1,
		UserID: func(_ *http.Request, cid string) any { return cid }})
	cookie, token := a.newSession()
	clients := make([]*keptAlive, n)
	for i := range clients {
		clients[i] = newKeptAlive(a, cookie, token, fmt.Sprintf("lp-%d", i))
		_, err := clients[i].get(t.Context(), true)
		require.NoError(t, err)
	}
	for round := range 3 {
		polls := make([]<-chan string, n)
		for i, k := range clients {
			polls[i] = k.pollAsync(t.Context())
		}
		waitUntil(t, 10*time.Second, func() bool {
			st := a.srv.Stats() // first: a poll not parked yet is not in a handler either
			return st.PollsTakenOver == uint64((round+1)*n) && st.Connections.Ajax == n && pollHandlers() == 0
		},
			func() string {
				return fmt.Sprintf("round %d: %d poll handlers waiting, %d polls parked", round, pollHandlers(), a.srv.Stats().Connections.Ajax)
			})
		for i, k := range clients {
			require.NoError(t, a.srv.Send(k.cid, wire.Event{ID: "t/n", Data: int64(i*10 + round)}))
		}
		for i := range clients {
			require.Equal(t, fmt.Sprintf(`[[[:t/n %d]] nil]`, i*10+round), recv(t, polls[i]))
		}
		for i, k := range clients {
			form := url.Values{"udt": {"1700000000100"}, "client-id": {k.cid}, "ppstr": {fmt.Sprintf(`[[:test/echo %d] 0]`, i)}}
			body, err := k.do(t.Context(), http.MethodPost, "", form.Encode())
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf(`[%d nil]`, i), body)
		}
	}
	for i, k := range clients {
		require.Equal(t, int32(1), k.dials.Load(), "client %d opened more than one connection", i)
	}
	require.Equal(t, uint64(3*n), a.srv.Stats().PollsTakenOver)

	// A client that goes away while its poll is taken over is noticed.
	ctx, cancel := context.WithCancel(t.Context())
	gone := clients[0].pollAsync(ctx)
	waitUntil(t, 10*time.Second, func() bool { return a.srv.Stats().PollsTakenOver == 3*n+1 && pollHandlers() == 0 },
		func() string { return fmt.Sprintf("%d polls parked", a.srv.Stats().Connections.Ajax) })
	cancel()
	require.Contains(t, recv(t, gone), "context canceled")
	waitUntil(t, 10*time.Second, func() bool { return a.srv.Stats().Connections.Ajax == 0 },
		func() string { return "the poll of a client that went away is still parked" })
}

// Shutdown answers taken-over polls :chsk/timeout and closes their
// connections once idle, without waiting for them.
func TestParkedPollsTakenOverShutdown(t *testing.T) {
	a := newRefApp(t, Options{ParkAfter: 20 * time.Millisecond,
		UserID: func(_ *http.Request, cid string) any { return cid }})
	cookie, token := a.newSession()
	k := newKeptAlive(a, cookie, token, "lp-shutdown")
	_, err := k.get(t.Context(), true)
	require.NoError(t, err)
	poll := k.pollAsync(t.Context())
	waitUntil(t, 10*time.Second, func() bool { return a.srv.Stats().PollsTakenOver == 1 && pollHandlers() == 0 },
		func() string { return "the poll did not park" })
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second) // below http.Server's 5s for a new connection
	defer cancel()
	require.NoError(t, a.srv.Shutdown(ctx))
	require.Equal(t, `[:chsk/timeout nil]`, recv(t, poll))
}

// Polls over TLS (HTTP/2 here) cannot be taken over: they keep their
// handlers, still get their pushes, and the server says why, once.
func TestParkedPollOverHTTP2KeepsItsHandler(t *testing.T) {
	var logs refapp.LogBuffer
	srv, err := New(&Options{ParkAfter: time.Millisecond,
		Handler:   HandlerFunc(func(*Message) {}),
		UserID:    func(_ *http.Request, cid string) any { return cid },
		CSRFToken: func(*http.Request) string { return SkipCSRFCheck },
		Logger:    slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, err)
	hs := httptest.NewUnstartedServer(srv)
	hs.EnableHTTP2 = true
	hs.StartTLS()
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, srv.Shutdown(context.Background()))
	})
	get := func(ctx context.Context, q string) (string, string, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, hs.URL+"/chsk?udt=1&client-id=h2&"+q, nil)
		res, err := hs.Client().Do(req)
		if err != nil {
			return "", "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.Proto, string(b), err
	}
	_, _, err = get(t.Context(), "handshake%3F=true")
	require.NoError(t, err)
	type answer struct{ proto, body string }
	polled := make(chan answer, 1)
	go func() {
		proto, body, err := get(t.Context(), "")
		if err != nil {
			body = err.Error()
		}
		polled <- answer{proto, body}
	}()
	waitUntil(t, 10*time.Second, func() bool { return srv.Stats().Connections.Ajax == 1 },
		func() string { return "the poll did not park" })
	require.Positive(t, pollHandlers(), "the poll's handler let go of an HTTP/2 poll")
	require.NoError(t, srv.Send("h2", wire.Event{ID: "t/n", Data: int64(1)}))
	select {
	case a := <-polled:
		require.Equal(t, answer{"HTTP/2.0", `[[[:t/n 1]] nil]`}, a)
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
	}
	require.Zero(t, srv.Stats().PollsTakenOver)
	require.Equal(t, 1, strings.Count(logs.String(), "parked Ajax polls keep their goroutines"), logs.String())
}
