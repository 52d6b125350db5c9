package chsk

import (
	"context"
	"sync"
	"testing"

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
