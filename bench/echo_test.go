package bench

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gosente/gosente/chsk/client"
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
	rs := newRawServer()
	conns := dialRaw(tb, func(int) string { return wsURL(rs.ts) + "/echo" }, n)
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
		rs.close()
	}
}

// chskEchoWorkers connects n gosente clients of the given transport to a
// gosente echo server and returns one round-trip function per client and a
// function closing all.
func chskEchoWorkers(tb testing.TB, n int, kind client.Transport) ([]func() error, func()) {
	tb.Helper()
	s := newChskServer(tb, "echo", 0)
	clients := dialChsk(tb, s.ts.URL, n, client.Options{Type: kind})
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

// senteEchoWorkers connects n raw coder/websocket clients to a gosente echo
// server; each writes Sente's request frame, [[:bench/echo "…"] cb], and
// reads the reply, ["…" cb]. The clients cost what the raw baseline's cost,
// so the difference to BenchmarkEchoRawWS is the server's.
func senteEchoWorkers(tb testing.TB, n int) ([]func() error, func()) {
	tb.Helper()
	s := newChskServer(tb, "echo", 0)
	conns := dialRaw(tb, func(i int) string { return wsURL(s.ts) + "/chsk?client-id=raw-" + strconv.Itoa(i) }, n)
	head, err := wire.Marshal(wire.Event{ID: echoID, Data: payload})
	if err != nil {
		tb.Fatal(err)
	}
	workers := make([]func() error, n)
	for i, c := range conns {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		_, hs, err := c.Read(ctx) // the handshake
		cancel()
		if err != nil || !bytes.Contains(hs, []byte("chsk/handshake")) {
			tb.Fatalf("client %d: handshake %q: %v", i, hs, err)
		}
		var frame, want []byte
		cb := 0
		workers[i] = func() error {
			cb++
			frame = append(append(frame[:0], '['), head...)
			frame = strconv.AppendInt(append(frame, ' '), int64(cb), 10)
			frame = append(frame, ']')
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			if err := c.Write(ctx, websocket.MessageText, frame); err != nil {
				return err
			}
			_, got, err := c.Read(ctx)
			if err != nil {
				return err
			}
			want = append(strconv.AppendInt(append(want[:0], ' '), int64(cb), 10), ']')
			if !bytes.HasSuffix(got, want) {
				return fmt.Errorf("reply %q is not for callback %d", got, cb)
			}
			return nil
		}
	}
	return workers, func() {
		closeRaw(conns)
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
	workers, closeAll := chskEchoWorkers(b, *echoClients, client.TransportWS)
	runEcho(b, workers, closeAll)
}

// BenchmarkEchoChskServer is BenchmarkEchoChsk with raw coder/websocket
// clients that write and read Sente's frames themselves: the gosente server
// against the raw echo server, with the same clients.
func BenchmarkEchoChskServer(b *testing.B) {
	workers, closeAll := senteEchoWorkers(b, *echoClients)
	runEcho(b, workers, closeAll)
}

// BenchmarkEchoChskAjax is BenchmarkEchoChsk over Ajax: each request is a
// POST answered with the reply, while each client keeps a long-poll open.
func BenchmarkEchoChskAjax(b *testing.B) {
	workers, closeAll := chskEchoWorkers(b, *ajaxClients, client.TransportAjax)
	runEcho(b, workers, closeAll)
}
