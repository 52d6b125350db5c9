package golden

import (
	"bufio"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"time"
)

// Reasons for frames the replay sends on its own (not scheduled actions).
const (
	autoCloseReply = "automatic close reply" // as a browser echoes a server close
	autoPong       = "automatic pong"        // RFC 6455 answer to a server ping
	autoResponder  = "responder"             // a step's "answer each … with …"
)

// wsEvent is something that happened on a live WebSocket connection.
type wsEvent struct {
	at     time.Time
	dir    string // "s2c" or "c2s"; "" for EOF
	frame  wsFrame
	auto   string // for c2s: why the replay sent it on its own ("" = scheduled)
	eof    bool
	err    error
	failed bool // a c2s frame that could not be written
}

// liveConn is one raw WebSocket connection. A reader goroutine timestamps
// every server frame; sends are serialized.
type liveConn struct {
	name string
	nc   net.Conn
	br   *bufio.Reader

	wmu sync.Mutex // serializes writes

	mu        sync.Mutex
	events    []wsEvent
	resp      *responder
	closeSent bool // a close frame was sent (by the step or as a reply)
	stopped   bool // after an automatic close reply: record nothing more
	dropped   bool // the replay closed the TCP connection itself

	done   chan struct{}
	notify chan struct{} // signalled (non-blocking) on every new event
}

const wsWriteTimeout = 5 * time.Second

func newLiveConn(name string, nc net.Conn, br *bufio.Reader) *liveConn {
	c := &liveConn{name: name, nc: nc, br: br, done: make(chan struct{}), notify: make(chan struct{}, 1)}
	go c.readLoop()
	return c
}

// signal wakes a waiter; callers hold no lock.
func (c *liveConn) signal() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *liveConn) readLoop() {
	defer close(c.done)
	defer c.signal()
	for {
		f, err := readFrame(c.br)
		now := time.Now()
		c.signal()
		c.mu.Lock()
		if err != nil {
			if !c.stopped && !c.dropped {
				c.events = append(c.events, wsEvent{at: now, eof: true, err: err})
			}
			c.mu.Unlock()
			return
		}
		if c.stopped {
			c.mu.Unlock()
			continue
		}
		c.events = append(c.events, wsEvent{at: now, dir: "s2c", frame: f})
		resp, closeSent := c.resp, c.closeSent
		c.mu.Unlock()
		switch {
		case f.Opcode == opClose && !closeSent:
			code := f.Payload
			if len(code) > 2 {
				code = code[:2]
			}
			_ = c.send(wsFrame{Fin: true, Opcode: opClose, Payload: code}, autoCloseReply)
			c.mu.Lock()
			c.stopped = true
			c.mu.Unlock()
		case f.Opcode == opPing:
			_ = c.send(wsFrame{Fin: true, Opcode: opPong, Payload: f.Payload}, autoPong)
		case resp != nil && f.Opcode == opText && strings.Contains(string(f.Payload), resp.trigger):
			_ = c.send(wsFrame{Fin: true, Opcode: opText, Payload: []byte(resp.reply)}, autoResponder)
		}
	}
}

// send writes a masked frame and logs it as a c2s event.
func (c *liveConn) send(f wsFrame, auto string) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	// Log the frame before writing it: the answer may arrive at once, and
	// the event order decides what counts as "after the last client frame".
	c.mu.Lock()
	if f.Opcode == opClose {
		c.closeSent = true
	}
	idx := -1
	if !c.stopped {
		idx = len(c.events)
		c.events = append(c.events, wsEvent{at: time.Now(), dir: "c2s", frame: f, auto: auto})
	}
	c.mu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	err := writeClientFrame(c.nc, f, key)
	if err != nil && idx >= 0 {
		c.mu.Lock()
		c.events[idx].failed = true
		c.mu.Unlock()
	}
	c.signal()
	return err
}

// await waits until the k-th server frame since from (or, with eof, the
// end of the connection) has arrived, the connection stopped recording, or
// deadline passed; it returns the arrival time or the time it gave up.
func (c *liveConn) await(ctx context.Context, from time.Time, k int, eof bool, deadline time.Time) time.Time {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		c.mu.Lock()
		n, stopped := 0, c.stopped
		for _, ev := range c.events {
			if ev.at.Before(from) {
				continue
			}
			if ev.eof {
				if eof {
					c.mu.Unlock()
					return ev.at
				}
				stopped = true
			} else if ev.dir == "s2c" && !eof {
				if n == k {
					c.mu.Unlock()
					return ev.at
				}
				n++
			}
		}
		c.mu.Unlock()
		if stopped {
			return time.Now()
		}
		select {
		case <-c.notify:
		case <-timer.C:
			return time.Now()
		case <-ctx.Done():
			return time.Now()
		}
	}
}

func (c *liveConn) setResponder(r *responder) {
	c.mu.Lock()
	c.resp = r
	c.mu.Unlock()
}

// snapshot returns the events so far.
func (c *liveConn) snapshot() []wsEvent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]wsEvent(nil), c.events...)
}

// drop closes the TCP connection without a close handshake and waits
// (bounded) for the reader to finish.
func (c *liveConn) drop() {
	c.mu.Lock()
	c.dropped = true
	c.mu.Unlock()
	_ = c.nc.Close()
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
	}
}
