package bench

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gosente/gosente/chsk/wire"
)

var fanoutClients = flag.Int("bench.fanout-clients", 1000, "WebSocket clients of the fan-out benchmark")

// fanoutID is the event id of the pushed event.
const fanoutID wire.Keyword = "bench/fanout"

// pushTimeout bounds the wait for one push to reach every client.
const pushTimeout = 30 * time.Second

// fanout is k raw WebSocket clients of a gosente server, all of one uid,
// each reading frames on its own goroutine and reporting every frame that
// holds the pushed event.
type fanout struct {
	broadcast   func() error // pushes the event to every client
	closeServer func()
	conns       []*websocket.Conn
	got         chan struct{}
	done        chan struct{} // closed when every reader ended
}

// newChskFanout connects k clients to a gosente server and waits for their
// handshakes.
func newChskFanout(tb testing.TB, k int, sendBuffer time.Duration) *fanout {
	tb.Helper()
	s := newChskServer(tb, "fan", sendBuffer)
	base := wsURL(s.ts)
	conns := dialRaw(tb, func(i int) string { return fmt.Sprintf("%s?client-id=c%d", base, i) }, k)
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	for i, c := range conns {
		if _, hs, err := c.Read(ctx); err != nil || !bytes.Contains(hs, []byte("chsk/handshake")) {
			closeRaw(conns)
			s.close(tb)
			tb.Fatalf("client %d handshake %q: %v", i, hs, err)
		}
	}
	ev := wire.Event{ID: fanoutID, Data: payload}
	return startReaders(conns, func() error { return s.srv.Broadcast(ev) }, func() { s.close(tb) })
}

// newRawFanout connects k clients to a raw hub and waits until the hub
// holds all of them.
func newRawFanout(tb testing.TB, k int) *fanout {
	tb.Helper()
	rs := newRawServer()
	conns := dialRaw(tb, func(int) string { return wsURL(rs.ts) + "/hub" }, k)
	tick := time.NewTicker(time.Millisecond) // the hub has no event for a join
	defer tick.Stop()
	deadline := time.After(setupTimeout)
	for rs.raw.HubConns() < k {
		select {
		case <-tick.C:
		case <-deadline:
			closeRaw(conns)
			rs.close()
			tb.Fatalf("raw hub: %d of %d connections joined in %v", rs.raw.HubConns(), k, setupTimeout)
		}
	}
	msg, err := wire.Marshal(wire.Event{ID: fanoutID, Data: payload})
	if err != nil {
		tb.Fatal(err)
	}
	return startReaders(conns, func() error { rs.raw.Broadcast(msg); return nil }, rs.close)
}

// startReaders starts one reading goroutine per client.
func startReaders(conns []*websocket.Conn, broadcast func() error, closeServer func()) *fanout {
	k := len(conns)
	f := &fanout{
		broadcast: broadcast, closeServer: closeServer, conns: conns,
		got: make(chan struct{}, k), done: make(chan struct{}),
	}
	readers := make(chan struct{}, k)
	for _, c := range conns {
		go func() {
			defer func() { readers <- struct{}{} }()
			for {
				_, msg, err := c.Read(context.Background())
				if err != nil {
					return // closed
				}
				if bytes.Contains(msg, []byte(fanoutID)) {
					f.got <- struct{}{}
				}
			}
		}()
	}
	go func() {
		for range k {
			<-readers
		}
		close(f.done)
	}()
	return f
}

// push broadcasts one ~100-byte event and returns how long the last client
// took to receive it.
func (f *fanout) push() (time.Duration, error) {
	start := time.Now()
	if err := f.broadcast(); err != nil {
		return 0, err
	}
	timeout := time.NewTimer(pushTimeout)
	defer timeout.Stop()
	for i := range len(f.conns) {
		select {
		case <-f.got:
		case <-timeout.C:
			return 0, fmt.Errorf("push reached %d of %d clients in %v", i, len(f.conns), pushTimeout)
		}
	}
	return time.Since(start), nil
}

// close closes the clients, waits for their readers and shuts the server down.
func (f *fanout) close() {
	closeRaw(f.conns)
	<-f.done
	f.closeServer()
}

// percentile returns the p-th percentile (0 < p ≤ 1) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// BenchmarkFanoutRawWS is the baseline of BenchmarkFanout: a hand-written
// coder/websocket hub with one writing goroutine per connection writes the
// same printed event to the same number of clients.
func BenchmarkFanoutRawWS(b *testing.B) {
	b.Run(fmt.Sprintf("clients=%d", *fanoutClients), func(b *testing.B) {
		runFanout(b, newRawFanout(b, *fanoutClients))
	})
}

// BenchmarkFanout pushes one ~100-byte event with Server.Broadcast to the
// -bench.fanout-clients WebSocket clients of one uid and measures the time
// until the last one received it, with the batching window off (every push
// is written at once) and with Sente's default 30ms window.
func BenchmarkFanout(b *testing.B) {
	for _, tc := range []struct {
		name   string
		buffer time.Duration
	}{{"window=off", -1}, {"window=30ms", 0}} {
		b.Run(fmt.Sprintf("clients=%d/%s", *fanoutClients, tc.name), func(b *testing.B) {
			runFanout(b, newChskFanout(b, *fanoutClients, tc.buffer))
		})
	}
}

// runFanout times b.N pushes and reports the p50 and p99 of the time until
// the last client received a push.
func runFanout(b *testing.B, f *fanout) {
	defer f.close()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		d, err := f.push()
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, d)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(percentile(lat, 0.5).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds()), "p99-µs")
}
