package main

import (
	"context"
	"net/http"
	"sync"

	"github.com/coder/websocket"
)

// rawQueue is how many messages wait for one raw hub connection; a
// connection further behind misses messages (the bench sends one per round).
const rawQueue = 64

// rawServer is the baseline: plain coder/websocket handlers with no
// protocol. /raw/echo writes every message back; /raw/hub writes a message
// from any client to every connected client, each connection having a queue
// and a writing goroutine.
type rawServer struct {
	ctx    context.Context // ends at close
	cancel context.CancelFunc
	wg     sync.WaitGroup // handlers in flight

	mu     sync.Mutex
	closed bool
	queues map[chan []byte]struct{}
}

func newRawServer() *rawServer {
	ctx, cancel := context.WithCancel(context.Background())
	return &rawServer{ctx: ctx, cancel: cancel, queues: make(map[chan []byte]struct{})}
}

// enter registers a handler; it fails after close.
func (s *rawServer) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

// close drops every connection and waits for the handlers.
func (s *rawServer) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

func (s *rawServer) accept(w http.ResponseWriter, r *http.Request) *websocket.Conn {
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil
	}
	conn.SetReadLimit(1 << 20)
	return conn
}

// serveEcho writes every message back as it came.
func (s *rawServer) serveEcho(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	conn := s.accept(w, r)
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

// serveHub registers the connection with the hub, broadcasts what it reads
// and writes what the hub queues for it.
func (s *rawServer) serveHub(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	// Registered before the upgrade completes: a client whose dial returned
	// receives every later broadcast.
	q := make(chan []byte, rawQueue)
	s.mu.Lock()
	s.queues[q] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.queues, q)
		s.mu.Unlock()
	}()
	conn := s.accept(w, r)
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
			s.broadcast(msg)
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

// broadcast queues msg for every hub connection, dropping it for a full
// queue.
func (s *rawServer) broadcast(msg []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for q := range s.queues {
		select {
		case q <- msg:
		default:
		}
	}
}
