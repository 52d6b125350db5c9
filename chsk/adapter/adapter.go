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
//
// # The WebSocket on its own
//
// AcceptWebSocket gives a WS usable without chsk: Read returns each message
// with its type, Write sends one with the type of the caller's choice (Send
// uses the type fixed by WSOptions.Binary, which is what chsk needs). Read
// runs on one goroutine at a time; Write, Send, Close and CloseClean are
// safe from any goroutine, and writes never interleave. A write blocks until
// its frame is handed to the network, bounded by its context or
// WSOptions.WriteTimeout; a write that times out closes the connection.
// Close ends the connection at once (the peer sees 1006); CloseClean sends
// a close frame and lets the reader see the answer. Limits: WSOptions.
// ReadLimit (1009 beyond it), MessageTimeout (1008 for a client stalled
// mid-message); text messages must be UTF-8, checked as their bytes arrive
// (1007 at the first byte no valid text can continue), close reasons too.
// Parking (WSOptions.ParkAfter, Poller) lets an idle socket give up its
// goroutine on Linux; it is low-level, meant for servers holding many
// sockets, and chsk uses it. Poll.TakeOver does the same for a parked
// long-poll: its HTTP/1.1 connection is hijacked and waits in the Poller,
// and a Resumer serves the connection's next requests once it is answered.
//
// Compression (permessage-deflate, RFC 7692) is not negotiated: a deflate
// context per socket costs tens of KiB (or a shared window and a CPU cost
// per message without context takeover), more than the 4 KiB an idle socket
// costs now, and Sente's frames are small.
//
// # Conformance
//
// TestAutobahn runs Autobahn|Testsuite (../shared/autobahn, every case but
// 12.* and 13.*, permessage-deflate) against echo servers; in CI it must
// report no failed and no non-strict case. One run on 2026-12-05 (go test
// -race, AUTOBAHN_BASELINE=1 adds coder/websocket v1.8.15 as the baseline):
//
//	target                              cases  OK   informational  failed
//	adapter (default options)           301    298  3              0
//	adapter as chsk serves it (parking) 301    298  3              0
//	coder/websocket                     301    222  3              76
//
// coder/websocket's failures are 75 in 6.* (it does not check UTF-8) and
// 7.5.1 (an invalid close reason answered with the wrong code).
//
// # Naming
//
// A function whose name ends in Locked must be called with the lock its
// doc names held by the caller; no other function takes that suffix.
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
