package chsk

import (
	"sync"

	"github.com/gosente/gosente/chsk/adapter"
)

// flusher ends batching windows. The pushes of one window share one timer
// per transport: a window opens with a push to a client with nothing
// pending and closes SendBufferWS (or SendBufferAjax) later for every client
// pushed to meanwhile. No push waits longer than the window, and a broadcast
// to 10,000 clients arms one timer, not 10,000.
type flusher struct {
	srv *Server
	mu  sync.Mutex
	due [2][]*tab // by transport: the clients whose window is open
}

// schedule closes c's window with its transport's current one, or at once
// when the window is off. c.mu is not held.
func (f *flusher) schedule(c *tab) {
	d := c.window()
	if d <= 0 {
		f.srv.goTracked(c.flush) // the sender never writes to a client itself
		return
	}
	i := 0
	if c.kind == adapter.Ajax {
		i = 1
	}
	f.mu.Lock()
	first := len(f.due[i]) == 0
	f.due[i] = append(f.due[i], c)
	f.mu.Unlock()
	if first {
		f.srv.afterFunc(d, func() { f.fire(i) })
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
		f.srv.goTracked(c.flush)
	}
}
