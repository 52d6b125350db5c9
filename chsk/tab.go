package chsk

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

// tab is the server's state for one (transport, uid, client-id): a browser
// tab. It outlives single sockets and polls by the close grace period, and
// queues the frames and pushes waiting for its next connection, in order.
//
// Only this file locks tab.mu. Lock order: registry.mu before tab.mu; while
// tab.mu is held, the only other locks taken are the adapter's, by closing a
// connection (and the logger's, should the packer fail to pack a batch,
// which it does under tab.mu). Neighbours change a tab through its methods: attach, detach,
// startGrace, remove (the registry), push and send (senders), flush (the
// flusher), shutdown and closeConn (Shutdown).
type tab struct {
	h      *hub
	expire func(gen uint64) // the registry's: the close grace of generation gen ran out
	kind   adapter.Transport
	uid    any
	uidKey string
	cid    string

	mu       sync.Mutex
	q        sendQueue
	req      keptRequest   // latest connecting request
	conn     adapter.Conn  // current socket or parked poll; nil between them
	sock     keepAlive     // the socket's keep-alive while conn is a socket
	graceT   *time.Timer   // armed while conn is nil
	gen      uint64        // bumped on every attach and detach
	finish   bool          // Shutdown: end the connection after the last drain
	finished chan struct{} // closed by the last drain, when Shutdown waits for it
	removed  bool          // no longer in the registry
	slowDrop bool          // disconnected for falling behind
}

// keepAlive is what a tab tells its socket's keep-alive (socket, in
// websocket.go): a push batch went out, which counts as activity.
type keepAlive interface{ active() }

var errSlowClient = errors.New("chsk: client fell too far behind")

// window is the batching window of the client's transport, and the
// flusher's index for it.
func (c *tab) window() (time.Duration, int) {
	if c.kind == adapter.WebSocket {
		return c.h.cfg.SendBufferWS, 0
	}
	return c.h.cfg.SendBufferAjax, 1
}

// push queues one printed event for the next batch.
func (c *tab) push(ev wire.Raw) {
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return
	}
	if c.q.len() >= c.h.cfg.MaxQueue {
		c.dropSlowUnlock()
		return
	}
	opened := c.q.addPush(ev)
	n := c.q.len()
	c.mu.Unlock()
	c.h.stats.pushes.Add(1)
	c.h.stats.queued(n)
	if opened {
		d, i := c.window()
		c.h.flushes.schedule(i, d, c)
	}
}

// send queues a frame for the current socket (replies, pongs, pings).
func (c *tab) send(frame []byte) error {
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return adapter.ErrClosed
	}
	if c.q.len() >= c.h.cfg.MaxQueue {
		c.dropSlowUnlock()
		return errSlowClient
	}
	c.q.addFrame(frame)
	c.h.stats.queued(c.q.len())
	c.drainUnlock()
	return nil
}

// flush ends the batching window.
func (c *tab) flush() {
	c.mu.Lock()
	c.q.closeWindow()
	c.drainUnlock()
}

// drainUnlock writes queued frames, then pending pushes as one batch, to the
// current connection. Only one goroutine drains at a time; others just queue.
// It is called with c.mu held and releases it.
func (c *tab) drainUnlock() {
	if !c.q.beginDrain() {
		c.mu.Unlock()
		return
	}
	for c.conn != nil {
		conn, sock := c.conn, c.sock
		frame, taken := c.q.next(c.h.batchFrame)
		if frame == nil {
			break
		}
		gen := c.q.generation()
		c.mu.Unlock()
		err := c.h.write(conn, frame)
		timedOut := errors.Is(err, context.DeadlineExceeded)
		c.mu.Lock()
		if c.q.generation() != gen {
			break // the queue was dropped meanwhile: the client is on its way out
		}
		if err != nil {
			// A newer connection replaced this one meanwhile (a tab that
			// reconnected; attach closed the old socket), or the socket or
			// poll ended on its own: pushes it did not take go back to the
			// front, for the current or next connection. A frame of its own
			// (a reply, a pong; only sockets have them) dies with it when a
			// newer socket replaced it, since it must not come after that
			// socket's handshake; when the socket just ended, it waits for
			// the next one (the client's callbacks outlive its sockets).
			replaced := c.conn != nil && c.conn != conn
			if replaced || errors.Is(err, adapter.ErrAnswered) || errors.Is(err, adapter.ErrClosed) {
				c.q.putBack(frame, taken, !replaced)
				if replaced {
					_ = conn.Close()
				} else {
					c.detachLocked(conn)
				}
				continue
			}
			if timedOut && !c.slowDrop { // the client does not read: a slow consumer too
				c.h.stats.slowDisconnects.Add(1)
				c.slowDrop = true // counted once, whatever its queue does next
			}
			c.h.log.Debug("chsk: write failed", slog.String("client-id", c.cid), slog.Any("err", err))
			_ = conn.Close()
			c.detachLocked(conn)
			break
		}
		if taken != nil {
			c.h.stats.batches.Add(1)
			if sock != nil {
				sock.active()
			}
		}
		if conn.Transport() == adapter.Ajax {
			c.detachLocked(conn) // a poll takes one frame
		}
	}
	c.q.endDrain()
	if c.finish {
		c.finishUnlock()
		return
	}
	c.mu.Unlock()
}

// shutdown is the client's part of Server.Shutdown: what is queued is
// written to the current connection at once, without waiting for the
// batching window; then the connection ends.
func (c *tab) shutdown() {
	c.mu.Lock()
	c.finish = true
	c.q.closeWindow()
	if c.graceT != nil {
		c.graceT.Stop()
		c.graceT = nil
	}
	finished := make(chan struct{})
	c.finished = finished
	c.drainUnlock() // the writer, this goroutine or another, calls finishUnlock
	<-finished
}

// finishUnlock ends the client's connection after its last drain: a socket
// is dropped (uncleanly, so that clients of every Sente version reconnect),
// a parked poll answered :chsk/timeout. Pushes still queued, for a client
// with no connection, are counted as undelivered. It is called with c.mu
// held and releases it.
func (c *tab) finishUnlock() {
	conn := c.conn
	undelivered := c.q.drop()
	c.conn, c.sock = nil, nil
	finished := c.finished
	c.finished = nil
	c.mu.Unlock()
	if finished != nil {
		defer close(finished)
	}
	if undelivered > 0 {
		c.h.stats.undelivered.Add(uint64(undelivered))
		c.h.log.Warn("chsk: pushes not delivered at shutdown: the client had no connection",
			slog.String("client-id", c.cid), slog.String("transport", c.kind.String()), slog.Int("pushes", undelivered))
	}
	switch conn := conn.(type) {
	case nil:
	case *adapter.Poll:
		c.h.answer(conn, c.h.timeoutFrame) // the client polls again at once
	default:
		_ = conn.Close()
	}
}

// closeConn closes the client's connection, if it has one: for Shutdown,
// when its writes outlived Shutdown's context.
func (c *tab) closeConn() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// attach makes conn the client's connection and sends first (a socket's
// handshake), then what waited for it.
// It reports false, and does nothing, if c was removed meanwhile (its grace
// period ran out first): the caller then needs a new client.
func (c *tab) attach(conn adapter.Conn, sock keepAlive, r *http.Request, first []byte) bool {
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return false
	}
	if first != nil {
		c.q.addFirst(first)
	}
	var oldPoll *adapter.Poll
	if old := c.conn; old != nil && old != conn {
		if p, ok := old.(*adapter.Poll); ok {
			oldPoll = p // a newer poll replaces an older one: released below
		} else {
			_ = old.Close()
		}
	}
	c.conn, c.sock, c.req = conn, sock, keptRequest{r: r}
	c.slowDrop = false
	c.gen++
	if c.graceT != nil {
		c.graceT.Stop()
		c.graceT = nil
	}
	c.drainUnlock()
	if oldPoll != nil {
		c.h.answer(oldPoll, c.h.timeoutFrame) // not under c.mu: a write may be slow
	}
	return true
}

// detach forgets conn if it is still the client's connection and starts the
// close grace period.
func (c *tab) detach(conn adapter.Conn) {
	c.mu.Lock()
	c.detachLocked(conn)
	c.mu.Unlock()
}

func (c *tab) detachLocked(conn adapter.Conn) {
	if c.conn != conn || c.removed {
		return
	}
	c.conn, c.sock = nil, nil
	c.startGraceLocked()
}

// startGrace starts the close grace period of a client that has no
// connection and no grace period running: a new Ajax client until its first
// poll, or one whose socket did not come after all (see registry.ensure's
// attaching).
func (c *tab) startGrace() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil && c.graceT == nil && !c.removed {
		c.startGraceLocked()
	}
}

// startGraceLocked starts the close grace period: unless a connection
// attaches before it ends, the registry forgets the client.
func (c *tab) startGraceLocked() {
	c.gen++
	gen := c.gen
	grace := c.h.cfg.CloseGraceWS
	if c.kind == adapter.Ajax {
		grace = c.h.cfg.CloseGraceAjax
	}
	c.graceT = c.h.life.afterFunc(grace, func() { c.expire(gen) })
}

// swapRequest replaces the client's latest request with lean, if it is
// still r.
func (c *tab) swapRequest(r *http.Request, lean keptRequest) {
	c.mu.Lock()
	if c.req.r == r {
		c.req = lean
	}
	c.mu.Unlock()
}

// remove marks c removed if its close grace of generation gen ran out with
// no connection since, dropping what was queued, and returns its latest
// request; otherwise it changes nothing and reports false. The registry
// calls it with registry.mu held.
func (c *tab) remove(gen uint64) (*http.Request, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || c.conn != nil || c.removed {
		return nil, false
	}
	c.removed = true
	c.graceT = nil
	c.q.drop()
	return c.req.request(), true
}

// dropSlowUnlock disconnects a client that fell behind: its queue is
// dropped and its connection closed (uncleanly, so that Sente clients of every
// version reconnect). It is called with c.mu held and releases it.
func (c *tab) dropSlowUnlock() {
	conn := c.conn
	c.q.drop()
	if c.slowDrop {
		c.mu.Unlock() // dropped already; its connection is on its way out
		return
	}
	c.slowDrop = true
	c.mu.Unlock()
	c.h.stats.slowDisconnects.Add(1)
	c.h.log.Warn("chsk: disconnecting a client that does not keep up",
		slog.String("client-id", c.cid), slog.String("transport", c.kind.String()))
	if conn != nil {
		_ = conn.Close()
	}
}
