package chsk

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// memBroker is a Broker between servers of one process, standing in for a
// distributed engine.
type memBroker struct {
	mu   sync.Mutex
	subs map[int]func(Publication)
	next int
}

func (b *memBroker) Publish(_ context.Context, p Publication) error {
	b.mu.Lock()
	subs := make([]func(Publication), 0, len(b.subs))
	for _, f := range b.subs {
		subs = append(subs, f)
	}
	b.mu.Unlock()
	for _, f := range subs {
		f(p)
	}
	return nil
}

func (b *memBroker) Subscribe(deliver func(Publication)) func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = make(map[int]func(Publication))
	}
	id := b.next
	b.next++
	b.subs[id] = deliver
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, id)
	}
}

// A push sent on one node reaches the user's clients on every node.
func TestBrokerAcrossNodes(t *testing.T) {
	b := &memBroker{}
	opts := refOptions()
	opts.Broker = b
	nodeA := newRefApp(t, opts)
	nodeB := newRefApp(t, opts)
	onB, _ := nodeB.openWS(t, "alice")
	onA, _ := nodeA.openWS(t, "alice")
	require.NoError(t, nodeA.srv.Send("alice", wire.Event{ID: "my-app/hi", Data: "x"}))
	require.Equal(t, `[[[:my-app/hi "x"]] nil]`, onB.read())
	require.Equal(t, `[[[:my-app/hi "x"]] nil]`, onA.read())
	require.NoError(t, nodeB.srv.Broadcast(wire.Event{ID: "my-app/all"}))
	require.Equal(t, `[[[:my-app/all]] nil]`, onA.read())
	require.Equal(t, `[[[:my-app/all]] nil]`, onB.read())
}

// memPresence is a Presence shared by the servers of one process.
type memPresence struct {
	mu    sync.Mutex
	nodes map[string]map[string]UIDChange // node -> printed uid -> state
}

func (p *memPresence) Update(_ context.Context, node string, ch UIDChange) error {
	key, err := UIDKey(ch.UID)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.nodes == nil {
		p.nodes = make(map[string]map[string]UIDChange)
	}
	if p.nodes[node] == nil {
		p.nodes[node] = make(map[string]UIDChange)
	}
	if !ch.WS && !ch.Ajax {
		delete(p.nodes[node], key)
	} else {
		p.nodes[node][key] = ch
	}
	return nil
}

func (p *memPresence) Connected(context.Context) (ConnectedUIDs, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var c ConnectedUIDs
	seen := map[any]bool{}
	for _, uids := range p.nodes {
		for _, ch := range uids {
			if ch.WS {
				c.WS = append(c.WS, ch.UID)
			}
			if ch.Ajax {
				c.Ajax = append(c.Ajax, ch.UID)
			}
			if !seen[ch.UID] {
				seen[ch.UID] = true
				c.Any = append(c.Any, ch.UID)
			}
		}
	}
	return c, nil
}

// Each node sees the uids connected to the others through Presence.
func TestPresenceAcrossNodes(t *testing.T) {
	p := &memPresence{}
	opts := refOptions()
	opts.Presence = p
	opts.CloseGraceWS = 100 * time.Millisecond
	nodeA := newRefApp(t, opts)
	nodeB := newRefApp(t, opts)
	ws, _ := nodeB.openWS(t, "bob")
	all, err := nodeA.srv.ConnectedAll(t.Context())
	require.NoError(t, err)
	require.Equal(t, []any{"bob"}, all.WS)
	require.Empty(t, nodeA.srv.Connected().Any)
	_ = ws.c.CloseNow()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _ = nodeB.openWS(t, "carol")
	require.NoError(t, nodeB.srv.Shutdown(ctx)) // a node that leaves takes its uids along
	require.Eventually(t, func() bool {
		all, _ := nodeA.srv.ConnectedAll(t.Context())
		return len(all.Any) == 0
	}, 2*time.Second, 10*time.Millisecond)
}
