package client

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosente/gosente/chsk/wire"
)

// Transport is a client transport, the value of Options.Type (Sente's
// :type) and of State.Type.
type Transport uint8

// Client transports.
const (
	// TransportAuto tries a WebSocket first and falls back to Ajax
	// long-polling when the upgrade fails before any WebSocket of the client
	// completed a handshake (any failure: a refused upgrade, a proxy error, a
	// network error), or later when the server answers the upgrade with an
	// HTTP error. The fallback lasts Options.FallbackTTL.
	TransportAuto Transport = iota
	// TransportWS uses WebSockets only.
	TransportWS
	// TransportAjax uses Ajax long-polling only.
	TransportAjax
)

// String returns Sente's names: "auto", "ws" or "ajax".
func (t Transport) String() string {
	switch t {
	case TransportAuto:
		return "auto"
	case TransportWS:
		return "ws"
	case TransportAjax:
		return "ajax"
	}
	return "Transport(" + strconv.Itoa(int(t)) + ")"
}

// ServerVersion is the generation of Sente server a Client talks to. The
// wire cannot tell before the first frame, and the generations differ in
// keep-alive and in small details of the Ajax requests (PROTOCOL §10.9).
type ServerVersion uint8

const (
	// Server121 is a Sente 1.21+ server, or a gosente Server: the client
	// pings with a callback and expects "pong", and answers the server's
	// pings with [:chsk/ws-pong] (such servers close sockets that never
	// answer). Ajax handshakes send handshake?=1 and callbacks :ajax.
	Server121 ServerVersion = iota
	// Server117 is a Sente 1.17 (or 1.18–1.20) server: the client pings
	// without a callback and never answers server pings (a 1.17 server
	// hands a pong to its application as an unknown event); liveness is
	// checked with WebSocket control pings instead, which http-kit answers.
	// Ajax handshakes send handshake?=true, callbacks 0, and POSTs carry
	// the csrf-token field and the user's Params like a 1.17 browser.
	Server117
)

// Errors of Send and Request. They mirror the callback values of Sente's
// client (PROTOCOL §5.3) and are matched with errors.Is.
var (
	// ErrClosed (Sente's :chsk/closed): the client is not open, between
	// connections or after Close.
	ErrClosed = errors.New("client: channel socket not open")
	// ErrTimeout (Sente's :chsk/timeout): no reply before the context's
	// deadline, or the server answered an Ajax request with :chsk/timeout
	// because its handler did not reply in time. When the deadline is the
	// cause, the error also matches context.DeadlineExceeded.
	ErrTimeout = errors.New("client: request timed out")
	// ErrSendFailed (Sente's :chsk/error): the frame could not be sent, or
	// the server answered an Ajax POST with an error status or an unreadable
	// body. A *StatusError in the chain carries the status.
	ErrSendFailed = errors.New("client: send failed")
)

// StatusError is an HTTP answer other than the expected one: a refused
// WebSocket upgrade, or an Ajax request answered with a non-2xx status.
// Sente servers answer 403 for a bad CSRF token or origin, 401 for an
// unauthorized request and 500 for a request without a client-id.
type StatusError struct {
	Transport Transport
	Status    int    // HTTP status code
	Body      string // the start of the response body
}

// Error returns the transport, status and body.
func (e *StatusError) Error() string {
	what := "HTTP"
	if e.Transport != 0 {
		what = e.Transport.String()
	}
	return fmt.Sprintf("client: %s request refused: %d %s: %q", what, e.Status, http.StatusText(e.Status), e.Body)
}

// permanent reports whether retrying cannot help without a change on the
// client's side: a 4xx other than 408 and 429.
func (e *StatusError) permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

var (
	errReconnect    = errors.New("client: reconnect requested")
	errPingTimeout  = errors.New("client: no pong to the keep-alive ping")
	errNoHandshake  = errors.New("client: the server's first frame is not a handshake")
	errWriteTimeout = errors.New("client: a WebSocket write took too long (the server does not read)")
)

// Options configures a Client. Field names follow the options of
// Sente's make-channel-socket-client!; the zero value of every field means
// the default noted on it.
type Options struct {
	// Type is the transport: TransportAuto (the zero value), TransportWS or
	// TransportAjax.
	Type Transport

	// ClientID identifies this client (a browser tab, in Sente's terms) to
	// the server; it stays the same across reconnects. Empty means a random
	// UUID.
	ClientID string

	// CSRFToken is sent as the csrf-token parameter of WebSocket upgrades and
	// as the X-CSRF-Token header of Ajax requests. Bootstrap reads it from a
	// page of the application.
	CSRFToken string

	// TokenSource gets a fresh CSRF token when the server refuses the
	// client's with 403 Forbidden: a server restarted with in-memory sessions
	// or an expired session. The client calls it before its next attempt,
	// with its own HTTP client, whose cookie jar then holds the new session's
	// cookie (so keep session cookies in the jar, not in Header), and
	// retries at once; a second 403 in a row is retried with the back-off.
	// Dial calls it first when CSRFToken is empty. PageToken makes one from
	// a page of the application, as Bootstrap reads it. Nil means the token
	// never changes.
	TokenSource func(ctx context.Context, hc *http.Client) (string, error)

	// Header is added to every request: the session Cookie,
	// Authorization. Without an Origin, the server's own origin is sent
	// (scheme and host of the URL), which a server restricted to
	// chsk.SameOrigin accepts; set one to send another. Cookies are better kept in
	// HTTPClient's Jar when the server may set new ones.
	Header http.Header

	// HTTPClient makes every request, WebSocket upgrades included; its Jar
	// keeps the session cookies. Its Timeout, if set, must exceed the
	// server's long-poll timeout (20s by default). It should not use HTTP/2
	// for WebSocket URLs. Nil means a client of the Client's own, with a
	// fresh cookie jar, closed by Close.
	HTTPClient *http.Client

	// Params are added to the query of every WebSocket upgrade and Ajax GET
	// (Sente's :params).
	Params url.Values

	// Packer encodes and decodes frames; it must match the server's. Nil
	// means EDN written as unprefixed [payload cb] frames, which servers
	// from 1.17 on read; &wire.EDN{Format: wire.Format116} writes the "+"
	// and "-" forms that servers up to 1.16 need. Frames of every format
	// are read whatever the packer writes.
	Packer wire.Packer

	// ServerVersion is the server's generation; zero means Server121.
	ServerVersion ServerVersion

	// KeepAlive is how long a WebSocket may stay quiet (nothing sent or
	// received) before the client pings. Zero means 10s for Server121 and
	// 20s for Server117, as Sente's clients; negative disables pings.
	KeepAlive time.Duration

	// PingTimeout is how long the client waits for the answer to its ping
	// before it drops the socket and reconnects. Zero means 5s.
	PingTimeout time.Duration

	// Backoff returns the delay before the attempt-th consecutive
	// reconnection attempt (attempt ≥ 1). Nil means Sente's: attempt 1 at
	// once, then attempt n after 2^n to 2^(n+1) half-seconds, chosen at
	// random, capped by MaxBackoff.
	Backoff func(attempt int) time.Duration

	// MaxBackoff caps the default Backoff; delays that would exceed it are
	// chosen at random between MaxBackoff/2 and MaxBackoff. Zero means 60s.
	MaxBackoff time.Duration

	// FallbackTTL is how long a TransportAuto client that fell back to Ajax
	// stays there: its first reconnection after that tries a WebSocket
	// again. Zero means 10 minutes; negative means for good, as Sente.
	FallbackTTL time.Duration

	// OnEvent receives the server's pushes, one event at a time, in the
	// order the server sent them. It runs on a goroutine of the client,
	// together with OnState, so it must not call Close (go c.Close() is
	// fine); it may call Send and Request. Nil discards pushes.
	//
	// Pushes wait in a queue of EventBuffer events while OnEvent is busy.
	// When the queue is full the client stops reading from the server until
	// there is room again, so no push is ever dropped: a slow OnEvent slows
	// the connection down (and the server may eventually give up on it, as
	// on any slow reader), and while it does, replies to Request wait too.
	// Close delivers the events already queued before it returns.
	OnEvent func(ev wire.Event)

	// OnState is told about every change of the client's state, in order
	// with the events: a handshake's state change comes before the pushes
	// that follow it. It runs on the same goroutine as OnEvent. Nil means no
	// notifications; State returns the current state at any time.
	OnState func(old, new State)

	// EventBuffer is the length of the push queue of OnEvent. Zero means
	// 1024.
	EventBuffer int

	// MaxMessageBytes bounds one WebSocket message and one Ajax response
	// body from the server. Zero means 8 MiB.
	MaxMessageBytes int64

	// Logger receives the client's logs. Nil means slog.Default().
	Logger *slog.Logger
}

// Timers of the client that are not options.
const (
	handshakeTimeout = 20 * time.Second // connect plus first frame
	pollTimeout      = 60 * time.Second // Sente's Ajax request timeout
	stableAfter      = time.Second      // an open connection this old resets the back-off
)

// writeTimeout bounds one WebSocket write (a variable for the tests).
var writeTimeout = 10 * time.Second

// State is the state of a Client (Sente's chsk state map).
type State struct {
	// Open is true while a connection is open: after the server's
	// handshake, until the connection ends.
	Open bool
	// Type is the transport of the current connection, or of the one being
	// attempted.
	Type Transport
	// UID is the user id the server sent in its last handshake. The nil-uid
	// keyword of either server generation (:taoensso.sente/nil-uid,
	// :sente/nil-uid) is reported as nil.
	UID any
	// HandshakeData is the data of the last handshake (Sente's
	// :handshake-data).
	HandshakeData any
	// FirstOpen is true in the state made by the client's first handshake
	// only; the next change makes it false. An OnState whose new state has
	// Open and FirstOpen is Sente's "ready" signal.
	FirstOpen bool
	// EverOpened is true once any connection has opened.
	EverOpened bool
	// LastError is why the last connection ended or the last attempt
	// failed; ErrClosed after Close.
	LastError error
	// NextReconnect is when the next attempt is due, while waiting for it.
	NextReconnect time.Time
}

// Client is a Sente client: it connects to a Sente server (a gosente Server
// or a Clojure one), keeps the connection alive, reconnects with back-off,
// and sends events with or without a reply.
//
// All methods are safe for concurrent use. A Client runs goroutines until
// Close.
type Client struct {
	cfg     Options // with defaults applied
	log     *slog.Logger
	hc      *http.Client
	ownHC   bool
	httpURL *url.URL // the channel-socket endpoint, http or https
	out     *dispatcher

	ctx    context.Context // ends at Close
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // the connection loop

	opened  chan struct{} // closed at the first handshake
	dialErr chan error    // an error that makes Dial give up

	token atomic.Pointer[tokens] // the CSRF token in use; set by the connection loop between connections

	mu         sync.Mutex
	state      State
	conn       clientConn              // the open connection, nil when not open
	connCancel context.CancelCauseFunc // ends the current connection or attempt
	pending    map[string]chan<- any   // WebSocket callbacks by id
	kick       chan struct{}           // Reconnect's wake-up call, buffered
	closing    bool
	closeOnce  sync.Once
}

// clientConn is one open connection, over either transport.
type clientConn interface {
	send(ctx context.Context, ev wire.Event) error
	request(ctx context.Context, ev wire.Event) (any, error)
}

// Dial connects to the Sente channel-socket endpoint rawURL, such as
// http://host/chsk (https, ws and wss URLs work too; each transport uses
// the scheme it needs), and returns once the server's handshake arrived.
//
// ctx bounds only this first connection. While it lasts Dial retries
// failed attempts with the client's back-off, except a refusal that
// retrying cannot cure (an HTTP 4xx such as 403 for a bad CSRF token), which
// it returns at once as a *StatusError. After Dial the client lives until
// Close, reconnecting whenever the connection is lost.
func Dial(ctx context.Context, rawURL string, opts *Options) (*Client, error) {
	c, err := newClient(rawURL, opts)
	if err != nil {
		return nil, err
	}
	c.wg.Add(1)
	go c.run()
	select {
	case <-c.opened:
		return c, nil
	case err = <-c.dialErr:
	case <-ctx.Done():
		err = ctx.Err()
		if last := c.State().LastError; last != nil {
			err = fmt.Errorf("%w (last attempt: %w)", err, last)
		}
	}
	_ = c.Close()
	return nil, onePrefix(fmt.Errorf("client: dial %s: %w", c.httpURL.Redacted(), err))
}

func newClient(rawURL string, opts *Options) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("client: dial: %w", err)
	}
	switch u.Scheme {
	case "http", "https":
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return nil, fmt.Errorf("client: dial %q: the URL must be http, https, ws or wss", rawURL)
	}
	u.Fragment = ""
	c := &Client{
		httpURL: u,
		opened:  make(chan struct{}),
		dialErr: make(chan error, 1),
		pending: make(map[string]chan<- any),
		kick:    make(chan struct{}, 1),
	}
	if opts != nil {
		c.cfg = *opts
	}
	cfg := &c.cfg
	switch cfg.Type {
	case TransportAuto, TransportWS, TransportAjax:
	default:
		return nil, fmt.Errorf("client: dial: unknown transport %d", cfg.Type)
	}
	if cfg.ServerVersion > Server117 {
		return nil, fmt.Errorf("client: dial: unknown server version %d", cfg.ServerVersion)
	}
	if cfg.ClientID == "" {
		cfg.ClientID = newUUID()
	}
	if cfg.Header.Get("Origin") == "" {
		// The server's own origin: the client carries the session's token,
		// so its requests are not cross-site, and a server that checks
		// origins (Options.AllowedOrigins) accepts them.
		cfg.Header = cfg.Header.Clone()
		if cfg.Header == nil {
			cfg.Header = make(http.Header)
		}
		cfg.Header.Set("Origin", c.httpURL.Scheme+"://"+c.httpURL.Host)
	}
	if cfg.Packer == nil {
		cfg.Packer = &wire.EDN{}
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 10 * time.Second
		if cfg.ServerVersion == Server117 {
			cfg.KeepAlive = 20 * time.Second
		}
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = 5 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 60 * time.Second
	}
	if cfg.Backoff == nil {
		cfg.Backoff = SenteBackoff(cfg.MaxBackoff)
	}
	if cfg.FallbackTTL == 0 {
		cfg.FallbackTTL = 10 * time.Minute
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 1024
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 8 << 20
	}
	c.log = cfg.Logger
	if c.log == nil {
		c.log = slog.Default()
	}
	c.hc = cfg.HTTPClient
	if c.hc == nil {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return nil, err
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ForceAttemptHTTP2 = false // WebSocket upgrades need HTTP/1.1
		c.hc = &http.Client{Jar: jar, Transport: tr}
		c.ownHC = true
	}
	c.token.Store(&tokens{cur: cfg.CSRFToken})
	c.out = newDispatcher(cfg.OnEvent, cfg.OnState, cfg.EventBuffer, c.log)
	c.ctx, c.cancel = context.WithCancelCause(context.Background())
	c.state.Type = cfg.Type
	if cfg.Type == TransportAuto {
		c.state.Type = TransportWS
	}
	return c, nil
}

// SenteBackoff returns Sente's reconnection back-off (Encore's exp-backoff
// as Sente 1.18+ uses it): no delay before the first attempt, then for
// attempt n a random delay in [2^n, 2^(n+1)) half-seconds. Delays beyond
// limit are drawn from [limit/2, limit) instead, so that clients stay spread
// out; limit ≤ 0 means no cap, as Sente.
func SenteBackoff(limit time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		if attempt <= 1 {
			return 0
		}
		n := min(attempt, 36)
		base := int64(1) << n
		ms := (base + mrand.Int64N(base)) * 500 // < 2^47: no overflow
		if limit > 0 && ms > limit.Milliseconds() {
			half := int64(limit / 2)
			return time.Duration(half + mrand.Int64N(int64(limit)-half))
		}
		if ms > int64(math.MaxInt64/time.Millisecond) {
			return math.MaxInt64
		}
		return time.Duration(ms) * time.Millisecond
	}
}

// State returns the client's current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// ClientID returns the client-id the client sends to the server.
func (c *Client) ClientID() string { return c.cfg.ClientID }

// Send sends ev to the server without asking for a reply (Sente's
// send-fn without a callback). Over WebSocket it returns once the frame is
// written; over Ajax once the server acknowledged the POST. It fails with
// ErrClosed when the client is not open: events are never queued for a
// later connection.
func (c *Client) Send(ctx context.Context, ev wire.Event) error {
	if _, err := wire.ParseEvent(ev); err != nil {
		return fmt.Errorf("client: send %s: %w", ev.ID, err)
	}
	conn, err := c.current()
	if err != nil {
		return err
	}
	return conn.send(ctx, ev)
}

// Request sends ev to the server and returns the value the server's handler
// replied with (Sente's send-fn with a callback). ctx's deadline plays the
// part of Sente's callback timeout; without one Request waits until the
// reply, ctx's end, or Close. It fails with ErrTimeout, ErrClosed or
// ErrSendFailed (see each), or with ctx's error when ctx is canceled.
//
// The reply is a value of package wire (a string, int64, wire.Vector,
// *wire.Map…); wire.Decode converts it to Go types.
func (c *Client) Request(ctx context.Context, ev wire.Event) (any, error) {
	if _, err := wire.ParseEvent(ev); err != nil {
		return nil, fmt.Errorf("client: request %s: %w", ev.ID, err)
	}
	conn, err := c.current()
	if err != nil {
		return nil, err
	}
	return conn.request(ctx, ev)
}

// Reconnect drops the current connection (cleanly) and connects again at
// once, with a fresh back-off (Sente's chsk-reconnect!): the way to make the
// server see a new session, such as after a login. The new handshake
// updates State.UID. Reconnect returns without waiting.
func (c *Client) Reconnect() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return
	}
	if c.connCancel != nil {
		c.connCancel(errReconnect)
	}
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Close closes the connection (a WebSocket with a clean close) and stops
// the client for good: no reconnection follows. It returns after OnEvent has
// received the events queued before and OnState the final change, and every
// goroutine of the client has ended. Requests waiting for a reply fail with
// ErrClosed. Close is idempotent; it must not be called from OnEvent or
// OnState.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closing = true
		c.mu.Unlock()
		c.cancel(ErrClosed)
		c.wg.Wait()
		c.mu.Lock()
		c.setState(func(s *State) {
			s.Open = false
			s.LastError = ErrClosed
			s.NextReconnect = time.Time{}
		})
		c.mu.Unlock()
		c.out.close()
		if c.ownHC {
			c.hc.CloseIdleConnections()
		}
	})
	return nil
}

// current returns the open connection, or ErrClosed.
func (c *Client) current() (clientConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil, ErrClosed
	}
	return c.conn, nil
}

// setState applies f to the state and notifies OnState. FirstOpen lasts one
// state only. The caller holds c.mu.
func (c *Client) setState(f func(*State)) {
	old := c.state
	next := old
	next.FirstOpen = false
	f(&next)
	c.state = next
	c.out.state(old, next)
}

// beginConn records how to end the connection being attempted; it reports
// false once Close began.
func (c *Client) beginConn(cancel context.CancelCauseFunc, kind Transport) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return false
	}
	c.connCancel = cancel
	if c.state.Type != kind {
		c.setState(func(s *State) { s.Type = kind })
	}
	return true
}

// attach makes conn the open connection after its handshake hs.
func (c *Client) attach(conn clientConn, hs wire.Handshake, kind Transport) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = conn
	first := !c.state.EverOpened
	c.setState(func(s *State) {
		s.Open = true
		s.Type = kind
		s.UID = uidOf(hs.UID)
		s.HandshakeData = hs.Data
		s.FirstOpen = first
		s.EverOpened = true
		s.LastError = nil
		s.NextReconnect = time.Time{}
	})
	if first {
		close(c.opened)
	}
}

// rehandshake applies a handshake that arrived on an open connection (an
// Ajax server that forgot the client answers its poll with one).
func (c *Client) rehandshake(conn clientConn, hs wire.Handshake) {
	c.mu.Lock()
	defer c.mu.Unlock()
	uid := uidOf(hs.UID)
	if c.conn != conn || (wire.Equal(uid, c.state.UID) && wire.Equal(hs.Data, c.state.HandshakeData)) {
		return
	}
	c.setState(func(s *State) {
		s.UID = uid
		s.HandshakeData = hs.Data
	})
}

// detach ends conn's time as the open connection, for the reason err.
func (c *Client) detach(conn clientConn, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connCancel = nil
	if c.conn != conn || conn == nil {
		return
	}
	c.conn = nil
	err = c.redact(err)
	c.setState(func(s *State) {
		s.Open = false
		s.LastError = err
	})
}

// uidOf maps the nil-uid keywords of both server generations to nil.
func uidOf(uid any) any {
	if k, ok := uid.(wire.Keyword); ok && (k == wire.NilUID || k == wire.NilUID117) {
		return nil
	}
	return uid
}

// addPending registers a WebSocket callback and returns its id: 6 hex
// digits, as Sente's.
func (c *Client) addPending(ch chan<- any) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		id := newUUID()[:6]
		if _, taken := c.pending[id]; !taken {
			c.pending[id] = ch
			return id
		}
	}
}

func (c *Client) removePending(id string) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// resolve hands a reply to the callback cb; it reports false for an unknown
// callback id.
func (c *Client) resolve(cb, v any) bool {
	id, ok := cb.(string)
	if !ok {
		return false
	}
	c.mu.Lock()
	ch, ok := c.pending[id]
	delete(c.pending, id)
	c.mu.Unlock()
	if ok {
		ch <- v // buffered, and the id was removed: one value at most
	}
	return ok
}

// replyValue turns a reply payload into Request's result.
func replyValue(v any) (any, error) {
	if k, ok := v.(wire.Keyword); ok && k == wire.KwTimeout {
		return nil, ErrTimeout
	}
	return v, nil
}

// waitErr is Request's error when it stops waiting because ctx or the client
// ended.
func (c *Client) waitErr(ctx context.Context) error {
	if c.ctx.Err() != nil {
		return ErrClosed
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, ctx.Err())
	}
	return ctx.Err()
}

// newUUID returns a random (version 4) UUID string.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return wire.UUID(b).String()
}

// udt is the cache-busting client clock Sente's Ajax requests carry.
func udt() string { return strconv.FormatInt(time.Now().UnixMilli(), 10) }
