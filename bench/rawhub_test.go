package bench

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// rawHub is the fan-out baseline: a coder/websocket server that keeps every
// connection with a queue and a writing goroutine, and broadcasts by queueing
// a message for each.
type rawHub struct {
	ts *httptest.Server

	mu     sync.Mutex
	queues map[chan []byte]struct{}
	joined chan struct{} // one value per accepted connection
}

func newRawHub() *rawHub {
	h := &rawHub{queues: map[chan []byte]struct{}{}, joined: make(chan struct{}, 1<<16)}
	h.ts = httptest.NewServer(http.HandlerFunc(h.serve))
	return h
}

// serve registers one connection and writes its queue until the
// connection fails or the client goes away.
func (h *rawHub) serve(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx := conn.CloseRead(r.Context()) // done when the client closes
	q := make(chan []byte, 64)
	h.mu.Lock()
	h.queues[q] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.queues, q)
		h.mu.Unlock()
	}()
	h.joined <- struct{}{}
	for {
		select {
		case msg := <-q:
			if err := conn.Write(ctx, websocket.MessageText, msg); err != nil {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// waitFor waits until n connections joined.
func (h *rawHub) waitFor(n int, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for i := range n {
		select {
		case <-h.joined:
		case <-t.C:
			return fmt.Errorf("raw hub: %d of %d connections joined in %v", i, n, timeout)
		}
	}
	return nil
}

// broadcast queues msg for every connection, dropping it for a full queue.
func (h *rawHub) broadcast(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for q := range h.queues {
		select {
		case q <- msg:
		default:
		}
	}
}

// close stops the server; the clients must be closed first.
func (h *rawHub) close() { h.ts.Close() }
