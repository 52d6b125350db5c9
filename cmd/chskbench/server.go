package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/wire"
	"github.com/gosente/gosente/internal/rawws"
)

// The events of the bench protocol. A Clojure Sente server implements the
// same two: echo replies with its data, fanout broadcasts push with its data.
const (
	evEcho   wire.Keyword = "chskbench/echo"
	evFanout wire.Keyword = "chskbench/fanout"
	evPush   wire.Keyword = "chskbench/push"
)

// benchServer is the server of `chskbench serve`: a page with the CSRF
// token, Sente at /chsk, the raw baselines and /debug/mem.
type benchServer struct {
	chsk     *chsk.Server
	raw      *rawws.Server
	sessions *sessionStore
	ln       *countingListener
	http     *http.Server
	served   chan error
}

// startServer listens on addr (a loopback address) and serves until Close.
func startServer(addr string, log *slog.Logger) (*benchServer, error) {
	return startServerWith(addr, log, 0, nil)
}

// startServerWith is startServer with Options.SendBufferWS set to
// sendBufWS (zero: Sente's 30ms window; negative: every push at once) and
// Options.Packer to packer (nil: EDN).
func startServerWith(addr string, log *slog.Logger, sendBufWS time.Duration, packer wire.Packer) (*benchServer, error) {
	if err := checkLoopback(addr); err != nil {
		return nil, err
	}
	b := &benchServer{sessions: newSessionStore(maxSessions), raw: rawws.New(), served: make(chan error, 1)}
	router := chsk.NewRouter()
	srv, err := chsk.New(&chsk.Options{
		Handler:      router,
		UserID:       func(_ *http.Request, clientID string) any { return "u-" + clientID },
		CSRFToken:    b.sessions.csrfToken,
		SendBufferWS: sendBufWS,
		Packer:       packer,
		Logger:       log,
	})
	if err != nil {
		return nil, err
	}
	b.chsk = srv
	router.HandleFunc(evEcho, func(m *chsk.Message) { _ = m.Reply(m.Event.Data) })
	router.HandleFunc(evFanout, func(m *chsk.Message) {
		// Broadcast prints the event once for every client.
		if err := srv.Broadcast(wire.Event{ID: evPush, Data: m.Event.Data}); err != nil {
			log.Warn("chskbench: broadcast", slog.Any("err", err))
		}
		if m.WantsReply() {
			_ = m.Reply(wire.Keyword("chskbench/ok"))
		}
	})

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", b.sessions.servePage)
	mux.Handle("/chsk", srv)
	mux.HandleFunc("GET /raw/echo", b.raw.Echo)
	mux.HandleFunc("GET /raw/hub", b.raw.Hub)
	mux.HandleFunc("GET /debug/mem", b.serveMem)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index) // heap, goroutine… profiles of the server
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = srv.Shutdown(context.Background())
		return nil, err
	}
	b.ln = &countingListener{Listener: ln}
	b.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: connectTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() { b.served <- b.http.Serve(b.ln) }()
	return b, nil
}

// URL returns the server's root URL, without the trailing slash.
func (b *benchServer) URL() string { return "http://" + b.ln.Addr().String() }

// Close stops every part of the server and waits for its goroutines.
func (b *benchServer) Close(ctx context.Context) error {
	err := b.chsk.Shutdown(ctx)
	b.raw.Close()
	err = errors.Join(err, b.http.Shutdown(ctx))
	if errors.Is(err, context.DeadlineExceeded) {
		_ = b.http.Close()
	}
	if serr := <-b.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// checkLoopback refuses listen addresses other than loopback ones: the
// tool loads only this machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("listen address %q is not a loopback address", addr)
	}
	return nil
}

// countingListener counts the TCP connections open now, hijacked ones
// (WebSockets) included.
type countingListener struct {
	net.Listener
	open atomic.Int64
}

// Accept wraps each connection so that its Close is counted.
func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.open.Add(1)
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

// Unbuffered says the wrapper keeps no bytes (adapter.UnbufferedConn):
// gosente parks the readers of quiet WebSockets in an epoll set, which needs
// the descriptor. Without it every socket would keep a goroutine.
func (c *countedConn) Unbuffered() net.Conn { return c.Conn }

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// quietLogger discards everything.
var quietLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
