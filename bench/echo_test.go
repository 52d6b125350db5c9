package bench

import (
	"context"
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

var (
	echoClients = flag.Int("bench.echo-clients", 50, "concurrent clients of the WebSocket echo benchmarks")
	ajaxClients = flag.Int("bench.ajax-clients", 50, "concurrent clients of the Ajax echo benchmark")
)

// requestTimeout bounds one round trip; a benchmark fails rather than hangs.
const requestTimeout = 10 * time.Second

// rawEchoWorkers connects n coder/websocket clients to a raw echo server and
// returns one round-trip function per client and a function closing all.
func rawEchoWorkers(tb testing.TB, n int) ([]func() error, func()) {
	tb.Helper()
	ts := rawEchoServer()
	conns := dialRaw(tb, func(int) string { return wsURL(ts) }, n)
	msg := []byte(payload)
	workers := make([]func() error, n)
	for i, c := range conns {
		workers[i] = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			if err := c.Write(ctx, websocket.MessageText, msg); err != nil {
				return err
			}
			_, got, err := c.Read(ctx)
			if err != nil {
				return err
			}
			if len(got) != len(msg) {
				return fmt.Errorf("echo of %d bytes came back as %d", len(msg), len(got))
			}
			return nil
		}
	}
	return workers, func() {
		closeRaw(conns)
		ts.Close()
	}
}

// chskEchoWorkers connects n gosente clients of the given transport to a
// gosente echo server and returns one round-trip function per client and a
// function closing all.
func chskEchoWorkers(tb testing.TB, n int, kind adapter.Transport) ([]func() error, func()) {
	tb.Helper()
	s := newChskServer(tb, "echo", 0)
	clients := dialChsk(tb, s.ts.URL, n, chsk.ClientOptions{Type: kind})
	ev := wire.Event{ID: echoID, Data: payload}
	workers := make([]func() error, n)
	for i, c := range clients {
		workers[i] = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			got, err := c.Request(ctx, ev)
			if err != nil {
				return err
			}
			if got != payload {
				return fmt.Errorf("echo came back as %v", got)
			}
			return nil
		}
	}
	return workers, func() {
		closeChsk(clients)
		s.close(tb)
	}
}

// runEcho times b.N round trips over the workers and reports round trips
// per second.
func runEcho(b *testing.B, workers []func() error, closeAll func()) {
	defer closeAll()
	b.ResetTimer()
	start := time.Now()
	if err := roundTrips(b.N, workers); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "rt/s")
}

// BenchmarkEchoRawWS is the baseline: request/reply round trips of a
// ~100-byte text message against a coder/websocket echo server.
func BenchmarkEchoRawWS(b *testing.B) {
	workers, closeAll := rawEchoWorkers(b, *echoClients)
	runEcho(b, workers, closeAll)
}

// BenchmarkEchoChsk is the same over gosente: Client.Request over a
// WebSocket, answered by a handler calling Reply with the event's data.
func BenchmarkEchoChsk(b *testing.B) {
	workers, closeAll := chskEchoWorkers(b, *echoClients, chsk.TransportWS)
	runEcho(b, workers, closeAll)
}

// BenchmarkEchoChskAjax is BenchmarkEchoChsk over Ajax: each request is a
// POST answered with the reply, while each client keeps a long-poll open.
func BenchmarkEchoChskAjax(b *testing.B) {
	workers, closeAll := chskEchoWorkers(b, *ajaxClients, chsk.TransportAjax)
	runEcho(b, workers, closeAll)
}
