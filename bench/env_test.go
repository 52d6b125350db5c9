package bench

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/client"
	"github.com/gosente/gosente/chsk/wire"
	"github.com/gosente/gosente/internal/rawws"
)

// payload is the ~100-byte text every echo benchmark sends.
var payload = strings.Repeat("0123456789", 10)

// echoID is the event id of the gosente echo request.
const echoID wire.Keyword = "bench/echo"

// setupTimeout bounds connecting and closing a benchmark's clients.
const setupTimeout = 30 * time.Second

// quietLogger discards the logs of servers and clients.
var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// rawServer serves the raw baselines (internal/rawws) behind an httptest
// server, at /echo and /hub.
type rawServer struct {
	raw *rawws.Server
	ts  *httptest.Server
}

func newRawServer() *rawServer {
	raw := rawws.New()
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", raw.Echo)
	mux.HandleFunc("/hub", raw.Hub)
	return &rawServer{raw: raw, ts: httptest.NewServer(mux)}
}

// close drops every connection and stops the server.
func (s *rawServer) close() {
	s.raw.Close()
	s.ts.Close()
}

// chskServer is a gosente Server behind an httptest server.
type chskServer struct {
	srv *chsk.Server
	ts  *httptest.Server
}

// newChskServer starts a gosente server whose handler echoes every request's
// data, with the CSRF check off and every client's uid set to uid. A
// negative sendBuffer pushes every event at once; zero keeps Sente's window.
func newChskServer(tb testing.TB, uid string, sendBuffer time.Duration) *chskServer {
	tb.Helper()
	srv, err := chsk.New(&chsk.Options{
		Handler: chsk.HandlerFunc(func(m *chsk.Message) {
			if m.ID() == echoID {
				_ = m.Reply(m.Event.Data)
			}
		}),
		CSRFToken:    func(*http.Request) string { return chsk.SkipCSRFCheck },
		UserID:       func(*http.Request, string) any { return uid },
		SendBufferWS: sendBuffer,
		Logger:       quietLogger,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &chskServer{srv: srv, ts: httptest.NewServer(srv)}
}

// close shuts the server down and waits for its goroutines.
func (s *chskServer) close(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		tb.Error(err)
	}
	s.ts.Close()
}

// wsURL turns an httptest server's http URL into a ws URL.
func wsURL(ts *httptest.Server) string { return "ws" + strings.TrimPrefix(ts.URL, "http") }

// dialRaw opens n coder/websocket connections, the i-th to urlOf(i).
func dialRaw(tb testing.TB, urlOf func(i int) string, n int) []*websocket.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		c, _, err := websocket.Dial(ctx, urlOf(i), nil)
		if err != nil {
			closeRaw(conns[:i])
			tb.Fatalf("dial %d: %v", i, err)
		}
		conns[i] = c
	}
	return conns
}

// closeRaw closes connections without the close handshake.
func closeRaw(conns []*websocket.Conn) {
	for _, c := range conns {
		_ = c.CloseNow()
	}
}

// dialChsk connects n gosente clients of transport kind to url.
func dialChsk(tb testing.TB, url string, n int, kind client.Options) []*client.Client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	clients := make([]*client.Client, n)
	for i := range clients {
		opts := kind
		opts.Logger = quietLogger
		c, err := client.Dial(ctx, url, &opts)
		if err != nil {
			closeChsk(clients[:i])
			tb.Fatalf("dial %d: %v", i, err)
		}
		clients[i] = c
	}
	return clients
}

// closeChsk closes gosente clients concurrently.
func closeChsk(clients []*client.Client) {
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() { _ = c.Close() })
	}
	wg.Wait()
}

// roundTrips runs total round trips spread over the workers, each worker
// calling its own roundTrip until the shared count is used up, and returns
// the first error.
func roundTrips(total int, workers []func() error) error {
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, rt := range workers {
		wg.Go(func() {
			for next.Add(1) <= int64(total) {
				if err := rt(); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(total)) // stop the others
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}
