package client

import (
	"context"
	"log/slog"
	"sync"

	"github.com/gosente/gosente/chsk/wire"
)

// dispatcher delivers a Client's pushes and state changes to the
// application's callbacks, in order, on one goroutine of its own. Pushes
// wait in a queue bounded by limit; a producer finding it full waits for
// room (back-pressure). State changes are few and never wait.
type dispatcher struct {
	onEvent func(wire.Event)
	onState func(old, new State)
	limit   int
	log     *slog.Logger

	mu     sync.Mutex
	queue  []delivery
	events int  // pushes in queue
	closed bool // no more deliveries will be queued
	wake   chan struct{}
	room   chan struct{}
	done   chan struct{} // closed when the goroutine ended
}

// delivery is one queued callback: a push, or a state change when isState.
type delivery struct {
	ev       wire.Event
	old, new State
	isState  bool
}

func newDispatcher(onEvent func(wire.Event), onState func(old, new State), limit int, log *slog.Logger) *dispatcher {
	d := &dispatcher{
		onEvent: onEvent, onState: onState, limit: limit, log: log,
		wake: make(chan struct{}, 1), room: make(chan struct{}, 1), done: make(chan struct{}),
	}
	go d.run()
	return d
}

// event queues a push, waiting while the queue is full; it fails only when
// ctx ends first.
func (d *dispatcher) event(ctx context.Context, ev wire.Event) error {
	if d.onEvent == nil {
		return nil
	}
	for {
		d.mu.Lock()
		if d.closed {
			d.mu.Unlock()
			return ctx.Err()
		}
		if d.events < d.limit {
			d.queue = append(d.queue, delivery{ev: ev})
			d.events++
			d.mu.Unlock()
			signal(d.wake)
			return nil
		}
		d.mu.Unlock()
		select {
		case <-d.room:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// state queues a state change.
func (d *dispatcher) state(old, new State) {
	if d.onState == nil {
		return
	}
	d.mu.Lock()
	if !d.closed {
		d.queue = append(d.queue, delivery{old: old, new: new, isState: true})
	}
	d.mu.Unlock()
	signal(d.wake)
}

// close lets the goroutine deliver what is queued, and waits for it to end.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	signal(d.wake)
	<-d.done
}

func (d *dispatcher) run() {
	defer close(d.done)
	for {
		d.mu.Lock()
		if len(d.queue) == 0 {
			closed := d.closed
			d.mu.Unlock()
			if closed {
				return
			}
			<-d.wake
			continue
		}
		x := d.queue[0]
		d.queue[0] = delivery{}
		d.queue = d.queue[1:]
		if len(d.queue) == 0 {
			d.queue = nil // let the backing array go
		}
		if !x.isState {
			d.events--
		}
		d.mu.Unlock()
		if !x.isState {
			signal(d.room)
		}
		d.call(x)
	}
}

// call runs one callback, recovering a panic so that the client survives it.
func (d *dispatcher) call(x delivery) {
	defer func() {
		if v := recover(); v != nil {
			d.log.Error("client: client callback panicked", slog.Any("panic", v))
		}
	}()
	if x.isState {
		d.onState(x.old, x.new)
	} else {
		d.onEvent(x.ev)
	}
}

// signal wakes the waiter of a 1-buffered channel without blocking.
func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}
