package adapter

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// IsWebSocketUpgrade reports whether r asks for a WebSocket, by the rule of
// Sente's reference server (http-kit): the Upgrade header, split on commas,
// holds the token "websocket" in any case.
func IsWebSocketUpgrade(r *http.Request) bool {
	return headerHasToken(r.Header, "Upgrade", "websocket")
}

// WSOptions configures AcceptWebSocket. The zero value is usable.
type WSOptions struct {
	// ReadLimit is the largest message the peer may send, in bytes.
	// Zero means 1 MiB. A larger message closes the connection with 1009.
	ReadLimit int64
	// Binary makes Send write binary frames instead of text frames.
	Binary bool
	// WriteTimeout bounds each Send whose context has no deadline. Zero
	// means none.
	WriteTimeout time.Duration
	// MessageTimeout, if positive, bounds how long the rest of a message may
	// take once its first bytes arrived; a client that stalls mid-message
	// is closed with 1008.
	MessageTimeout time.Duration
	// ParkAfter, if positive, makes Read return ErrIdle when no message
	// began for that long, so the caller can hand the socket to a Poller
	// and let its goroutine go.
	ParkAfter time.Duration
}

// ErrIdle is returned by Read when WSOptions.ParkAfter passed with no new
// message. The connection is intact; Read may be called again.
var ErrIdle = errors.New("adapter: websocket idle")

// WS is the server side of one WebSocket (RFC 6455, no extensions).
//
// Read must be called from one goroutine at a time, and until it returns an
// error: the reader is what notices the peer's close and the end of a clean
// close. Send, Close and CloseClean may be called from any goroutine.
//
// A WS holds no write buffer: frames are written straight to the
// connection, and payloads are allocated as they arrive. Its small read
// buffer comes from a pool while it reads, and goes back when the socket
// idles (WSOptions.ParkAfter): then it holds no buffer at all.
type WS struct {
	conn  net.Conn
	op    byte // opcode of Send's frames
	limit int64
	ended atomic.Bool // the connection failed or was closed

	// Reader-owned.
	rd       readBuf
	readCtx  context.Context
	stopRead func() bool

	wmu       sync.Mutex
	closeSent bool
	whdr      [maxHeader]byte

	// Read deadlines: the read context's end wins over the close
	// handshake's, which wins over idle parking's.
	writeTimeout   time.Duration
	messageTimeout time.Duration
	timed          bool // reader-owned: a message's deadline is set

	// Lock order: wmu, then Poller.mu, then pmu, then dmu (a failed write
	// closes the socket with wmu held); none of them is held while wmu is
	// taken. pmu is taken only in this file.
	dmu       sync.Mutex
	cancelled bool          // the read context ended
	closing   bool          // CloseClean set the deadline
	done      chan struct{} // Done's, made by its first call (most sockets have none)
	parkAfter time.Duration

	pmu      sync.Mutex // guards parked and parkedFD
	parked   *Poller    // where the socket waits, if it does
	parkedFD int32
}

// closeWait is how long CloseClean waits for the peer's close frame, and
// closeWrite bounds the write of a close frame.
const (
	closeWait  = 5 * time.Second
	closeWrite = time.Second
)

// AcceptWebSocket completes the upgrade handshake. It performs no origin check
// of its own: the caller applies Sente's origin and CSRF rules first. On
// error it has written a response to w.
//
// The connection is hijacked through http.ResponseController, so w may be
// wrapped by middleware that implements Unwrap.
func AcceptWebSocket(w http.ResponseWriter, r *http.Request, opts WSOptions) (*WS, error) {
	if code, err := verifyUpgrade(w, r); err != nil {
		http.Error(w, err.Error(), code)
		return nil, err
	}
	if !canHijack(w) {
		err := errors.New("adapter: the ResponseWriter cannot be hijacked")
		http.Error(w, http.StatusText(http.StatusNotImplemented), http.StatusNotImplemented)
		return nil, err
	}
	h := w.Header()
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Accept", acceptKey(strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key"))))
	w.WriteHeader(http.StatusSwitchingProtocols)
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		err = fmt.Errorf("adapter: cannot hijack the connection: %w", err)
		http.Error(w, http.StatusText(http.StatusNotImplemented), http.StatusNotImplemented)
		return nil, err
	}
	// The header is written by the server when the connection is hijacked;
	// bytes the client sent right after its request are in brw's reader.
	if err := brw.Writer.Flush(); err != nil {
		conn.Close()
		return nil, err
	}
	ws := &WS{conn: conn, op: opText, limit: opts.ReadLimit,
		parkAfter: opts.ParkAfter, writeTimeout: opts.WriteTimeout, messageTimeout: opts.MessageTimeout}
	if ws.limit <= 0 {
		ws.limit = 1 << 20
	}
	if opts.Binary {
		ws.op = opBinary
	}
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		ws.rd.preload(early)
	}
	return ws, nil
}

// canHijack reports whether w, or a writer it wraps (by Unwrap, as
// http.ResponseController looks), can be hijacked.
func canHijack(w http.ResponseWriter) bool {
	for {
		switch t := w.(type) {
		case http.Hijacker:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return false
		}
	}
}

// verifyUpgrade checks an upgrade request as RFC 6455 §4.2.1 asks, with the
// statuses and messages of github.com/coder/websocket.
func verifyUpgrade(w http.ResponseWriter, r *http.Request) (int, error) {
	if !r.ProtoAtLeast(1, 1) {
		return http.StatusUpgradeRequired, fmt.Errorf("WebSocket protocol violation: handshake request must be at least HTTP/1.1: %q", r.Proto)
	}
	if !headerHasToken(r.Header, "Connection", "Upgrade") {
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, fmt.Errorf("WebSocket protocol violation: Connection header %q does not contain Upgrade", r.Header.Get("Connection"))
	}
	if !headerHasToken(r.Header, "Upgrade", "websocket") {
		w.Header().Set("Connection", "Upgrade")
		w.Header().Set("Upgrade", "websocket")
		return http.StatusUpgradeRequired, fmt.Errorf("WebSocket protocol violation: Upgrade header %q does not contain websocket", r.Header.Get("Upgrade"))
	}
	if r.Method != http.MethodGet {
		return http.StatusMethodNotAllowed, fmt.Errorf("WebSocket protocol violation: handshake request method is not GET but %q", r.Method)
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		w.Header().Set("Sec-WebSocket-Version", "13")
		return http.StatusBadRequest, fmt.Errorf("unsupported WebSocket protocol version (only 13 is supported): %q", r.Header.Get("Sec-WebSocket-Version"))
	}
	keys := r.Header.Values("Sec-WebSocket-Key")
	switch {
	case len(keys) == 0:
		return http.StatusBadRequest, errors.New("WebSocket protocol violation: missing Sec-WebSocket-Key")
	case len(keys) > 1:
		return http.StatusBadRequest, errors.New("WebSocket protocol violation: multiple Sec-WebSocket-Key headers")
	}
	key := strings.TrimSpace(keys[0])
	if v, err := base64.StdEncoding.DecodeString(key); err != nil || len(v) != 16 {
		return http.StatusBadRequest, fmt.Errorf("WebSocket protocol violation: invalid Sec-WebSocket-Key %q, must be a 16 byte base64 encoded string", key)
	}
	return 0, nil
}

// headerHasToken reports whether the comma-separated values of the header
// name hold token, in any case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), token) {
				return true
			}
		}
	}
	return false
}

// acceptKey is RFC 6455's Sec-WebSocket-Accept for a Sec-WebSocket-Key.
func acceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte("258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// Transport returns WebSocket.
func (ws *WS) Transport() Transport { return WebSocket }

// Read returns the next message and whether it came in a binary frame.
// Control frames are handled inside: pings are answered, and a close frame
// is answered and ends the connection with a *CloseError. ctx ends a Read
// that is waiting.
func (ws *WS) Read(ctx context.Context) (data []byte, binary bool, err error) {
	ws.watch(ctx)
	data, binary, err = ws.readMessage()
	if err == ErrIdle && ctx.Err() == nil {
		return nil, false, err
	}
	if err != nil && ws.timed && errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
		err = ws.fail(StatusPolicyViolation, "message not received in time")
	}
	if err != nil {
		ws.Close()
		ws.rd.release()
		if ws.stopRead != nil {
			ws.stopRead()
			ws.stopRead = nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.As(err, new(*CloseError)) {
			err = ctxErr
		}
		return nil, false, err
	}
	return data, binary, nil
}

// watch makes the end of ctx interrupt a blocked read. The registration is
// kept while Read is called with the same ctx, so a Read costs no allocation.
func (ws *WS) watch(ctx context.Context) {
	if ctx == ws.readCtx {
		return
	}
	if ws.stopRead != nil {
		ws.stopRead()
		ws.stopRead = nil
	}
	ws.readCtx = ctx
	ws.dmu.Lock()
	ws.cancelled = false
	ws.dmu.Unlock()
	if ctx.Done() != nil {
		ws.stopRead = context.AfterFunc(ctx, func() {
			ws.dmu.Lock()
			ws.cancelled = true
			_ = ws.conn.SetReadDeadline(time.Unix(1, 0))
			ws.dmu.Unlock()
			ws.wake()
		})
	}
}

// Send writes one message in one frame, of the type WSOptions.Binary chose
// (Write chooses per message). A write that does not finish before ctx ends
// closes the connection.
func (ws *WS) Send(ctx context.Context, frame []byte) error {
	if ws.ended.Load() {
		return ErrClosed
	}
	return ws.write(ctx, ws.op, frame)
}

// MessageType is the kind of a WebSocket data message.
type MessageType byte

const (
	// MessageText is a text message: its bytes must be UTF-8.
	MessageText MessageType = opText
	// MessageBinary is a binary message.
	MessageBinary MessageType = opBinary
)

// Write sends p as one message of type typ, in one frame, whatever
// WSOptions.Binary says. It is safe to call from any goroutine, as Send is;
// concurrent writes go out one after the other, never interleaved. It
// blocks until the frame is handed to the network; a write that does not
// finish before ctx ends (or WSOptions.WriteTimeout, when ctx has no
// deadline) closes the connection. After a close it returns ErrClosed.
// Write does not check that a text message is UTF-8: that is the caller's.
func (ws *WS) Write(ctx context.Context, typ MessageType, p []byte) error {
	if typ != MessageText && typ != MessageBinary {
		return fmt.Errorf("adapter: unknown message type %d", typ)
	}
	if ws.ended.Load() {
		return ErrClosed
	}
	return ws.write(ctx, byte(typ), p)
}

// write sends one frame under the write lock.
func (ws *WS) write(ctx context.Context, op byte, payload []byte) error {
	ws.wmu.Lock()
	defer ws.wmu.Unlock()
	if ws.closeSent {
		return ErrClosed
	}
	deadline, ok := ctx.Deadline()
	if !ok && ws.writeTimeout > 0 {
		deadline = time.Now().Add(ws.writeTimeout)
	}
	if err := ws.conn.SetWriteDeadline(deadline); err != nil {
		ws.Close()
		return err
	}
	if _, ok := ctx.Deadline(); !ok && ctx.Done() != nil {
		conn, fired := ws.conn, make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			_ = conn.SetWriteDeadline(time.Unix(1, 0))
			close(fired)
		})
		defer func() {
			if !stop() {
				<-fired // a late callback must not cut the next write short
			}
		}()
	}
	if err := ws.writeFrameLocked(op, payload); err != nil {
		ws.Close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("adapter: write: %w", ctxErr)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) { // the deadline, seen first by the network
			return fmt.Errorf("adapter: write: %w", context.DeadlineExceeded)
		}
		return err
	}
	return nil
}

// writeFrameLocked writes one unmasked, final frame: header and payload in
// one system call. ws.wmu is held.
func (ws *WS) writeFrameLocked(op byte, payload []byte) error {
	n := putHeader(ws.whdr[:], op, len(payload))
	if len(payload) == 0 {
		_, err := ws.conn.Write(ws.whdr[:n])
		return err
	}
	if len(payload) <= maxCopiedFrame { // one copy is cheaper than writev's second iovec
		bp := frameBufs.Get().(*[]byte)
		b := append(append((*bp)[:0], ws.whdr[:n]...), payload...)
		_, err := ws.conn.Write(b)
		*bp = b
		frameBufs.Put(bp)
		return err
	}
	bufs := net.Buffers{ws.whdr[:n], payload}
	_, err := bufs.WriteTo(ws.conn)
	return err
}

// Frames up to maxCopiedFrame are written from a pooled buffer in one write;
// larger ones with writev, without copying.
const maxCopiedFrame = 16 << 10

var frameBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// Done is closed once the connection failed or was closed.
func (ws *WS) Done() <-chan struct{} {
	ws.dmu.Lock()
	defer ws.dmu.Unlock()
	if ws.done == nil {
		ws.done = make(chan struct{})
		if ws.ended.Load() {
			close(ws.done)
		}
	}
	return ws.done
}

// Close closes the connection at once, without a close handshake: the peer
// sees an abnormal closure (1006). Sente 1.17 clients reconnect only after
// such an unclean close.
func (ws *WS) Close() error {
	ws.markDone()
	ws.wake()
	err := ws.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// CloseClean sends a close frame with status 1000 and reason, and gives the
// peer closeWait to answer, which Read sees; then the connection ends. Sente
// 1.18+ clients reconnect after it; 1.17 clients do not.
func (ws *WS) CloseClean(reason string) error {
	err := ws.sendClose(StatusNormalClosure, reason)
	ws.markDone()
	if err != nil {
		ws.Close()
		return err
	}
	ws.dmu.Lock()
	ws.closing = true
	if !ws.cancelled {
		_ = ws.conn.SetReadDeadline(time.Now().Add(closeWait))
	}
	ws.dmu.Unlock()
	ws.wake() // the reader must run to see the peer's answer
	return nil
}

// sendClose writes a close frame once; later calls do nothing.
func (ws *WS) sendClose(code int, reason string) error {
	ws.wmu.Lock()
	defer ws.wmu.Unlock()
	if ws.closeSent {
		return nil
	}
	ws.closeSent = true
	var p []byte
	if code != StatusNoStatusRcvd {
		if len(reason) > maxControl-2 {
			reason = reason[:maxControl-2]
		}
		p = append([]byte{byte(code >> 8), byte(code)}, reason...)
	}
	_ = ws.conn.SetWriteDeadline(time.Now().Add(closeWrite))
	return ws.writeFrameLocked(opClose, p)
}

// markDone records that the connection ended, and closes Done's channel
// if there is one.
func (ws *WS) markDone() {
	ws.dmu.Lock()
	defer ws.dmu.Unlock()
	if !ws.ended.Swap(true) && ws.done != nil {
		close(ws.done)
	}
}

// stopParking turns idle parking off, for a socket that cannot park. Only
// the goroutine that reads (or is about to start the reader) calls it:
// Poller.Wait runs there.
func (ws *WS) stopParking() { ws.parkAfter = 0 }

// park records that ws waits in p, once register put it there; it refuses
// with ErrClosed a socket that ended or is closing. p.mu is held.
func (ws *WS) park(p *Poller, register func() (int32, error)) error {
	ws.pmu.Lock()
	defer ws.pmu.Unlock()
	ws.dmu.Lock()
	ended := ws.cancelled || ws.closing
	ws.dmu.Unlock()
	if ended || ws.isDone() {
		return ErrClosed // the reader finds out why at its next Read
	}
	fd, err := register()
	if err != nil {
		return err
	}
	ws.parked, ws.parkedFD = p, fd
	return nil
}

// unparked records that ws left p: p is about to start its reader.
func (ws *WS) unparked(p *Poller) {
	ws.pmu.Lock()
	if ws.parked == p {
		ws.parked = nil
	}
	ws.pmu.Unlock()
}

// wake starts the reader of a parked socket.
func (ws *WS) wake() {
	ws.pmu.Lock()
	p, fd := ws.parked, ws.parkedFD
	ws.parked = nil
	ws.pmu.Unlock()
	if p != nil {
		p.unpark(ws, fd)
	}
}

func (ws *WS) isDone() bool { return ws.ended.Load() }

// CloseError is the close frame that ended a WebSocket: sent by the peer,
// or by this side because the peer broke the protocol or a limit.
type CloseError struct {
	Code   int    // the status code, e.g. 1000, or 1005 when the frame had none
	Reason string // the reason text, possibly empty
}

// Error describes the close.
func (e *CloseError) Error() string {
	return fmt.Sprintf("adapter: websocket closed: status %d, reason %q", e.Code, e.Reason)
}

// Close codes of RFC 6455 §7.4.1 that this package uses.
const (
	StatusNormalClosure   = 1000
	StatusProtocolError   = 1002
	StatusNoStatusRcvd    = 1005
	StatusInvalidPayload  = 1007 // a text message that is not UTF-8
	StatusPolicyViolation = 1008
	StatusMessageTooBig   = 1009
)

// CloseStatus reports the WebSocket close code carried by err, or -1.
func CloseStatus(err error) int {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return -1
}
