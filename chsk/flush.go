package chsk

import (
	"sync"
	"time"
)

// flushable is a client whose batching window the flusher closes.
type flushable interface{ flush() }

// flusher ends batching windows. The pushes of one window share one timer
// per transport: a window opens with a push to a client with nothing
// pending and closes SendBufferWS (or SendBufferAjax) later for every client
// pushed to meanwhile. No push waits longer than the window, and a broadcast
// to 10,000 clients arms one timer, not 10,000. Its mutex is a leaf.
type flusher struct {
	life *lifecycle
	mu   sync.Mutex
	due  [2][]flushable // by transport (0 WebSocket, 1 Ajax): the clients whose window is open
}

// schedule closes c's window, on transport i, with the transport's current
// window of length d, or at once when d ≤ 0. No client lock is held.
func (f *flusher) schedule(i int, d time.Duration, c flushable) {
	if d <= 0 {
		f.life.goTracked(c.flush) // the sender never writes to a client itself
		return
	}
	f.mu.Lock()
	first := len(f.due[i]) == 0
	f.due[i] = append(f.due[i], c)
	f.mu.Unlock()
	if first {
		f.life.afterFunc(d, func() { f.fire(i) })
	}
}

// fire closes transport i's window: each client drains on a goroutine of
// its own, so that one slow client holds up no other.
func (f *flusher) fire(i int) {
	f.mu.Lock()
	list := f.due[i]
	f.due[i] = nil
	f.mu.Unlock()
	for _, c := range list {
		f.life.goTracked(c.flush)
	}
}
