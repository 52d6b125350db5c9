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

// client is the server's state for one (transport, uid, client-id): a browser
// tab. It outlives single sockets and polls by the close grace period, and
// holds the frames and pushes waiting for its next connection, in order.
type tab struct {
	srv    *Server
	kind   adapter.Transport
	uid    any
	uidKey string
	cid    string

	mu       sync.Mutex
	req      *http.Request // latest connecting request
	conn     adapter.Conn  // current socket or parked poll; nil between them
	sock     *socket       // WebSocket state while conn is a socket
	out      [][]byte      // frames to write before pushes (WS replies, pings)
	pending  []wire.Raw    // pushed events not yet sent
	flushing bool          // a batching window is open (see flusher)
	graceT   *time.Timer   // armed while conn is nil
	gen      uint64        // bumped on every attach and detach
	writing  bool          // a goroutine is draining the queues
	finish   bool          // Shutdown: end the connection after the last drain
	finished chan struct{} // closed by the last drain, when Shutdown waits for it
	removed  bool          // no longer in the registry
	slowDrop bool          // disconnected for falling behind
	drops    uint64        // bumped whenever the queues are dropped
}

var errSlowClient = errors.New("chsk: client fell too far behind")

// window is the batching window of the client's transport.
func (c *tab) window() time.Duration {
	if c.kind == adapter.WebSocket {
		return c.srv.cfg.SendBufferWS
	}
	return c.srv.cfg.SendBufferAjax
}

// push queues one printed event for the next batch.
func (c *tab) push(ev wire.Raw) {
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return
	}
	if len(c.pending)+len(c.out) >= c.srv.cfg.MaxQueue {
		c.dropSlowLocked()
		return
	}
	c.pending = append(c.pending, ev)
	if c.flushing {
		c.mu.Unlock()
		return
	}
	c.flushing = true
	c.mu.Unlock()
	c.srv.flushes.schedule(c)
}

// send queues a frame for the current socket (replies, pongs, pings).
func (c *tab) send(frame []byte) error {
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return adapter.ErrClosed
	}
	if len(c.pending)+len(c.out) >= c.srv.cfg.MaxQueue {
		c.dropSlowLocked()
		return errSlowClient
	}
	c.out = append(c.out, frame)
	c.drainLocked()
	return nil
}

// flush ends the batching window.
func (c *tab) flush() {
	c.mu.Lock()
	c.flushing = false
	c.drainLocked()
}

// drainLocked writes queued frames, then pending pushes as one batch, to the
// current connection. Only one goroutine drains at a time; others just queue.
// It is called with c.mu held and returns with it released.
func (c *tab) drainLocked() {
	if c.writing {
		c.mu.Unlock()
		return
	}
	c.writing = true
	for c.conn != nil {
		conn, sock := c.conn, c.sock
		// What is being written leaves the queues at once: MaxQueue counts
		// what waits, so a client that read everything is never "behind".
		var (
			frame []byte
			taken []wire.Raw
		)
		switch {
		case len(c.out) > 0:
			frame = c.out[0]
			c.out[0] = nil
			c.out = c.out[1:]
		case len(c.pending) > 0 && !c.flushing:
			taken = c.pending
			frame = c.srv.batchFrame(taken)
			c.pending = nil
		}
		if frame == nil {
			break
		}
		drops := c.drops
		c.mu.Unlock()
		err := c.srv.write(conn, frame)
		timedOut := errors.Is(err, context.DeadlineExceeded)
		c.mu.Lock()
		if c.drops != drops {
			break // the queues were dropped meanwhile: the client is on its way out
		}
		if err != nil {
			// A newer connection replaced this one meanwhile (a tab that
			// reconnected; attach closed the old socket), or the poll ended
			// on its own: pushes it did not take go back to the front, for
			// the current or next connection. A frame of its own (a reply,
			// a pong, its handshake) dies with it: it must not come before
			// the new socket's handshake.
			replaced := c.conn != nil && c.conn != conn
			if replaced || errors.Is(err, adapter.ErrAnswered) || errors.Is(err, adapter.ErrClosed) {
				if taken != nil {
					c.pending = append(taken, c.pending...)
				} else if !replaced {
					c.out = append([][]byte{frame}, c.out...)
				}
				if replaced {
					_ = conn.Close()
				} else {
					c.detachLocked(conn)
				}
				continue
			}
			if timedOut && !c.slowDrop { // the client does not read: a slow consumer too
				c.srv.stats.slowDisconnects.Add(1)
				c.slowDrop = true // counted once, whatever its queue does next
			}
			c.srv.log.Debug("chsk: write failed", slog.String("client-id", c.cid), slog.Any("err", err))
			_ = conn.Close()
			c.detachLocked(conn)
			break
		}
		if taken != nil && sock != nil {
			sock.active()
		}
		if conn.Transport() == adapter.Ajax {
			c.detachLocked(conn) // a poll takes one frame
		}
	}
	c.writing = false
	if c.finish {
		c.finishLocked()
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
	c.flushing = false
	if c.graceT != nil {
		c.graceT.Stop()
		c.graceT = nil
	}
	finished := make(chan struct{})
	c.finished = finished
	c.drainLocked() // the writer, this goroutine or another, calls finishLocked
	<-finished
}

// finishLocked ends the client's connection after its last drain: a socket
// is dropped (uncleanly, so that clients of every Sente version reconnect),
// a parked poll answered :chsk/timeout. Pushes still queued, for a client
// with no connection, are counted as undelivered. It is called with c.mu
// held and releases it.
func (c *tab) finishLocked() {
	conn, undelivered := c.conn, len(c.pending)
	clear(c.pending)
	clear(c.out)
	c.pending, c.out, c.conn, c.sock = nil, nil, nil, nil
	finished := c.finished
	c.finished = nil
	c.mu.Unlock()
	if finished != nil {
		defer close(finished)
	}
	if undelivered > 0 {
		c.srv.stats.undelivered.Add(uint64(undelivered))
		c.srv.log.Warn("chsk: pushes not delivered at shutdown: the client had no connection",
			slog.String("client-id", c.cid), slog.String("transport", c.kind.String()), slog.Int("pushes", undelivered))
	}
	switch conn := conn.(type) {
	case nil:
	case *adapter.Poll:
		c.srv.answer(conn, c.srv.timeoutFrame) // the client polls again at once
	default:
		_ = conn.Close()
	}
}

// attach makes conn the client's connection and sends first (a socket's
// handshake), then what waited for it.
// It reports false, and does nothing, if c was removed meanwhile (its grace
// period ran out first): the caller then needs a new client.
func (c *tab) attach(conn adapter.Conn, sock *socket, r *http.Request, first []byte) bool {
	c.mu.Lock()
	if c.removed {
		c.mu.Unlock()
		return false
	}
	if first != nil {
		c.out = append([][]byte{first}, c.out...)
	}
	var oldPoll *adapter.Poll
	if old := c.conn; old != nil && old != conn {
		if p, ok := old.(*adapter.Poll); ok {
			oldPoll = p // a newer poll replaces an older one: released below
		} else {
			_ = old.Close()
		}
	}
	c.conn, c.sock, c.req = conn, sock, r
	c.slowDrop = false
	c.gen++
	if c.graceT != nil {
		c.graceT.Stop()
		c.graceT = nil
	}
	c.drainLocked()
	if oldPoll != nil {
		c.srv.answer(oldPoll, c.srv.timeoutFrame) // not under c.mu: a write may be slow
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

// abandon starts the close grace period of a client whose connection did
// not come after all (see registry.ensure's attaching).
func (c *tab) abandon() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil && c.graceT == nil && !c.removed {
		c.startGraceLocked()
	}
}

// startGraceLocked starts the close grace period: unless a connection
// attaches before it ends, the client is forgotten.
func (c *tab) startGraceLocked() {
	c.gen++
	gen := c.gen
	grace := c.srv.cfg.CloseGraceWS
	if c.kind == adapter.Ajax {
		grace = c.srv.cfg.CloseGraceAjax
	}
	c.graceT = c.srv.afterFunc(grace, func() { c.srv.reg.expire(c, gen) })
}

// dropSlowLocked disconnects a client that fell behind: its queues are
// dropped and its connection closed (uncleanly, so that Sente clients of every
// version reconnect). It is called with c.mu held and releases it.
func (c *tab) dropSlowLocked() {
	conn := c.conn
	clear(c.pending)
	clear(c.out)
	c.pending, c.out = nil, nil
	c.drops++
	if c.slowDrop {
		c.mu.Unlock() // dropped already; its connection is on its way out
		return
	}
	c.slowDrop = true
	c.mu.Unlock()
	c.srv.stats.slowDisconnects.Add(1)
	c.srv.log.Warn("chsk: disconnecting a client that does not keep up",
		slog.String("client-id", c.cid), slog.String("transport", c.kind.String()))
	if conn != nil {
		_ = conn.Close()
	}
}
