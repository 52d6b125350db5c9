// Package adapter holds gosente's transports: a WebSocket connection and an
// Ajax long-poll, behind the one small Conn interface the server writes to.
//
// The package moves bytes and knows nothing of Sente's semantics: the chsk
// package decides what to send, when, and to whom.
//
// The server side of a WebSocket is this package's own RFC 6455 code (no
// extensions), not github.com/coder/websocket, which the Go client uses: an
// idle coder/websocket connection keeps its bufio reader and writer (8 KiB)
// and the handler goroutine with net/http's request state, about 24 KiB in
// all, where an idle WS here keeps a 256-byte read buffer. BENCHMARKS.md has
// the measurements.
package adapter

import (
	"context"
	"errors"
	"net"
)

// Transport names the kind of connection a client uses.
type Transport uint8

const (
	// WebSocket is a long-lived RFC 6455 connection.
	WebSocket Transport = iota + 1
	// Ajax is Sente's long-polling fallback: GETs that the server holds until
	// it has something to say, and POSTs for client events.
	Ajax
)

// String returns "ws" or "ajax", Sente's names.
func (t Transport) String() string {
	switch t {
	case WebSocket:
		return "ws"
	case Ajax:
		return "ajax"
	}
	return "unknown"
}

// Conn is where the server writes frames for one client.
//
// A WebSocket Conn takes any number of frames. An Ajax Conn is one parked
// long-poll: it takes exactly one frame, which completes the HTTP response;
// after that Send returns ErrAnswered.
type Conn interface {
	// Transport reports the kind of connection.
	Transport() Transport
	// Send writes one packed frame. It returns once the frame is handed to the
	// network, or with an error; ctx bounds the write.
	Send(ctx context.Context, frame []byte) error
	// Done is closed when the connection can take no more frames.
	Done() <-chan struct{}
	// Close ends the connection. It never blocks for long.
	Close() error
}

// UnbufferedConn is implemented by a net.Conn that wraps another and keeps
// no bytes of its own, such as the connections of a listener that counts
// them. Unbuffered returns the wrapped connection; implementing it lets a
// Poller watch that connection's descriptor, so that idle WebSockets over
// the wrapper park like those over a plain *net.TCPConn.
type UnbufferedConn interface {
	net.Conn
	Unbuffered() net.Conn
}

var (
	// ErrAnswered is returned by Send on a long-poll that already has its frame.
	ErrAnswered = errors.New("adapter: long-poll already answered")
	// ErrClosed is returned by Send on a connection that has ended.
	ErrClosed = errors.New("adapter: connection closed")
)
