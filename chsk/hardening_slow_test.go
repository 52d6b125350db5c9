package chsk

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/client"
	"github.com/gosente/gosente/chsk/wire"
)

// hardFastClient is a well-behaved Go client of the slow-consumer test: it
// checks that it receives every push, in order.
type hardFastClient struct {
	c       *client.Client
	got     atomic.Int64 // pushes received, in order
	bad     atomic.Value // string: the first push out of order
	replies atomic.Int64

	mu     sync.Mutex
	states []string // connection state changes after the first open
}

func hardDialFast(t *testing.T, base string, cookie, token string, kind client.Transport) *hardFastClient {
	t.Helper()
	f := &hardFastClient{}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, base+"/chsk", &client.Options{
		Type:      kind,
		CSRFToken: token,
		Header:    http.Header{"Cookie": {cookie}},
		Logger:    slog.New(slog.DiscardHandler),
		OnState: func(old, new client.State) {
			if old.EverOpened && old.Open != new.Open {
				f.mu.Lock()
				f.states = append(f.states, fmt.Sprintf("open=%v at push %d: %v", new.Open, f.got.Load(), new.LastError))
				f.mu.Unlock()
			}
		},
		OnEvent: func(ev wire.Event) {
			if ev.ID != "t/load" {
				return
			}
			want := f.got.Load()
			if v, ok := ev.Data.(wire.Vector); !ok || len(v) != 2 || v[0] != want {
				f.mu.Lock()
				f.bad.CompareAndSwap(nil, fmt.Sprintf("%v client: push %d: got %.40v; %q", kind, want, ev.Data, f.states))
				f.mu.Unlock()
				return
			}
			f.got.Add(1)
		},
	})
	require.NoError(t, err)
	f.c = c
	t.Cleanup(func() { _ = c.Close() })
	return f
}

// 1,000 WebSocket clients that never read, with small receive buffers,
// while the server broadcasts 1 KB events: the server's heap stays bounded
// (it does not grow with what the slow clients fail to take), every slow
// client is disconnected by policy and counted in Stats, and well-behaved
// clients (WebSocket and Ajax) receive every push in order and get replies
// throughout.
func TestHardeningSlowConsumers(t *testing.T) {
	const (
		slowClients = 1000
		pushes      = 300
		eventSize   = 1 << 10
		maxQueue    = 32
		window      = 8 // pushes the test lets the fast clients fall behind
	)
	hardBaseline(t, 16<<20)
	baseHeap := hardHeap()
	opts := hardOptions()
	opts.MaxQueue = maxQueue
	opts.WriteTimeout = 300 * time.Millisecond
	opts.SendBufferWS = 5 * time.Millisecond
	opts.SendBufferAjax = 5 * time.Millisecond
	opts.KeepAlive = -1
	// Between two polls an Ajax client has no connection; under this load
	// (and -race) the next poll may take longer than the default 100ms.
	opts.CloseGraceAjax = 2 * time.Second
	a := newRefApp(t, opts)
	hs := hardSmallBufServer(t, a, 4096)
	cookie, token := a.newSession()
	running := hardSettledGoroutines() // the server, idle

	// The slow clients: upgraded, then never read from.
	slow := make([]*rawWS, slowClients)
	var (
		wg   sync.WaitGroup
		next atomic.Int64
		errs = make(chan error, slowClients)
	)
	dialStart := time.Now()
	for range 16 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= slowClients {
					return
				}
				ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
				w, err := rawOpen(ctx, hs.URL, cookie, token, fmt.Sprintf("slow-%d", i), 4096)
				cancel()
				if err != nil {
					errs <- err
					continue
				}
				slow[i] = w
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("slow client: %v", err)
	}
	defer func() {
		for _, w := range slow {
			w.closeAbrupt()
		}
	}()
	t.Logf("%d slow clients connected in %v", slowClients, time.Since(dialStart).Round(time.Millisecond))

	fast := []*hardFastClient{
		hardDialFast(t, hs.URL, cookie, token, client.TransportWS),
		hardDialFast(t, hs.URL, cookie, token, client.TransportWS),
		hardDialFast(t, hs.URL, cookie, token, client.TransportWS),
		hardDialFast(t, hs.URL, cookie, token, client.TransportAjax),
	}
	require.Eventually(t, func() bool { return len(a.srv.Connected().Any) == slowClients+len(fast) },
		10*time.Second, 10*time.Millisecond)

	// Requests throughout the push, from every fast client.
	stopReq := make(chan struct{})
	var reqWG sync.WaitGroup
	var stopOnce sync.Once
	stopRequests := func() {
		stopOnce.Do(func() { close(stopReq) })
		reqWG.Wait()
	}
	defer stopRequests()
	reqErrs := make(chan error, len(fast))
	for _, f := range fast {
		reqWG.Go(func() {
			for n := int64(0); ; n++ {
				select {
				case <-stopReq:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				v, err := f.c.Request(ctx, wire.Event{ID: "test/echo", Data: n})
				cancel()
				if err != nil || v != n {
					reqErrs <- fmt.Errorf("request %d: %v, %v", n, v, err)
					return
				}
				f.replies.Add(1)
			}
		})
	}

	// The heap, sampled during the push.
	var peak atomic.Uint64
	stopSample := make(chan struct{})
	var sampleWG sync.WaitGroup
	var sampleOnce sync.Once
	stopSampling := func() {
		sampleOnce.Do(func() { close(stopSample) })
		sampleWG.Wait()
	}
	defer stopSampling()
	sampleWG.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stopSample:
				return
			case <-tick.C:
			}
		}
	})

	pad := strings.Repeat("x", eventSize-20)
	pushStart := time.Now()
	for i := range int64(pushes) {
		require.NoError(t, a.srv.Broadcast(wire.Event{ID: "t/load", Data: wire.Vector{i, pad}}))
		// Paced by the fast clients only: they may fall window pushes behind.
		for k, f := range fast {
			waitUntil(t, 10*time.Second, func() bool { return f.got.Load() >= i-window+1 || f.bad.Load() != nil }, func() string {
				return fmt.Sprintf("fast client %d (%v) is stuck at %d of %d; state %+v; SlowDisconnects %d",
					k, f.c.State().Type, f.got.Load(), i, f.c.State(), a.srv.Stats().SlowDisconnects)
			})
			require.Nil(t, f.bad.Load())
		}
	}
	for _, f := range fast {
		require.Eventually(t, func() bool { return f.got.Load() == pushes || f.bad.Load() != nil }, 10*time.Second, time.Millisecond)
		require.Nil(t, f.bad.Load())
	}
	pushTime := time.Since(pushStart)
	stopSampling()

	// Every slow client is dropped by policy and forgotten after the grace.
	require.Eventually(t, func() bool { return len(a.srv.Connected().Any) == len(fast) }, 10*time.Second, 10*time.Millisecond,
		"slow clients still connected: %d", len(a.srv.Connected().Any)-len(fast))
	slowDrops := a.srv.Stats().SlowDisconnects
	stopRequests()
	close(reqErrs)
	for err := range reqErrs {
		t.Error(err)
	}
	var replies int64
	for _, f := range fast {
		require.Positive(t, f.replies.Load())
		replies += f.replies.Load()
	}
	// The heap bound: what MaxQueue lets the server hold for each client
	// (a queue and one batch frame in flight), plus 32 MB for the rest of
	// the process (the clients' sockets live in it too). What the slow
	// clients did not take (300 MB) must not accumulate.
	bound := baseHeap + uint64(slowClients)*2*maxQueue*eventSize + 32<<20
	t.Logf("%d pushes of %d B to %d clients in %v; peak heap %.1f MB (baseline %.1f MB, bound %.1f MB); "+
		"SlowDisconnects %d; %d replies to the fast clients meanwhile",
		pushes, eventSize, slowClients+len(fast), pushTime.Round(time.Millisecond),
		mb(peak.Load()), mb(baseHeap), mb(bound), slowDrops, replies)
	require.LessOrEqual(t, peak.Load(), bound)
	require.Equal(t, uint64(slowClients), slowDrops, "each slow client counts once (see TestHardeningSlowCountedOnce)")

	// The fast clients still get pushes and replies.
	require.NoError(t, a.srv.Broadcast(wire.Event{ID: "t/load", Data: wire.Vector{int64(pushes), "end"}}))
	for _, f := range fast {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		v, err := f.c.Request(ctx, wire.Event{ID: "test/echo", Data: "after"})
		cancel()
		require.NoError(t, err)
		require.Equal(t, "after", v)
		require.Eventually(t, func() bool { return f.got.Load() == pushes+1 }, 5*time.Second, time.Millisecond)
		_ = f.c.Close()
	}
	hardWaitIdle(t, a, opts.CloseGraceAjax+5*time.Second)
	hardGoroutinesAtMost(t, running, 5*time.Second)
	hardAssertServes(t, a)
}

// A slow client is counted once. One whose write outlasted WriteTimeout is
// counted and disconnected; pushes that then fill its queue during the close
// grace used to count it again, though it had no connection left.
func TestHardeningSlowCountedOnce(t *testing.T) {
	const maxQueue = 4
	hardBaseline(t, 8<<20)
	opts := hardOptions()
	opts.MaxQueue = maxQueue
	opts.WriteTimeout = 200 * time.Millisecond
	opts.SendBufferWS = -1
	opts.CloseGraceWS = 5 * time.Second
	a := newRefApp(t, opts)
	hs := hardSmallBufServer(t, a, 4096)
	cookie, token := a.newSession()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	w, err := rawOpen(ctx, hs.URL, cookie, token, "slow", 4096)
	require.NoError(t, err)
	defer w.closeAbrupt()
	// The handshake: the socket is attached (else "detached" below would
	// hold at once, before the server attached it).
	_, err = w.readText(5 * time.Second)
	require.NoError(t, err)
	big := strings.Repeat("z", 256<<10) // more than the socket buffers take
	require.NoError(t, a.srv.Send("slow", wire.Event{ID: "t/big", Data: big}))
	start := time.Now()
	hardWaitDetached(t, a, adapter.WebSocket, "slow") // the write timed out
	t.Logf("disconnected after %v", time.Since(start))
	// The socket's reader may detach it before the writer, back from its
	// timed-out write, counts it: wait for the count.
	waitUntil(t, 5*time.Second, func() bool { return a.srv.Stats().SlowDisconnects >= 1 },
		func() string { return "a write that outlasted WriteTimeout counts: never counted" })
	require.Equal(t, uint64(1), a.srv.Stats().SlowDisconnects, "a write that outlasted WriteTimeout counts")
	for range maxQueue + 1 {
		require.NoError(t, a.srv.Send("slow", wire.Event{ID: "t/small", Data: int64(1)}))
	}
	require.Equal(t, uint64(1), a.srv.Stats().SlowDisconnects, "one slow client, disconnected once")
}
