package chsk

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

var isWebSocket = adapter.IsWebSocketUpgrade

// serveWebSocket upgrades r and sends the handshake; the socket then waits
// in the server's poller, and a goroutine reads its events while they come
// (sockReader). The handler returns at once, so that an idle socket keeps
// neither net/http's per-request state nor, where it can park (parkAfter),
// a goroutine.
func (s *Server) serveWebSocket(w http.ResponseWriter, r *http.Request, uid any, key, cid string) {
	c, rej := s.reg.ensure(adapter.WebSocket, uid, key, cid, r, true)
	if rej != nil {
		s.reject(w, r, rej)
		return
	}
	attached := false
	defer func() {
		if !attached {
			c.startGrace()
		}
	}()
	hs, err := s.handshakeFrame(r, uid)
	if err != nil {
		s.log.Error("chsk: cannot pack the handshake", slog.Any("err", err))
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	ws, err := adapter.AcceptWebSocket(w, r, adapter.WSOptions{
		ReadLimit:      s.cfg.MaxMessageBytes,
		Binary:         s.cfg.Packer.Binary(),
		ParkAfter:      s.parkAfter(),
		WriteTimeout:   s.cfg.WriteTimeout,
		MessageTimeout: max(s.cfg.MessageTimeout, 0),
	})
	if err != nil {
		s.log.Debug("chsk: WebSocket upgrade failed", slog.Any("err", err))
		return
	}
	if !s.life.enter() {
		ws.Close()
		return
	}
	// Handlers see the request with a context that keeps its values and
	// ends with the socket, not with this handler. (Its parent has no
	// cancellation, so it costs no registration and no goroutine.)
	rctx, rcancel := context.WithCancel(context.WithoutCancel(r.Context()))
	r = r.WithContext(rctx)
	sr := &sockReader{srv: s, c: c, ws: ws, r: r, cancel: rcancel}
	sr.sock = &socket{h: &s.hub, c: c, ws: ws}
	sr.sock.active()
	// The handshake goes out as the socket's first frame when it attaches:
	// no push can come before it, and none falls between the two.
	if sr.c, rej = s.reg.attach(c, ws, sr.sock, sr.r, hs); rej != nil {
		s.log.Info("chsk: socket refused after its upgrade", slog.String("reason", rej.Reason))
		ws.Close()
		rcancel()
		s.life.leave()
		return
	}
	attached = true
	s.stats.conns[0].Add(1)
	sr.sock.c = sr.c // the client attached to (a new one if c's grace ran out first)
	sr.sock.start()
	if s.life.closed() {
		// Shutdown began after this handler entered, and may have listed the
		// clients before this one attached: the socket ends as Shutdown
		// ends the others (readers do not watch a context, which would cost
		// every idle socket a callback registration).
		ws.Close()
	}
	// Most sockets say nothing for a while after the handshake: they wait
	// in the poller from the start, and cost no goroutine until they do.
	if s.parkAfter() > 0 && sr.wait() {
		return
	}
	go sr.run()
}

// parkAfter is the idle time after which a socket parks, or 0 where
// sockets cannot park.
func (s *Server) parkAfter() time.Duration {
	if s.cfg.ParkAfter <= 0 || s.park.poller() == nil {
		return 0
	}
	return s.cfg.ParkAfter
}

// sockReader reads one socket's frames. It runs on a goroutine while frames
// come, and parks in the server's poller when they stop.
type sockReader struct {
	srv    *Server
	c      *tab
	ws     *adapter.WS
	sock   *socket
	r      *http.Request      // the upgrade request, with the socket's context; nil from a wait to the next message
	kept   keptRequest        // r, lean, made when the socket first waits in the poller
	cancel context.CancelFunc // ends r's context
}

// run delivers frames until the socket ends or goes idle.
func (sr *sockReader) run() {
	s := sr.srv
	for {
		data, binary, err := sr.ws.Read(context.Background())
		if err == adapter.ErrIdle {
			if sr.wait() {
				return // parked: the poller runs sr.run again on a new goroutine
			}
			continue
		}
		if err != nil {
			sr.end()
			return
		}
		sr.sock.active()
		s.stats.eventsIn[0].Add(1)
		s.stats.bytesIn[0].Add(uint64(len(data)))
		if sr.r == nil {
			sr.r = sr.kept.request() // the first message since the socket waited
		}
		s.handleFrame(sr.c, sr.sock, sr.r, data, binary)
	}
}

// wait parks the socket in the server's poller until its next message, and
// reports whether it did; if not, its reader goes on reading. A waiting
// socket keeps its request lean (leanRequest), and its next message gets a
// copy made from that (keptRequest.request). The handler calls wait before
// the reader exists; then only the reader does.
func (sr *sockReader) wait() bool {
	p := sr.srv.park.poller()
	if p == nil {
		return false // Shutdown began: it closes this socket, which ends a Read
	}
	r := sr.r // nil if no message came since the socket last waited
	if sr.kept.r == nil && p.CanWait(sr.ws) {
		// A socket that cannot park (a wrapped connection) keeps its request whole.
		sr.kept = leanRequest(r)
		sr.c.swapRequest(r, sr.kept)
	}
	if sr.kept.r != nil {
		sr.r = nil // before Wait: once it returns, sr.run may be running
	}
	err := p.Wait(sr.ws, sr.run)
	if err == nil {
		return true
	}
	sr.r = r // nil or not: run makes it again from sr.kept when a message comes
	if !errors.Is(err, adapter.ErrClosed) {
		sr.srv.park.logRefused(err) // and the socket never waits again
	}
	return false
}

// end releases the socket: the last thing its reader does.
func (sr *sockReader) end() {
	sr.srv.stats.conns[0].Add(-1)
	sr.sock.stop()
	sr.c.detach(sr.ws)
	sr.ws.Close()
	sr.cancel()
	sr.srv.life.leave()
}

// handleFrame delivers one client frame: Sente's own pings and pongs are
// handled here, everything else goes to the Handler.
func (s *Server) handleFrame(c *tab, sock *socket, r *http.Request, data []byte, binary bool) {
	if binary && !s.cfg.Packer.Binary() {
		// A text packer cannot read binary frames; real servers drop them.
		if s.cfg.BadPackage == wire.BadPackageDrop || !utf8.Valid(data) {
			s.log.Debug("chsk: dropped a binary frame", slog.String("client-id", c.cid))
			return
		}
		s.deliver(&Message{Event: wire.BadPackage(string(data)), UID: c.uid, ClientID: c.cid,
			Transport: adapter.WebSocket, Request: r})
		return
	}
	ev, cb, ok := s.unpackEvent(c.cid, data)
	if !ok {
		return
	}
	switch ev.ID {
	case wire.EvWsPing:
		if (wire.Envelope{CB: cb}).HasCB() {
			// Sente 1.18+ clients expect "pong" to their ping, or they reconnect.
			if frame, err := s.cfg.Packer.Pack(nil, "pong", cb); err == nil {
				_ = c.send(frame)
			}
			cb = nil
		}
	case wire.EvWsPong:
		sock.ponged.Store(true)
	}
	m := &Message{Event: ev, UID: c.uid, ClientID: c.cid, Transport: adapter.WebSocket, Request: r}
	if (wire.Envelope{CB: cb}).HasCB() {
		m.reply = func(v any) error {
			frame, err := s.cfg.Packer.Pack(nil, v, cb)
			if err != nil {
				return err
			}
			if err := c.send(frame); err != nil {
				return err
			}
			s.stats.replies.Add(1)
			return nil
		}
	}
	s.deliver(m)
}

// socket is the keep-alive state of one WebSocket.
type socket struct {
	h  *hub
	c  *tab
	ws *adapter.WS

	lastActive atomic.Int64 // unix nanoseconds of the last client frame or push
	ponged     atomic.Bool  // the client answered a ping: it is Sente 1.19+

	mu      sync.Mutex // a leaf: tick releases it before it sends a ping
	timer   *time.Timer
	seen    int64 // lastActive as of the previous tick
	pingAt  int64 // when an unanswered ping went out, in ping-timeout mode
	stopped bool
}

func (k *socket) active() { k.lastActive.Store(time.Now().UnixNano()) }

func (k *socket) start() {
	if k.h.cfg.KeepAlive < 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.seen = k.lastActive.Load()
	k.timer = k.h.life.afterFunc(k.h.cfg.KeepAlive, k.tick)
}

func (k *socket) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	if k.timer != nil {
		k.timer.Stop()
	}
}

// tick runs Sente's keep-alive: after a quiet KeepAlive period it sends
// :chsk/ws-ping. For clients known to answer pings it closes the socket when
// PingTimeout passes without any message after the ping.
func (k *socket) tick() {
	k.mu.Lock()
	if k.stopped {
		k.mu.Unlock()
		return
	}
	cfg := &k.h.cfg
	last := k.lastActive.Load()
	if k.pingAt != 0 {
		if last <= k.pingAt {
			k.stopped = true
			k.mu.Unlock()
			k.h.log.Debug("chsk: closing a socket that did not answer a ping", slog.String("client-id", k.c.cid))
			_ = k.ws.CloseClean("")
			return
		}
		k.pingAt = 0
	}
	if last != k.seen {
		k.seen = last
		k.timer.Reset(cfg.KeepAlive)
		k.mu.Unlock()
		return
	}
	next := cfg.KeepAlive
	if k.ponged.Load() && cfg.PingTimeout > 0 {
		k.pingAt = time.Now().UnixNano()
		next = cfg.PingTimeout
	}
	k.timer.Reset(next)
	k.mu.Unlock()
	if frame, err := cfg.Packer.Pack(nil, wire.EvWsPing, nil); err == nil {
		_ = k.c.send(frame)
	}
}
