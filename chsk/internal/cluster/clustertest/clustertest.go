// Package clustertest is the behaviour every engine package (natsbroker,
// redisbroker) must show, run against the real engine: several chsk.Servers
// in one process, each with a broker of its own on the engine, and real
// WebSocket clients.
package clustertest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/wire"
)

// Broker is what an engine package returns: a chsk Broker and Presence that
// can be closed (saying goodbye) or killed (as a process that dies would).
type Broker interface {
	chsk.Broker
	chsk.Presence
	// Close flushes presence, removes this node's records and stops.
	Close(ctx context.Context) error
}

// Engine starts brokers on one running engine.
type Engine struct {
	// NewBroker returns a broker with its own connection to the engine and
	// the given presence TTL; Kill must make it stop as a killed process
	// would: no goodbye, its connection dropped.
	NewBroker func(t *testing.T, ttl time.Duration) (b Broker, kill func())
	// Restart stops the engine, runs during (while it is down), and starts
	// it again on the same address, with its data lost.
	Restart func(t *testing.T, during func())
	// LocalOnly is the error a Publish wraps when the engine is down.
	LocalOnly error
}

// Node is one chsk.Server on its broker, behind an httptest server. Its
// clients authenticate with a uid in the query (?uid=) and token "t".
type Node struct {
	Srv    *chsk.Server
	Broker Broker
	Kill   func()
	hs     *httptest.Server
}

// NewNode starts a server node on e.
func NewNode(t *testing.T, e Engine, ttl time.Duration) *Node {
	t.Helper()
	b, kill := e.NewBroker(t, ttl)
	srv, err := chsk.New(&chsk.Options{
		UserID:       func(r *http.Request, _ string) any { return r.URL.Query().Get("uid") },
		CSRFToken:    func(*http.Request) string { return "t" },
		Broker:       b,
		Presence:     b,
		CloseGraceWS: 50 * time.Millisecond,
		Logger:       testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{Srv: srv, Broker: b, Kill: kill, hs: httptest.NewServer(srv)}
	t.Cleanup(func() {
		n.hs.CloseClientConnections()
		n.hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = b.Close(ctx)
	})
	return n
}

// Client is a raw WebSocket client of a node.
type Client struct {
	t    *testing.T
	c    *websocket.Conn
	evs  chan wire.Event
	done chan struct{}
}

// Dial connects a client of uid with client-id cid and waits for its
// handshake.
func (n *Node) Dial(t *testing.T, uid, cid string) *Client {
	t.Helper()
	u := "ws" + strings.TrimPrefix(n.hs.URL, "http") + "/?client-id=" + url.QueryEscape(cid) +
		"&csrf-token=t&uid=" + url.QueryEscape(uid)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", uid, err)
	}
	c.SetReadLimit(-1)
	cl := &Client{t: t, c: c, evs: make(chan wire.Event, 4096), done: make(chan struct{})}
	handshake := make(chan struct{})
	go cl.read(handshake)
	t.Cleanup(func() { _ = c.CloseNow(); <-cl.done })
	select {
	case <-handshake:
	case <-time.After(10 * time.Second):
		t.Fatalf("no handshake for %s", uid)
	}
	return cl
}

func (cl *Client) read(handshake chan struct{}) {
	defer close(cl.done)
	defer close(cl.evs)
	first := true
	for {
		_, data, err := cl.c.Read(context.Background())
		if err != nil {
			return
		}
		env, err := wire.Unpack(data, nil)
		if err != nil {
			cl.t.Errorf("unreadable frame %q: %v", data, err)
			return
		}
		if first {
			first = false
			close(handshake)
			continue
		}
		evs, err := wire.ParseBatch(env.Payload)
		if err != nil {
			continue // a ping
		}
		for _, ev := range evs {
			cl.evs <- ev
		}
	}
}

// Next returns the next pushed event, failing after 10 s.
func (cl *Client) Next() wire.Event {
	cl.t.Helper()
	select {
	case ev, ok := <-cl.evs:
		if !ok {
			cl.t.Fatal("connection closed")
		}
		return ev
	case <-time.After(10 * time.Second):
		cl.t.Fatal("no push within 10s")
	}
	return wire.Event{}
}

// NextWithin returns the next pushed event if one comes within d.
func (cl *Client) NextWithin(d time.Duration) (wire.Event, bool) {
	select {
	case ev, ok := <-cl.evs:
		return ev, ok
	case <-time.After(d):
		return wire.Event{}, false
	}
}

// Close closes the client's socket.
func (cl *Client) Close() { _ = cl.c.Close(websocket.StatusNormalClosure, "") }

// Run runs the engine's behaviour suite.
func Run(t *testing.T, e Engine) {
	t.Run("PushesAcrossNodes", func(t *testing.T) { pushesAcrossNodes(t, e) })
	t.Run("FIFOPerSender", func(t *testing.T) { fifoPerSender(t, e) })
	t.Run("ConnectedClusterWide", func(t *testing.T) { connectedClusterWide(t, e) })
	t.Run("KilledNodeDropsOut", func(t *testing.T) { killedNodeDropsOut(t, e) })
	t.Run("EngineRestart", func(t *testing.T) { engineRestart(t, e) })
}

func ev(id string, data any) wire.Event { return wire.Event{ID: wire.Keyword(id), Data: data} }

func pushesAcrossNodes(t *testing.T, e Engine) {
	a, b, c := NewNode(t, e, 5*time.Second), NewNode(t, e, 5*time.Second), NewNode(t, e, 5*time.Second)
	aliceB := b.Dial(t, "alice", "tab-1")
	aliceC := c.Dial(t, "alice", "tab-2")
	bobC := c.Dial(t, "bob", "tab-3")
	must(t, a.Srv.Send("alice", ev("my-app/hi", int64(1))))
	for _, cl := range []*Client{aliceB, aliceC} {
		if got := cl.Next(); got.ID != "my-app/hi" {
			t.Fatalf("alice got %v", got)
		}
	}
	must(t, a.Srv.SendClient("alice", "tab-2", ev("my-app/one", nil)))
	must(t, a.Srv.Broadcast(ev("my-app/all", nil))) // same sender: order holds
	if got := aliceC.Next(); got.ID != "my-app/one" {
		t.Fatalf("tab-2 got %v, want the client push first", got)
	}
	for _, cl := range []*Client{aliceB, aliceC, bobC} {
		if got := cl.Next(); got.ID != "my-app/all" {
			t.Fatalf("broadcast: got %v", got)
		}
	}
}

// Three nodes send numbered pushes to one user at once; each sender's
// numbers arrive in order at a client on a fourth node.
func fifoPerSender(t *testing.T, e Engine) {
	const n = 300
	var senders [3]*Node
	for i := range senders {
		senders[i] = NewNode(t, e, 5*time.Second)
	}
	recv := NewNode(t, e, 5*time.Second).Dial(t, "carol", "tab")
	var wg sync.WaitGroup
	for i, s := range senders {
		wg.Go(func() {
			for k := range n {
				if err := s.Srv.Send("carol", ev("my-app/n", wire.NewMap(wire.Keyword("from"), int64(i), wire.Keyword("k"), int64(k)))); err != nil {
					t.Errorf("send: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	next := [3]int64{}
	for range 3 * n {
		m := recv.Next().Data.(*wire.Map)
		from, _ := m.Get(wire.Keyword("from"))
		k, _ := m.Get(wire.Keyword("k"))
		f := from.(int64)
		if k.(int64) != next[f] {
			t.Fatalf("from node %d: got %d, want %d", f, k, next[f])
		}
		next[f]++
	}
}

func connectedClusterWide(t *testing.T, e Engine) {
	a, b, c := NewNode(t, e, 5*time.Second), NewNode(t, e, 5*time.Second), NewNode(t, e, 5*time.Second)
	dan := a.Dial(t, "dan", "t1")
	b.Dial(t, "erin", "t2")
	b.Dial(t, "dan", "t3")
	waitConnected(t, c, "dan", "erin")
	dan.Close()
	waitConnected(t, c, "dan", "erin") // dan still has a tab on b
	if got := a.Srv.Connected().Any; len(got) != 0 {
		t.Logf("a's own view: %v (its tab may still be in its grace period)", got)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	must(t, b.Srv.Shutdown(ctx))
	must(t, b.Broker.Close(ctx))
	waitConnected(t, c) // a node that leaves takes its uids along
}

// A node that dies without a goodbye drops out of every view within the TTL.
func killedNodeDropsOut(t *testing.T, e Engine) {
	const ttl = 1500 * time.Millisecond
	a, b := NewNode(t, e, ttl), NewNode(t, e, ttl)
	b.Dial(t, "frank", "t1")
	waitConnected(t, a, "frank")
	killed := time.Now()
	b.Kill()
	waitConnected(t, a)
	if d := time.Since(killed); d > ttl+2*time.Second {
		t.Fatalf("dropped out after %v, TTL %v", d, ttl)
	}
}

func engineRestart(t *testing.T, e Engine) {
	a, b := NewNode(t, e, 3*time.Second), NewNode(t, e, 3*time.Second)
	onA := a.Dial(t, "gina", "t1")
	onB := b.Dial(t, "gina", "t2")
	waitConnected(t, a, "gina")
	e.Restart(t, func() {
		// Local delivery goes on, and the error says so.
		for k := range 20 {
			err := a.Srv.Send("gina", ev("my-app/local", int64(k)))
			if err == nil || !errorsIs(err, e.LocalOnly) {
				t.Fatalf("send during the outage: %v, want %v", err, e.LocalOnly)
			}
			if got := onA.Next(); got.ID != "my-app/local" || got.Data != int64(k) {
				t.Fatalf("local push during the outage: got %v", got)
			}
		}
	})
	// Cluster delivery resumes once the brokers reconnected: a's pushes
	// reach b's client again (pub/sub is at most once, so some sent while b
	// was still subscribing may not).
	deadline := time.Now().Add(20 * time.Second)
	for {
		err := a.Srv.Send("gina", ev("my-app/back", nil))
		if got := onA.Next(); got.ID != "my-app/back" {
			t.Fatalf("after restart: a got %v", got)
		}
		if got, ok := onB.NextWithin(100 * time.Millisecond); ok {
			if got.ID != "my-app/back" {
				t.Fatalf("after restart: b got %v", got)
			}
			if err != nil {
				t.Fatalf("b got a push whose Send failed: %v", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster delivery did not resume: %v", err)
		}
	}
	waitConnected(t, a, "gina") // presence written again
	waitConnected(t, b, "gina")
}

func waitConnected(t *testing.T, n *Node, want ...string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		all, err := n.Srv.ConnectedAll(t.Context())
		got := fmt.Sprint(all.Any)
		if err == nil && got == fmt.Sprint(anys(want)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("ConnectedAll = %s (%v), want %v", got, err, want)
		}
		time.Sleep(20 * time.Millisecond) // presence lives in the engine: nothing local to wait on
	}
}

func anys(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
