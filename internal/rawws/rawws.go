// Package rawws holds the baselines gosente's benchmarks measure against:
// plain github.com/coder/websocket handlers that speak no protocol at all.
// Echo writes every message back; Hub writes a message to every connected
// hub client, each connection having a queue and a writing goroutine.
package rawws

import (
	"context"
	"net/http"
	"sync"

	"github.com/coder/websocket"
)

// queueLen is how many messages wait for one hub connection; a connection
// further behind misses messages (the benchmarks send one per round).
const queueLen = 64

// Server serves the raw baselines. Close stops it.
type Server struct {
	ctx    context.Context // ends at Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // handlers in flight

	mu     sync.Mutex
	closed bool
	queues map[chan []byte]struct{}
}

// New returns a Server.
func New() *Server {
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{ctx: ctx, cancel: cancel, queues: make(map[chan []byte]struct{})}
}

// enter registers a handler; it fails after Close.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// Close drops every connection and waits for the handlers.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

func accept(w http.ResponseWriter, r *http.Request) *websocket.Conn {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil
	}
	conn.SetReadLimit(1 << 20)
	return conn
}

// Echo writes every message back as it came.
func (s *Server) Echo(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	conn := accept(w, r)
	if conn == nil {
		return
	}
	defer conn.CloseNow()
	for {
		typ, msg, err := conn.Read(s.ctx)
		if err != nil {
			return
		}
		if err := conn.Write(s.ctx, typ, msg); err != nil {
			return
		}
	}
}

// Hub registers the connection with the hub, broadcasts what it reads and
// writes what the hub queues for it.
func (s *Server) Hub(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	// Registered before the upgrade completes: a client whose dial returned
	// receives every later broadcast.
	q := make(chan []byte, queueLen)
	s.mu.Lock()
	s.queues[q] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.queues, q)
		s.mu.Unlock()
	}()
	conn := accept(w, r)
	if conn == nil {
		return
	}
	defer conn.CloseNow()
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer cancel()
		for {
			_, msg, err := conn.Read(ctx)
			if err != nil {
				return
			}
			s.Broadcast(msg)
		}
	}()
	defer func() { <-readerDone }()
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

// Broadcast queues msg for every hub connection, dropping it for a full
// queue.
func (s *Server) Broadcast(msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q := range s.queues {
		select {
		case q <- msg:
		default:
		}
	}
}

// HubConns reports how many hub connections are registered.
func (s *Server) HubConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queues)
}
