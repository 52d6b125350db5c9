package chsk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/client"
	"github.com/gosente/gosente/chsk/wire"
)

// hardSlowServer is a server whose :t/req handler replies at once, late
// (from another goroutine) or never, as the event's data [mode n] says, and
// counts the late replies still to come.
type hardSlowServer struct {
	srv  *Server
	hs   *httptest.Server
	late sync.WaitGroup
}

func newHardSlowServer(t *testing.T) *hardSlowServer {
	t.Helper()
	h := &hardSlowServer{}
	srv, err := New(&Options{
		UserID:          func(_ *http.Request, cid string) any { return cid },
		CSRFToken:       func(*http.Request) string { return SkipCSRFCheck },
		LongPollTimeout: time.Second,
		CloseGraceWS:    100 * time.Millisecond,
		CloseGraceAjax:  100 * time.Millisecond,
		SendBufferAjax:  10 * time.Millisecond,
		Logger:          slog.New(slog.DiscardHandler),
		Handler: HandlerFunc(func(m *Message) {
			if m.ID() != "t/req" || !m.WantsReply() {
				return
			}
			v, _ := m.Data().(wire.Vector)
			if len(v) != 2 {
				return
			}
			switch v[0] {
			case wire.Keyword("fast"):
				_ = m.Reply(v[1])
			case wire.Keyword("late"):
				h.late.Go(func() {
					time.Sleep(time.Duration(v[1].(int64)%300) * time.Millisecond) // a handler that is slow on purpose
					_ = m.Reply(v[1])                                              // may come after Shutdown: must not panic or leak
				})
			case wire.Keyword("never"):
			}
		}),
	})
	require.NoError(t, err)
	h.srv = srv
	h.hs = httptest.NewServer(srv)
	t.Cleanup(func() {
		h.hs.CloseClientConnections()
		h.hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, srv.Shutdown(ctx))
		h.late.Wait()
	})
	return h
}

// hardOutcomes counts how requests ended.
type hardOutcomes struct {
	issued, replied, timedOut, closed, sendFailed atomic.Int64
	wrongReply, otherErr, overran                 atomic.Int64
	mu                                            sync.Mutex
	examples                                      []string
}

func (o *hardOutcomes) note(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.examples) < 10 {
		o.examples = append(o.examples, fmt.Sprintf(format, args...))
	}
}

// Requests from WebSocket and Ajax clients, to handlers that reply at once,
// late or never, while the server shuts down: every Request returns, within
// its context's deadline, either the right reply or an error of the
// documented kinds; none returns a nil error without its reply. Pushes sent
// meanwhile are refused with ErrShutdown once Shutdown began; every push
// that Send accepted arrives, in order, once.
func TestHardeningShutdownUnderLoad(t *testing.T) {
	const (
		wsClients      = 6
		ajaxClients    = 3
		workersPer     = 3
		requestTimeout = 1500 * time.Millisecond
	)
	hardBaseline(t, 8<<20)
	h := newHardSlowServer(t)

	type pushed struct {
		mu  sync.Mutex
		got []int64
	}
	var clients []*client.Client
	var recv []*pushed
	for i := range wsClients + ajaxClients {
		kind := client.TransportWS
		if i >= wsClients {
			kind = client.TransportAjax
		}
		p := &pushed{}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		c, err := client.Dial(ctx, h.hs.URL+"/chsk", &client.Options{
			Type:       kind,
			Logger:     slog.New(slog.DiscardHandler),
			Backoff:    func(int) time.Duration { return 50 * time.Millisecond },
			KeepAlive:  -1,
			MaxBackoff: time.Second,
			OnEvent: func(ev wire.Event) {
				if n, ok := ev.Data.(int64); ok && ev.ID == "t/push" {
					p.mu.Lock()
					p.got = append(p.got, n)
					p.mu.Unlock()
				}
			},
		})
		cancel()
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		clients = append(clients, c)
		recv = append(recv, p)
	}

	var out hardOutcomes
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	var seq atomic.Int64
	for ci, c := range clients {
		for range workersPer {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					n := seq.Add(1)
					mode := wire.Keyword("fast")
					switch n % 10 {
					case 6, 7, 8:
						mode = "late"
					case 9:
						mode = "never"
					}
					out.issued.Add(1)
					ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
					start := time.Now()
					v, err := c.Request(ctx, wire.Event{ID: "t/req", Data: wire.Vector{mode, n}})
					took := time.Since(start)
					cancel()
					if took > requestTimeout+time.Second {
						out.overran.Add(1)
						out.note("client %d: request %d (%s) took %v", ci, n, mode, took)
					}
					switch {
					case err == nil && v == n && mode != "never":
						out.replied.Add(1)
					case err == nil:
						out.wrongReply.Add(1)
						out.note("client %d: request %d (%s): reply %v", ci, n, mode, v)
					case errors.Is(err, client.ErrTimeout):
						out.timedOut.Add(1)
					case errors.Is(err, client.ErrClosed):
						out.closed.Add(1)
						poll(5*time.Millisecond, time.Millisecond, func() bool { return c.State().Open }) // not open: no busy loop
					case errors.Is(err, client.ErrSendFailed):
						out.sendFailed.Add(1)
						poll(5*time.Millisecond, time.Millisecond, func() bool { return c.State().Open })
					default:
						out.otherErr.Add(1)
						out.note("client %d: request %d (%s): %v", ci, n, mode, err)
					}
				}
			})
		}
	}

	// Pushes to every client, numbered, until Shutdown refuses them.
	var accepted, refused atomic.Int64
	perClient := make([]atomic.Int64, len(clients)) // pushes accepted for each client
	var pushErr atomic.Value
	wg.Go(func() {
		for n := int64(0); ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			for ci, c := range clients {
				err := h.srv.Send(c.ClientID(), wire.Event{ID: "t/push", Data: n})
				switch {
				case err == nil:
					if refused.Load() > 0 {
						pushErr.CompareAndSwap(nil, "a push was accepted after one was refused")
					}
					accepted.Add(1)
					perClient[ci].Add(1)
				case errors.Is(err, ErrShutdown):
					refused.Add(1)
				default:
					pushErr.CompareAndSwap(nil, err.Error())
				}
			}
			time.Sleep(2 * time.Millisecond) // pacing: a push round every ~2ms, not a wait for a state
		}
	})

	// Load: every client has had requests answered and pushes delivered.
	waitUntil(t, 10*time.Second, func() bool {
		for i, p := range recv {
			p.mu.Lock()
			n := len(p.got)
			p.mu.Unlock()
			if n < 20 || perClient[i].Load() < 20 {
				return false
			}
		}
		return out.replied.Load() >= 100
	}, func() string { return fmt.Sprintf("no load after 10s: %d replied", out.replied.Load()) })
	before := out.issued.Load()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	shutStart := time.Now()
	require.NoError(t, h.srv.Shutdown(ctx))
	cancel()
	shutTook := time.Since(shutStart)
	require.ErrorIs(t, h.srv.Send(clients[0].ClientID(), wire.Event{ID: "t/push", Data: int64(-1)}), ErrShutdown)
	require.ErrorIs(t, h.srv.Broadcast(wire.Event{ID: "t/push", Data: int64(-1)}), ErrShutdown)
	// Requests against the stopped server: every worker tries again.
	afterShutdown := out.issued.Load()
	waitUntil(t, 10*time.Second, func() bool { return out.issued.Load() >= afterShutdown+int64(2*workersPer*len(clients)) },
		func() string { return fmt.Sprintf("only %d requests after Shutdown", out.issued.Load()-afterShutdown) })
	close(stop)
	wg.Wait()

	total := out.replied.Load() + out.timedOut.Load() + out.closed.Load() + out.sendFailed.Load() +
		out.wrongReply.Load() + out.otherErr.Load()
	t.Logf("requests: %d issued (%d before Shutdown, which took %v): %d replied, %d client.ErrTimeout, %d client.ErrClosed, %d client.ErrSendFailed; "+
		"pushes: %d accepted, %d refused with ErrShutdown",
		out.issued.Load(), before, shutTook.Round(time.Millisecond), out.replied.Load(), out.timedOut.Load(), out.closed.Load(),
		out.sendFailed.Load(), accepted.Load(), refused.Load())
	require.Empty(t, out.examples)
	require.Equal(t, out.issued.Load(), total)
	require.Zero(t, out.wrongReply.Load()+out.otherErr.Load()+out.overran.Load())
	require.Positive(t, out.replied.Load())
	require.Positive(t, out.timedOut.Load(), "the handlers that never reply")
	require.Nil(t, pushErr.Load())
	require.Positive(t, accepted.Load())
	require.Positive(t, refused.Load())
	var delivered int
	var lost []string
	var lostN int64
	for i, p := range recv {
		p.mu.Lock()
		got := append([]int64(nil), p.got...)
		p.mu.Unlock()
		delivered += len(got)
		for k := 1; k < len(got); k++ {
			require.Less(t, got[k-1], got[k], "client %d: pushes out of order or repeated", i)
		}
		if n := perClient[i].Load() - int64(len(got)); n != 0 {
			last := int64(-1)
			if len(got) > 0 {
				last = got[len(got)-1]
			}
			lostN += n
			lost = append(lost, fmt.Sprintf("client %d (%v): %d of %d (last received %d)", i, clients[i].State().Type, n, perClient[i].Load(), last))
		}
	}
	undelivered := int64(h.srv.Stats().UndeliveredAtShutdown)
	t.Logf("pushes delivered: %d of %d accepted; not delivered: %v; counted undelivered at shutdown: %d",
		delivered, accepted.Load(), lost, undelivered)
	// An Ajax client between two polls when Shutdown came has no connection
	// to take its last pushes: Stats counts them (see Stats). Every other
	// accepted push arrives.
	require.Equal(t, undelivered, lostN,
		"pushes that Send accepted (nil error), that never arrived and that Stats does not count (see TestHardeningShutdownPushRace)")
	for _, c := range clients {
		_ = c.Close()
	}
	h.late.Wait()
}

// A push accepted just before Shutdown, to a client whose socket is open and
// reading, reaches it before Shutdown drops the socket: Send returned nil,
// so the event must not vanish silently.
func TestHardeningShutdownFlushesPushes(t *testing.T) {
	for _, kind := range []client.Transport{client.TransportWS, client.TransportAjax} {
		t.Run(kind.String(), func(t *testing.T) {
			hardBaseline(t, 8<<20)
			h := newHardSlowServer(t)
			got := make(chan wire.Event, 16)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			c, err := client.Dial(ctx, h.hs.URL+"/chsk", &client.Options{
				Type:    kind,
				Logger:  slog.New(slog.DiscardHandler),
				OnEvent: func(ev wire.Event) { got <- ev },
			})
			require.NoError(t, err)
			defer c.Close()
			if kind == client.TransportAjax {
				waitPolling(t, h.srv, c.ClientID()) // the client's long-poll is parked
			}
			require.NoError(t, h.srv.Send(c.ClientID(), wire.Event{ID: "t/push", Data: int64(1)}))
			require.NoError(t, h.srv.Shutdown(ctx))
			select {
			case ev := <-got:
				require.Equal(t, wire.Event{ID: "t/push", Data: int64(1)}, ev)
			case <-time.After(2 * time.Second):
				t.Fatal("Send returned nil, but the push never arrived: Shutdown dropped it")
			}
		})
	}
}

// A push that races with Shutdown is either delivered or refused: Send
// must not return nil for a push that Shutdown then drops (as it did when a
// push could be queued after Shutdown's final flush of its client). The
// window is narrow; 20 rounds find it almost surely.
func TestHardeningShutdownPushRace(t *testing.T) {
	hardBaseline(t, 8<<20)
	for round := range 20 {
		h := newHardSlowServer(t)
		var got atomic.Int64
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		c, err := client.Dial(ctx, h.hs.URL+"/chsk", &client.Options{
			Type:   client.TransportWS,
			Logger: slog.New(slog.DiscardHandler),
			OnEvent: func(ev wire.Event) {
				if ev.ID == "t/push" {
					got.Add(1)
				}
			},
		})
		cancel()
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		var accepted atomic.Int64
		pushing := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for n := int64(0); ; n++ {
				if n == 10 {
					close(pushing)
				}
				// Stay far below MaxQueue, which would drop the pushes for
				// another reason (a client that does not keep up).
				poll(200*time.Millisecond, 50*time.Microsecond, func() bool { return accepted.Load()-got.Load() <= 64 })
				err := h.srv.Send(c.ClientID(), wire.Event{ID: "t/push", Data: n})
				if err != nil {
					return
				}
				accepted.Add(1)
			}
		})
		<-pushing
		before := accepted.Load()
		require.NoError(t, h.srv.Shutdown(t.Context()))
		wg.Wait()
		require.Eventually(t, func() bool { return got.Load() >= before }, 2*time.Second, 5*time.Millisecond,
			"round %d: Send accepted %d pushes before Shutdown was called, %d arrived", round, before, got.Load())
		require.Eventually(t, func() bool { return got.Load() >= accepted.Load() }, 2*time.Second, 5*time.Millisecond,
			"round %d: Send accepted %d pushes (%d while Shutdown ran), %d arrived", round, accepted.Load(), accepted.Load()-before, got.Load())
	}
}
