package chsk

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"time"

	"github.com/gosente/gosente/chsk/wire"
)

// Options configures a Server. Field names follow Sente's server options
// (make-channel-socket-server!); the zero value of every field means Sente's
// default, noted on the field.
type Options struct {
	// Handler receives every event: client events, and the server's own
	// :chsk/uidport-open, :chsk/uidport-close, :chsk/ws-ping, :chsk/ws-pong,
	// :chsk/bad-event and :chsk/bad-package. A Router is a Handler.
	//
	// Events of one WebSocket arrive in order, one at a time, on that
	// connection's goroutine; different connections run the handler
	// concurrently. A handler that blocks holds up its own connection only.
	Handler Handler

	// UserID computes the uid of a request (Sente's :user-id-fn). clientID is
	// the client's client-id. A nil result means "no user" and becomes NilUID.
	// The uid must be a value the wire package prints (string, Keyword, int64…).
	// Nil means UIDFromContext: the uid that middleware stored with WithUID.
	UserID func(r *http.Request, clientID string) any

	// CSRFToken returns the request's expected CSRF token (Sente's
	// :csrf-token-fn). The client must present the same token as the
	// csrf-token parameter, or an X-CSRF-Token or X-XSRF-Token header.
	// Returning "" rejects the request (403 Bad CSRF token); returning
	// SkipCSRFCheck accepts it without a token.
	// Nil means CSRFTokenFromContext: the token middleware stored with WithCSRFToken.
	CSRFToken func(r *http.Request) string

	// AllowedOrigins lists the origins (scheme://host[:port], matched exactly)
	// allowed to open a socket, poll or post (Sente's :allowed-origins). The
	// value SameOrigin allows the origin of the request's own Host. A request
	// without an Origin header is judged by its Referer; one with neither is
	// refused. Nil allows every origin (Sente's :all), which is safe only
	// while the CSRF check is on.
	AllowedOrigins []string

	// Reject runs before every other check on every request (Sente's
	// :reject-fn). Returning a non-nil *Rejection refuses the request with it.
	Reject func(r *http.Request) *Rejection

	// OnReject is told about every refused request, with the reason, after the
	// response was written. Nil logs it at Info level.
	OnReject func(r *http.Request, rej *Rejection)

	// OnUIDChange is told whenever a uid gains its first or loses its last
	// client of a transport (Sente's watchable connected-uids). It runs
	// synchronously: do not block in it. Server.Connected gives a snapshot.
	OnUIDChange func(UIDChange)

	// HandshakeData returns the value sent to the client in its handshake
	// (Sente's :handshake-data-fn). Nil sends nil.
	HandshakeData func(r *http.Request) any

	// KeepAlive is how long a WebSocket may stay quiet before the server sends
	// it [:chsk/ws-ping] (Sente's :ws-kalive-ms as 1.17 uses it). Zero means
	// 25s; negative disables server pings.
	KeepAlive time.Duration

	// PingTimeout is how long the server waits for any message after a ping
	// before it closes the socket (Sente 1.21+'s :ws-ping-timeout-ms). It
	// applies only to clients that have answered a ping with [:chsk/ws-pong]
	// (Sente 1.19+), because 1.17 clients never answer and do not reconnect
	// after a clean close. Zero means 10s; negative disables it.
	PingTimeout time.Duration

	// MessageTimeout is how long a client may take to send the rest of a
	// WebSocket message once its first bytes arrived (a client that stalls
	// mid-frame is closed with 1008). Zero means 30s; negative means no
	// limit.
	MessageTimeout time.Duration

	// ParkAfter is how long a WebSocket may go without a message, or an
	// Ajax long-poll without an answer, before its goroutine is let go and
	// the connection waits in the server's epoll set (Linux; elsewhere every
	// socket and poll keeps a goroutine). A new socket waits there from its
	// handshake on: its reader starts with its first message. An idle socket
	// or parked poll costs a few KiB of heap and no stack. Zero means 1s;
	// negative keeps a goroutine each. Parking needs the connection to be a plain
	// *net.TCPConn, or a wrapper implementing adapter.UnbufferedConn: with
	// TLS terminated by the Go server, or a listener whose connections wrap
	// the socket otherwise, sockets keep their goroutines (logged once).
	//
	// A poll parks by taking its HTTP/1.1 connection from net/http
	// (adapter.Poll.TakeOver): its answer is the response net/http would
	// have written, and the connection then goes on serving the client's
	// next requests, for the whole application, from a private http.Server
	// configured like the one that accepted it (adapter.Resumer says what
	// carries over). Polls over HTTP/2 or TLS, and requests that asked to
	// close their connection, keep their goroutines; over a wrapped
	// connection a parked poll keeps one goroutine, waiting for its client
	// to hang up. Middleware that wraps the ResponseWriter yet lets Hijack
	// through does not see a parked poll's answer.
	ParkAfter time.Duration

	// LongPollTimeout ends a parked Ajax poll with :chsk/timeout, and answers
	// an Ajax POST whose handler did not reply in time with :chsk/timeout
	// (Sente's :lp-timeout-ms). Zero means 20s. Sente clients give up after
	// 60s, so keep it below that.
	LongPollTimeout time.Duration

	// SendBufferWS and SendBufferAjax are the batching windows: events pushed
	// to a client within this time of the first travel in one frame (Sente's
	// :send-buf-ms-ws and :send-buf-ms-ajax). Zero means 30ms and 100ms;
	// negative sends every event at once.
	SendBufferWS, SendBufferAjax time.Duration

	// CloseGraceWS and CloseGraceAjax are how long a client may be without a
	// connection before it counts as gone (Sente's
	// :ms-allow-reconnect-before-close-ws and -ajax). Pushes to it wait for it
	// meanwhile. Zero means 5s for both, as in Sente 1.17.
	CloseGraceWS, CloseGraceAjax time.Duration

	// Packer encodes and decodes frames. Nil means EDN, written as
	// unprefixed [payload cb] frames that every Sente client since 1.17 reads.
	Packer wire.Packer

	// BadPackage chooses what the handler sees for a frame it cannot read.
	// The zero value delivers [:chsk/bad-package "<text>"] without a reply
	// function.
	BadPackage wire.BadPackageMode

	// NilUID is the uid of requests whose UserID is nil. Zero means
	// :taoensso.sente/nil-uid, as Sente 1.17; Sente 1.18+ uses :sente/nil-uid.
	NilUID wire.Keyword

	// MaxMessageBytes bounds one WebSocket message and one Ajax POST body.
	// Zero means 1 MiB.
	MaxMessageBytes int64

	// ReadLimits bounds the EDN reader (nesting depth, number digits,
	// collection sizes) of the default packer; a Packer given above brings
	// its own. Zero fields mean the wire package's defaults.
	ReadLimits wire.ReadOptions

	// MaxQueue is how many frames and pushed events may wait for one client.
	// A client that falls further behind is disconnected. Zero means 1024.
	MaxQueue int

	// WriteTimeout bounds one write to a client. A client that does not read
	// is disconnected after it. Zero means 10s.
	WriteTimeout time.Duration

	// MaxClientsPerUID bounds how many clients (tabs) one uid may have
	// connected at once; further ones are refused with 429. Zero means no limit.
	MaxClientsPerUID int

	// Broker carries pushes to the clients of every server node. Nil means
	// this process only.
	Broker Broker

	// Presence shares which uids are connected with the other nodes of a
	// cluster (see Server.ConnectedAll). Nil means this process only.
	Presence Presence

	// NodeID names this server in Presence updates. Zero means a random id.
	NodeID string

	// Logger receives the server's logs. Nil means slog.Default(). Tokens and
	// cookies are never logged.
	Logger *slog.Logger
}

// config is Options with every default applied.
type config struct {
	Options
}

func newConfig(o *Options) config {
	var c config
	if o != nil {
		c.Options = *o
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.KeepAlive, 25*time.Second)
	def(&c.PingTimeout, 10*time.Second)
	def(&c.LongPollTimeout, 20*time.Second)
	def(&c.SendBufferWS, 30*time.Millisecond)
	def(&c.SendBufferAjax, 100*time.Millisecond)
	def(&c.CloseGraceWS, 5*time.Second)
	def(&c.CloseGraceAjax, 5*time.Second)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.ParkAfter, time.Second)
	def(&c.MessageTimeout, 30*time.Second)
	if c.Handler == nil {
		c.Handler = HandlerFunc(func(*Message) {})
	}
	if c.UserID == nil {
		c.UserID = func(r *http.Request, _ string) any { return UIDFromContext(r.Context()) }
	}
	if c.CSRFToken == nil {
		c.CSRFToken = func(r *http.Request) string { return CSRFTokenFromContext(r.Context()) }
	}
	if c.Packer == nil {
		c.Packer = &wire.EDN{Limits: c.ReadLimits}
	}
	if c.NilUID == "" {
		c.NilUID = wire.NilUID117
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 1 << 20
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = 1024
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.NodeID == "" {
		c.NodeID = rand.Text()
	}
	return c
}
