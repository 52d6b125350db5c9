package chsk

import (
	"sync"
	"time"
)

// flusher ends batching windows. The pushes of one window share one timer
// per transport: a window opens with a push to a client with nothing
// pending and closes SendBufferWS (or SendBufferAjax) later for every client
// pushed to meanwhile. No push waits longer than the window, and a broadcast
// to 10,000 clients arms one timer, not 10,000. The clients are then
// drained by its writers. Its mutex is a leaf.
type flusher struct {
	life    *lifecycle
	writers writers
	mu      sync.Mutex
	due     [2][]flushable // by transport (0 WebSocket, 1 Ajax): the clients whose window is open
}

// init sets f up to run on life.
func (f *flusher) init(life *lifecycle) {
	f.life = life
	f.writers = writers{life: life, max: maxWriters()}
}

// schedule closes c's window, on transport i, with the transport's current
// window of length d, or at once when d ≤ 0. No client lock is held.
func (f *flusher) schedule(i int, d time.Duration, c flushable) {
	if d <= 0 {
		f.writers.submit(c) // the sender never writes to a client itself
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

// fire closes transport i's window and hands its clients to the writers.
func (f *flusher) fire(i int) {
	f.mu.Lock()
	list := f.due[i]
	f.due[i] = nil
	f.mu.Unlock()
	f.writers.submit(list...)
}
