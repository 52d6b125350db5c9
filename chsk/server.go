package chsk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

// Server is a Sente server: mount it on the channel-socket path (Sente's
// conventional /chsk) for GET and POST, and it speaks Sente's protocol to
// every client version from 1.17 on, over WebSocket and Ajax long-polling.
//
// A Server is an http.Handler; GetHandler and PostHandler give the two halves
// for routers that register methods separately.
type Server struct {
	cfg     config
	log     *slog.Logger
	format  wire.Format
	edn     *wire.EDN // the packer, when it is EDN: frames then go through wire.ServerEvent
	reg     registry
	flushes flusher

	// Frames that never change, packed once.
	timeoutFrame, dummyFrame []byte
	contentType              string

	ctx    context.Context // ends at Shutdown
	cancel context.CancelFunc

	mu       sync.Mutex
	closing  bool
	stopping atomic.Bool    // closing, for publishers, which do not take mu
	pubMu    sync.RWMutex   // held for reading while a publication is queued
	running  sync.WaitGroup // handler goroutines and timer callbacks in flight

	poller      *adapter.Poller // made when a first socket goes idle; nil if unavailable
	noPoller    bool
	parkRefused sync.Once // "cannot park" is logged once

	unsubscribe func()
	stats       struct{ slowDisconnects, undelivered atomic.Uint64 }
}

// New returns a Server configured by opts; nil means every default.
func New(opts *Options) (*Server, error) {
	cfg := newConfig(opts)
	if cfg.LongPollTimeout >= 60*time.Second {
		return nil, errors.New("chsk: LongPollTimeout must be below 60s, the clients' own request timeout")
	}
	s := &Server{cfg: cfg, log: cfg.Logger, contentType: "text/html; charset=utf-8"}
	switch p := cfg.Packer.(type) {
	case *wire.EDN:
		s.edn = p
	case wire.EDN:
		s.edn = &p
	}
	if s.edn != nil {
		s.format = s.edn.Format
	}
	if cfg.Packer.Binary() {
		s.contentType = "application/octet-stream"
	}
	s.flushes = flusher{srv: s}
	s.reg = registry{srv: s, uids: make(map[string]*uidEntry), notes: make(map[string]*uidNotes)}
	var err error
	if s.timeoutFrame, err = cfg.Packer.Pack(nil, wire.KwTimeout, nil); err != nil {
		return nil, fmt.Errorf("chsk: packer: %w", err)
	}
	if s.dummyFrame, err = cfg.Packer.Pack(nil, wire.KwDummyCB200, nil); err != nil {
		return nil, fmt.Errorf("chsk: packer: %w", err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if cfg.Broker != nil {
		s.unsubscribe = cfg.Broker.Subscribe(func(p Publication) { s.publishLocal(p) })
	}
	return s, nil
}

// ServeHTTP serves GET (WebSocket upgrade, Ajax handshake and long-poll) and
// POST (Ajax events) on one path, and answers other methods with 405.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.serveGet(w, r)
	case http.MethodPost:
		s.servePost(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
	}
}

// GetHandler returns the GET half: WebSocket upgrades, Ajax handshakes and
// long-polls (Sente's ajax-get-or-ws-handshake-fn).
func (s *Server) GetHandler() http.Handler { return http.HandlerFunc(s.serveGet) }

// PostHandler returns the POST half: Ajax client events (Sente's ajax-post-fn).
func (s *Server) PostHandler() http.Handler { return http.HandlerFunc(s.servePost) }

// Connected returns the uids that have clients connected to this server now.
func (s *Server) Connected() ConnectedUIDs { return s.reg.snapshot() }

// ConnectedAll returns the uids connected to any node of the cluster, as
// Options.Presence knows them; without a Presence it is Connected.
func (s *Server) ConnectedAll(ctx context.Context) (ConnectedUIDs, error) {
	if s.cfg.Presence == nil {
		return s.Connected(), nil
	}
	return s.cfg.Presence.Connected(ctx)
}

// Stats counts what the server did on its own initiative.
type Stats struct {
	// SlowDisconnects counts clients disconnected because their queue passed
	// Options.MaxQueue or a write to them outlasted Options.WriteTimeout.
	SlowDisconnects uint64
	// UndeliveredAtShutdown counts pushes that Send accepted and Shutdown
	// could not deliver, because their client had no connection then (an
	// Ajax client between polls, a socket in its close grace period).
	UndeliveredAtShutdown uint64
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	return Stats{
		SlowDisconnects:       s.stats.slowDisconnects.Load(),
		UndeliveredAtShutdown: s.stats.undelivered.Load(),
	}
}

// Shutdown stops the server: new requests get 503; what is queued for each
// client is written at once; then WebSockets are dropped (so that clients of
// every Sente version reconnect, to another node or to the restarted server),
// and parked polls and POSTs waiting for a reply are answered :chsk/timeout.
// Pushes queued for a client with no connection are counted in
// Stats().UndeliveredAtShutdown. Shutdown returns once every goroutine and
// timer callback the server started has ended, or with ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	already := s.closing
	s.closing = true
	s.mu.Unlock()
	if !already {
		// No publication is queued after this point, and the ones in flight
		// are queued before the final flush.
		s.stopping.Store(true)
		s.pubMu.Lock()
		s.pubMu.Unlock() //nolint:staticcheck // an empty critical section: waiting is the point
		// Last writes first, while sockets are still read (and handlers may
		// still reply), all clients at once.
		clients := s.reg.all()
		var flushes sync.WaitGroup
		for _, c := range clients {
			flushes.Go(c.shutdown)
		}
		flushed := make(chan struct{})
		go func() {
			flushes.Wait()
			close(flushed)
		}()
		select {
		case <-flushed:
		case <-ctx.Done():
		}
		s.cancel()
		if s.unsubscribe != nil {
			s.unsubscribe()
		}
		if s.cfg.Presence != nil { // this node's clients are going away
			s.reg.notifyAll(func(uid any) { s.uidChanged(UIDChange{UID: uid}) })
		}
		for _, c := range clients { // writes that outlived ctx end here
			c.mu.Lock()
			conn := c.conn
			c.mu.Unlock()
			if conn != nil {
				_ = conn.Close()
			}
		}
	}
	s.mu.Lock()
	p := s.poller
	s.mu.Unlock()
	if p != nil {
		_ = p.Close() // wakes the sockets still parked, so their readers end
	}
	done := make(chan struct{})
	go func() {
		s.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// enter registers a goroutine doing server work; it fails once Shutdown began.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.running.Add(1)
	return true
}

func (s *Server) leave() { s.running.Done() }

// goTracked runs f on a new goroutine that Shutdown waits for, unless
// Shutdown began.
func (s *Server) goTracked(f func()) {
	if !s.enter() {
		return
	}
	go func() {
		defer s.leave()
		f()
	}()
}

// write sends one frame to a client's connection within WriteTimeout. A
// socket applies the timeout itself (no context per write); a poll gets a
// context. A write past the timeout reports context.DeadlineExceeded.
func (s *Server) write(conn adapter.Conn, frame []byte) error {
	if conn.Transport() == adapter.WebSocket {
		return conn.Send(context.Background(), frame)
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	err := conn.Send(ctx, frame)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("chsk: write: %w", context.DeadlineExceeded)
	}
	return err
}

// idlePoller returns the server's poller, making it on first use, or nil if
// sockets cannot be parked (not Linux, or Shutdown began).
func (s *Server) idlePoller() *adapter.Poller {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.poller == nil && !s.noPoller && !s.closing {
		p, err := adapter.NewPoller()
		if err != nil {
			s.noPoller = true
			s.log.Debug("chsk: idle sockets keep their goroutines", slog.Any("err", err))
			return nil
		}
		s.poller = p
	}
	if s.closing {
		return nil
	}
	return s.poller
}

// afterFunc is time.AfterFunc for server work: f does not run after Shutdown
// began, and Shutdown waits for a running f.
func (s *Server) afterFunc(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, func() {
		if !s.enter() {
			return
		}
		defer s.leave()
		f()
	})
}

// deliver hands m to the Handler, recovering a panic so that one bad handler
// call cannot take a connection or the process down.
func (s *Server) deliver(m *Message) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("chsk: event handler panicked", slog.String("id", string(m.Event.ID)), slog.Any("panic", v))
		}
	}()
	s.cfg.Handler.ServeEvent(m)
}

func (s *Server) uidChanged(ch UIDChange) {
	if p := s.cfg.Presence; p != nil {
		ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
		if err := p.Update(ctx, s.cfg.NodeID, ch); err != nil {
			s.log.Warn("chsk: presence update failed", slog.Any("err", err))
		}
		cancel()
	}
	if s.cfg.OnUIDChange != nil {
		s.cfg.OnUIDChange(ch)
	}
}

// uidFor computes the uid of r, mapping nil to the nil-uid keyword.
func (s *Server) uidFor(r *http.Request, cid string) any {
	if uid := s.cfg.UserID(r, cid); uid != nil {
		return uid
	}
	return s.cfg.NilUID
}

// maxClientIDLen bounds client-ids; Sente's are 36-character UUIDs.
const maxClientIDLen = 256

// clientID returns the request's client-id, or why it is unusable.
func clientID(r *http.Request) (string, *Rejection) {
	cid := param(r, "client-id")
	if rej := checkClientIDLen(cid); rej != nil {
		return "", rej
	}
	if strings.TrimSpace(cid) == "" {
		return "", &Rejection{Kind: RejectClientID, Status: http.StatusInternalServerError,
			Body: clientIDMessage, Reason: "the request has no client-id parameter"}
	}
	return cid, nil
}

// checkClientIDLen refuses client-ids longer than maxClientIDLen.
func checkClientIDLen(cid string) *Rejection {
	if len(cid) <= maxClientIDLen {
		return nil
	}
	return &Rejection{Kind: RejectClientID, Status: http.StatusBadRequest,
		Body: "Bad client id", Reason: fmt.Sprintf("client-id is %d bytes long (at most %d)", len(cid), maxClientIDLen)}
}

func (s *Server) handshakeFrame(r *http.Request, uid any) ([]byte, error) {
	var data any
	if s.cfg.HandshakeData != nil {
		data = s.cfg.HandshakeData(r)
	}
	return s.cfg.Packer.Pack(nil, wire.Handshake{UID: uid, Data: data}.Event(true), nil)
}

// serveGet runs the GET side: client-id, checks, then WebSocket or Ajax.
func (s *Server) serveGet(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "Server shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.leave()
	if err := r.ParseForm(); err != nil {
		s.reject(w, r, &Rejection{Kind: RejectRequest, Status: http.StatusBadRequest, Body: "Bad request", Reason: "malformed query: " + err.Error()})
		return
	}
	cid, rej := clientID(r)
	if rej == nil {
		rej = s.check(r)
	}
	if rej != nil {
		s.reject(w, r, rej)
		return
	}
	uid := s.uidFor(r, cid)
	key, err := UIDKey(uid)
	if err != nil {
		s.log.Error("chsk: the UserID function returned a uid that cannot be printed", slog.Any("err", err))
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	if isWebSocket(r) {
		s.serveWebSocket(w, r, uid, key, cid)
		return
	}
	s.serveAjaxGet(w, r, uid, key, cid)
}
