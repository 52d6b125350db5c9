package adapter

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
)

// Resumer serves the next requests of connections whose poll was taken over
// (Poll.TakeOver) and answered, so that HTTP/1.1 keep-alive goes on as if
// net/http had kept the connection: each goes to a private http.Server made
// like the one that accepted it, with its Handler (the whole application,
// since a browser sends any request on a kept-alive connection), timeouts,
// MaxHeaderBytes, ErrorLog, BaseContext and ConnContext. What it does not
// copy: ConnState (the origin saw the connection hijacked, and hears no
// more of it), SetKeepAlivesEnabled(false) (resumed connections are kept
// alive), and http.Server.Close, which does not reach them. The origin's
// http.Server.Shutdown starts the private server's (its connections are no
// longer resumed, idle ones close) but does not wait for it: Shutdown here
// does, as chsk.Server.Shutdown calls it. A poll taken over while the
// origin's Shutdown was already under way is resumed until then.
type Resumer struct {
	mu      sync.Mutex                     // a leaf
	servers map[*http.Server]*resumeServer // by origin, and by private server; nil for an origin shut down
	closed  bool
	ending  []chan struct{} // closed as each shutdown an origin's Shutdown started ends
}

// resumeServer is a private server and its listener.
type resumeServer struct {
	srv *http.Server
	ln  *connListener

	mu      sync.Mutex // a leaf
	fresh   map[net.Conn]struct{}
	closing bool
}

// track records which connections wait for their first request here: they
// are idle, but http.Server.Shutdown waits 5s before it closes such a
// connection, taking it for one whose client is slow to send its first
// request.
func (rs *resumeServer) track(c net.Conn, st http.ConnState) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	switch {
	case st != http.StateNew:
		delete(rs.fresh, c)
	case rs.closing: // handed over just before shutdown looked
		_ = c.Close()
	default:
		rs.fresh[c] = struct{}{}
	}
}

// shutdown closes the connections still waiting for their first request,
// then shuts the private server down.
func (rs *resumeServer) shutdown(ctx context.Context) error {
	rs.mu.Lock()
	rs.closing = true
	for c := range rs.fresh {
		_ = c.Close()
	}
	rs.mu.Unlock()
	return rs.srv.Shutdown(ctx)
}

// NewResumer returns a Resumer; Shutdown stops it.
func NewResumer() *Resumer {
	return &Resumer{servers: map[*http.Server]*resumeServer{}}
}

// resume serves c's next requests, pending first, like origin would. rs
// is serverFor's answer, nil to close c.
func (r *Resumer) resume(rs *resumeServer, c net.Conn, pending []byte) {
	if len(pending) > 0 {
		c = &prefixedConn{Conn: c, pending: pending}
	}
	if rs == nil || !rs.ln.hand(c) {
		_ = c.Close()
	}
}

// serverFor returns the private server for origin, starting it on first
// use; nil once the Resumer or origin shut down.
func (r *Resumer) serverFor(origin *http.Server, addr net.Addr) *resumeServer {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	if rs, ok := r.servers[origin]; ok {
		return rs
	}
	h := origin.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	srv := &http.Server{
		Handler:                      h,
		DisableGeneralOptionsHandler: origin.DisableGeneralOptionsHandler,
		ReadTimeout:                  origin.ReadTimeout,
		ReadHeaderTimeout:            origin.ReadHeaderTimeout,
		WriteTimeout:                 origin.WriteTimeout,
		IdleTimeout:                  origin.IdleTimeout,
		MaxHeaderBytes:               origin.MaxHeaderBytes,
		ErrorLog:                     origin.ErrorLog,
		BaseContext:                  origin.BaseContext,
		ConnContext:                  origin.ConnContext,
	}
	rs := &resumeServer{srv: srv, fresh: map[net.Conn]struct{}{},
		ln: &connListener{conns: make(chan net.Conn), done: make(chan struct{}), addr: addr}}
	srv.ConnState = rs.track
	r.servers[origin], r.servers[srv] = rs, rs
	go func() { _ = srv.Serve(rs.ln) }()
	origin.RegisterOnShutdown(func() {
		r.mu.Lock()
		if r.servers[srv] == nil { // Shutdown here took it already
			r.mu.Unlock()
			return
		}
		r.servers[origin], r.servers[srv] = nil, nil // polls taken over from either are not resumed
		done := make(chan struct{})
		r.ending = append(r.ending, done)
		r.mu.Unlock()
		defer close(done)
		_ = rs.shutdown(context.Background()) // bounded by the application's requests
	})
	return rs
}

// Shutdown stops serving resumed connections, as http.Server.Shutdown
// does: idle ones are closed at once, busy ones after their request (any
// request of the application), until ctx ends. It also waits for the
// private servers an origin's Shutdown began to stop.
func (r *Resumer) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	var servers []*resumeServer
	for origin, rs := range r.servers {
		if rs != nil && rs.srv != origin {
			servers = append(servers, rs)
		}
		r.servers[origin] = nil
	}
	ending := r.ending
	r.mu.Unlock()
	var errs []error
	for _, rs := range servers {
		errs = append(errs, rs.shutdown(ctx))
	}
	for _, done := range ending { // shutdowns the origins' Shutdown started
		select {
		case <-done:
		case <-ctx.Done():
			return errors.Join(append(errs, ctx.Err())...)
		}
	}
	return errors.Join(errs...)
}

// connListener hands resumed connections to a private server's Serve.
type connListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	addr  net.Addr
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }

// hand gives c to Serve; false once the listener closed.
func (l *connListener) hand(c net.Conn) bool {
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

// prefixedConn is a connection whose client sent bytes before it was
// resumed: they are read first. TakeOver unwraps it once they are read.
type prefixedConn struct {
	net.Conn
	pending []byte
}

func (c *prefixedConn) Read(b []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
