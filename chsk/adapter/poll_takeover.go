package adapter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// maxPending bounds the bytes a client may send on a taken-over connection
// while its poll waits (HTTP/1.1 pipelining); beyond it the poll ends as if
// the client went away.
const maxPending = 64 << 10

// ErrNoTakeOver is returned, wrapped, by Poll.TakeOver when the poll's
// connection cannot be taken from net/http: the handler keeps waiting.
var ErrNoTakeOver = errors.New("adapter: the poll's connection cannot be taken over")

// TakeOver lets the handler of a parked poll return before the poll is
// answered: the connection is taken from net/http (hijacked) and waits in pl
// without a goroutine until Send or Close answers it, or its client hangs
// up. The answer is the response net/http would have written for it, byte
// for byte but the Date, with the headers the handler's middleware had set.
// Then res serves the client's next requests on the connection (HTTP/1.1
// keep-alive goes on). end runs once, on its own goroutine, when the poll
// ends; Done is closed by then (by Close, before its empty answer is
// written).
//
// It returns an error wrapping ErrNoTakeOver, and nothing changes, when
// CanTakeOver refuses r, or its ResponseWriter cannot be hijacked; ErrAnswered or ErrClosed when the poll
// ended already. On a connection pl cannot watch (a listener wrapping its
// connections without implementing UnbufferedConn) one goroutine per poll
// waits for the client to hang up instead of pl.
//
// Middleware around the handler that wraps the ResponseWriter yet lets
// Hijack through (http.ResponseController unwraps it) does not see the
// answer: it is written to the connection as it is, with the headers the
// middleware had set before the poll parked.
func (p *Poll) TakeOver(r *http.Request, pl *Poller, res *Resumer, end func()) error {
	if err := CanTakeOver(r); err != nil {
		return err
	}
	if pl == nil || res == nil {
		return fmt.Errorf("%w: no poller or resumer", ErrNoTakeOver)
	}
	origin := r.Context().Value(http.ServerContextKey).(*http.Server)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sent {
		return ErrAnswered
	}
	if p.isDone() || !p.stopCtx() {
		return ErrClosed // the client went away: Done is closed, or about to be
	}
	p.stopCtx = func() bool { return true } // let the request's context go
	header := p.w.Header().Clone()
	conn, brw, err := http.NewResponseController(p.w).Hijack()
	if err != nil {
		p.stopCtx = context.AfterFunc(r.Context(), p.finishAfterSend)
		return fmt.Errorf("%w: %w", ErrNoTakeOver, err)
	}
	if pc, ok := conn.(*prefixedConn); ok && len(pc.pending) == 0 {
		conn = pc.Conn // resumed after a pipelined request, all read since
	}
	h := &hijacked{conn: conn, header: header, pl: pl, res: res, origin: origin, end: end}
	if n := brw.Reader.Buffered(); n > 0 { // a pipelined request, already read
		b, _ := brw.Reader.Peek(n)
		h.pending = bytes.Clone(b)
	}
	p.hj, p.w = h, nil
	if err := h.watchLocked(p); err != nil {
		h.startReaderLocked(p)
	}
	return nil
}

// CanTakeOver returns an error wrapping ErrNoTakeOver if the poll of request
// r could not be taken over whatever its ResponseWriter: it is not a
// bodiless HTTP/1.1 request over a plain connection served by an
// *http.Server (TLS, HTTP/2, a request that asked to close its connection
// or came with a body, a test's recorder).
func CanTakeOver(r *http.Request) error {
	switch origin, _ := r.Context().Value(http.ServerContextKey).(*http.Server); {
	case r.ProtoMajor != 1 || r.ProtoMinor < 1 || r.Close:
		return fmt.Errorf("%w: %s, Connection: close=%v", ErrNoTakeOver, r.Proto, r.Close)
	case r.ContentLength != 0 || len(r.TransferEncoding) > 0:
		// An unread body would be taken for the client's next request.
		return fmt.Errorf("%w: the request has a body", ErrNoTakeOver)
	case r.TLS != nil:
		return fmt.Errorf("%w: TLS", ErrNoTakeOver)
	case origin == nil:
		return fmt.Errorf("%w: not served by an http.Server", ErrNoTakeOver)
	}
	return nil
}

// hijacked is the connection of a taken-over poll. Its fields are guarded
// by the poll's mu.
type hijacked struct {
	conn    net.Conn
	header  http.Header // what the handler's middleware had set
	pl      *Poller
	res     *Resumer
	origin  *http.Server
	end     func()
	pending []byte // bytes the client sent after its request

	fd       int32
	watching atomic.Bool     // in pl (cleared by pl without the poll's mu)
	reader   chan readResult // the fallback reader's result, when pl cannot watch conn
}

// readResult is what the fallback reader read before its read ended.
type readResult struct {
	pending []byte
	err     error
}

func (h *hijacked) watchLocked(p *Poll) error {
	// Set first: the poller may fire, and clear it, before watch returns.
	h.watching.Store(true)
	fd, err := h.pl.watch(p, h.conn, p.woke)
	if err != nil {
		h.watching.Store(false)
		return err
	}
	h.fd = fd
	return nil
}

// unparked records that the poller let the poll go; woke runs next. It
// takes no lock: the poller's goroutine must not wait for a poll's write.
func (p *Poll) unparked(*Poller) { p.hj.watching.Store(false) }

// woke runs when the poller saw the client send bytes or hang up.
func (p *Poll) woke() {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.hj
	if p.sent || p.isDone() || h.watching.Load() {
		return // answered meanwhile: the connection is not the poll's any more
	}
	var buf [512]byte
	n, err := readNow(h.conn, buf[:])
	h.pending = append(h.pending, buf[:n]...)
	if err == nil && n == 0 {
		err = errPeerClosed
	}
	if (err == nil || errors.Is(err, errWouldBlock)) && len(h.pending) <= maxPending {
		_ = h.watchLocked(p) // if the poller closed, the poll waits for its answer unwatched
		return
	}
	p.goneLocked()
}

var errPeerClosed = errors.New("adapter: the client closed the connection")

// goneLocked ends a taken-over poll whose client went away.
func (p *Poll) goneLocked() {
	p.hj.stopWatchingLocked(p)
	_ = p.hj.conn.Close()
	p.finish()
	go p.hj.end()
}

// startReaderLocked waits for the client on a goroutine, for a connection
// the poller cannot watch: a read that ends by itself means the client went
// away (or sent more than maxPending).
func (h *hijacked) startReaderLocked(p *Poll) {
	ch := make(chan readResult, 1)
	h.reader = ch
	go func() {
		var pending []byte
		buf := make([]byte, 512)
		var err error
		for err == nil {
			var n int
			n, err = h.conn.Read(buf)
			pending = append(pending, buf[:n]...)
			if len(pending) > maxPending {
				err = errors.New("adapter: too many bytes before the answer")
			}
		}
		ch <- readResult{pending, err} // buffered: never blocks
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.sent && !p.isDone() && h.reader == ch {
			<-ch
			h.reader = nil
			p.goneLocked()
		}
	}()
}

// stopWatchingLocked takes the connection back from the poller or the
// fallback reader. It reports false if the client went away meanwhile.
func (h *hijacked) stopWatchingLocked(p *Poll) bool {
	if h.watching.Load() {
		h.pl.unwatch(p, h.fd)
		h.watching.Store(false)
	}
	if h.reader == nil {
		return true
	}
	ch := h.reader
	h.reader = nil
	_ = h.conn.SetReadDeadline(time.Unix(1, 0))
	var res readResult
	select {
	case res = <-ch:
	case <-time.After(closeWrite): // a wrapper that ignores deadlines (since the Hijack: net/http's needs them)
		return false
	}
	_ = h.conn.SetReadDeadline(time.Time{})
	h.pending = append(h.pending, res.pending...)
	var ne net.Error
	return errors.Is(res.err, os.ErrDeadlineExceeded) || errors.As(res.err, &ne) && ne.Timeout()
}

// answerLocked writes the poll's response, frame or (empty) none, and hands
// the connection on for its next request; or, when it will not be resumed
// (Shutdown, or the handler's middleware asked), says Connection: close
// and closes it, as net/http would. The poll ends.
func (h *hijacked) answerLocked(ctx context.Context, p *Poll, frame []byte, empty bool) error {
	defer func() { go h.end() }() // after Done is closed
	defer p.finish()
	if !h.stopWatchingLocked(p) {
		_ = h.conn.Close()
		return ErrClosed
	}
	var rs *resumeServer
	if !strings.EqualFold(h.header.Get("Connection"), "close") {
		rs = h.res.serverFor(h.origin, h.conn.LocalAddr())
	}
	if rs == nil {
		h.header.Set("Connection", "close")
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = h.conn.SetWriteDeadline(dl)
	}
	if _, err := h.conn.Write(h.response(p.contentType, frame, empty)); err != nil {
		_ = h.conn.Close()
		return err
	}
	_ = h.conn.SetWriteDeadline(time.Time{})
	h.res.resume(rs, h.conn, h.pending)
	return nil
}

// closeTakenOver answers a closed poll with an empty response, as net/http
// does when a handler returns without writing.
func (p *Poll) closeTakenOver() {
	p.mu.Lock()
	defer p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), closeWrite)
	defer cancel()
	_ = p.hj.answerLocked(ctx, p, nil, true)
}

// response is what net/http writes for WriteFrame (or, when empty, for a
// handler that wrote nothing): the status line, the header sorted by key,
// then the Date and, for an empty body, its Content-Length.
func (h *hijacked) response(contentType string, frame []byte, empty bool) []byte {
	hd := h.header
	if hd == nil {
		hd = http.Header{}
	}
	if !empty {
		hd.Set("Content-Type", contentType)
		hd.Set("Content-Length", strconv.Itoa(len(frame)))
	}
	b := bytes.NewBuffer(make([]byte, 0, 256+len(frame)))
	b.WriteString("HTTP/1.1 200 OK\r\n")
	_ = hd.Write(b)
	if _, ok := hd["Date"]; !ok {
		b.WriteString("Date: ")
		b.Write(time.Now().UTC().AppendFormat(nil, http.TimeFormat))
		b.WriteString("\r\n")
	}
	if _, ok := hd["Content-Length"]; !ok && empty {
		b.WriteString("Content-Length: 0\r\n")
	}
	b.WriteString("\r\n")
	b.Write(frame)
	return b.Bytes()
}
