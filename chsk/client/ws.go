package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/gosente/gosente/chsk/wire"
)

// wsConn is one WebSocket of a Client.
type wsConn struct {
	c       *Client
	ws      *websocket.Conn
	typ     websocket.MessageType
	broken  context.CancelCauseFunc // ends the connection
	active  atomic.Int64            // counts frames read and written: Sente's "activity"
	blocked atomic.Bool             // the reader waits for room in the push queue

	wmu  sync.Mutex  // one write at a time, so that wdog times the one in flight
	wdog *time.Timer // armed during a write: breaks the connection after writeTimeout
}

// wsURL is the upgrade URL: the endpoint with the user's parameters, then
// client-id and csrf-token (PROTOCOL §6.1). The WebSocket library turns
// http into ws itself, and the cookie jar matches http URLs.
func (c *Client) wsURL() string {
	q := c.query()
	q.add("client-id", c.cfg.ClientID)
	if tok := c.csrfToken(); tok != "" {
		q.add("csrf-token", tok)
	}
	return c.endpoint(q)
}

// runWS connects a WebSocket and serves it until it ends.
func (c *Client) runWS() (res connResult) {
	ctx, cancel := context.WithCancelCause(c.ctx)
	defer cancel(nil)
	if !c.beginConn(cancel, TransportWS) {
		return connResult{err: ErrClosed}
	}
	dctx, dcancel := context.WithTimeout(ctx, handshakeTimeout)
	defer dcancel()
	ws, resp, err := websocket.Dial(dctx, c.wsURL(), &websocket.DialOptions{
		HTTPClient: c.hc,
		HTTPHeader: c.cfg.Header.Clone(),
	})
	if err != nil {
		c.detach(nil, nil)
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return connResult{err: statusError(TransportWS, resp)}
		}
		if ctx.Err() != nil {
			return connResult{err: context.Cause(ctx)}
		}
		return connResult{err: err}
	}
	ws.SetReadLimit(c.cfg.MaxMessageBytes)
	w := &wsConn{c: c, ws: ws, typ: websocket.MessageText, broken: cancel}
	if c.cfg.Packer.Binary() {
		w.typ = websocket.MessageBinary
	}
	// One timer for every write of the connection instead of a context per
	// write: a write still blocked after writeTimeout ends the connection and
	// closes the socket, which makes the write return.
	w.wdog = time.AfterFunc(writeTimeout, func() {
		cancel(errWriteTimeout)
		_ = ws.CloseNow()
	})
	w.wdog.Stop()
	defer w.wdog.Stop()
	var wg sync.WaitGroup
	readDone := make(chan error, 1)
	handshook := make(chan struct{})
	wg.Go(func() { readDone <- w.readLoop(handshook) })
	defer func() {
		c.detach(w, res.err)
		if errors.Is(res.err, ErrClosed) || errors.Is(res.err, errReconnect) {
			// Asked for: close cleanly, as Sente's clients do.
			_ = ws.Close(websocket.StatusNormalClosure, "CLOSE_NORMAL")
		}
		_ = ws.CloseNow()
		wg.Wait()
	}()

	select {
	case <-handshook:
	case err := <-readDone:
		select {
		case <-handshook: // the handshake came, and then the end, before this select ran
			return connResult{opened: true, err: err}
		default:
		}
		return connResult{err: onePrefix(fmt.Errorf("client: WebSocket ended before the handshake: %w", err))}
	case <-dctx.Done():
		if ctx.Err() != nil {
			return connResult{err: context.Cause(ctx)}
		}
		return connResult{err: errNoHandshake}
	}
	openedAt := time.Now()
	err = w.keepAlive(ctx, readDone, &wg)
	return connResult{opened: true, stable: time.Since(openedAt) >= stableAfter, err: err}
}

// statusError describes a refused request from its response.
func statusError(kind Transport, resp *http.Response) *StatusError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return &StatusError{Transport: kind, Status: resp.StatusCode, Body: string(body)}
}

// readLoop reads and handles frames until the socket ends; it closes
// handshook at the first handshake.
func (w *wsConn) readLoop(handshook chan struct{}) error {
	opened := false
	for {
		// The socket ends by CloseNow, not by a context: coder/websocket
		// closes a socket whose read context ends.
		typ, data, err := w.ws.Read(context.Background())
		if err != nil {
			return err
		}
		w.active.Add(1)
		if w.handle(data, typ == websocket.MessageBinary, opened) {
			opened = true
			close(handshook)
		}
	}
}

// handle classifies one server frame as Sente's clients do (PROTOCOL §5.1):
// handshake, ping, callback reply, or push batch. It reports whether the
// frame was the socket's first handshake.
func (w *wsConn) handle(data []byte, binary, opened bool) bool {
	c := w.c
	env, err := c.cfg.Packer.Unpack(data)
	if err != nil {
		c.log.Warn("client: dropped an unreadable frame from the server", slog.Bool("binary", binary), slog.Any("err", err))
		return false
	}
	if hs, ok := wire.ParseHandshake(env.Payload); ok {
		if opened {
			c.rehandshake(w, hs)
			return false
		}
		c.attach(w, hs, TransportWS)
		return true
	}
	if k, ok := env.Payload.(wire.Keyword); ok && k == wire.EvWsPing && !env.HasCB() {
		if c.cfg.ServerVersion == Server121 {
			// Sente 1.21+ servers close sockets that never answer.
			if frame, err := c.cfg.Packer.Pack(nil, wire.Event{ID: wire.EvWsPong}, nil); err == nil {
				_ = w.write(frame)
			}
		}
		return false
	}
	if env.HasCB() {
		if !c.resolve(env.CB, env.Payload) {
			c.log.Debug("client: dropped a reply to an unknown or expired callback", slog.Any("cb", env.CB))
		}
		return false
	}
	evs, err := wire.ParseBatch(env.Payload)
	if err != nil {
		c.log.Warn("client: dropped a server frame that is no push batch", slog.Any("err", err))
		return false
	}
	for _, ev := range evs {
		w.blocked.Store(true)
		err := c.out.event(c.ctx, ev)
		w.blocked.Store(false)
		if err != nil {
			break // Close
		}
	}
	return false
}

// keepAlive pings the server whenever a KeepAlive period passed without
// activity and ends the connection when no answer comes within
// PingTimeout (PROTOCOL §6.4). It returns why the connection ended.
func (w *wsConn) keepAlive(ctx context.Context, readDone <-chan error, wg *sync.WaitGroup) error {
	cfg := &w.c.cfg
	var tickC <-chan time.Time
	if cfg.KeepAlive > 0 {
		tick := time.NewTicker(cfg.KeepAlive)
		defer tick.Stop()
		tickC = tick.C
	}
	var (
		pong     chan any // the answer to the ping in flight
		pongID   string   // its callback id (Server121)
		deadline = time.NewTimer(time.Hour)
		seen     = w.active.Load()
	)
	deadline.Stop()
	defer deadline.Stop()
	stopPing := func() {
		if pongID != "" {
			w.c.removePending(pongID)
		}
		pong, pongID = nil, ""
		deadline.Stop()
	}
	defer stopPing()
	for {
		select {
		case err := <-readDone:
			return onePrefix(fmt.Errorf("client: WebSocket lost: %w", err))
		case <-ctx.Done():
			return context.Cause(ctx)
		case <-tickC:
			now := w.active.Load()
			if now != seen || pong != nil || w.blocked.Load() {
				seen = now
				continue
			}
			pong, pongID = w.ping(ctx, wg)
			deadline.Reset(cfg.PingTimeout)
		case v := <-pong:
			stopPing()
			if s, ok := v.(string); !ok || s != "pong" {
				return fmt.Errorf("%w (answer: %v)", errPingTimeout, v)
			}
			seen = w.active.Load()
		case <-deadline.C:
			if w.blocked.Load() {
				// No pong can be read while the application catches up.
				deadline.Reset(cfg.PingTimeout)
				continue
			}
			return errPingTimeout
		}
	}
}

// ping sends a keep-alive ping and returns the channel its answer arrives
// on. To a 1.21+ server it is [[:chsk/ws-ping] cb], answered "pong". A 1.17
// server does not answer Sente pings, so the client sends [[:chsk/ws-ping]]
// as 1.17 clients do and checks liveness with a WebSocket control ping.
func (w *wsConn) ping(ctx context.Context, wg *sync.WaitGroup) (chan any, string) {
	c := w.c
	ch := make(chan any, 1)
	ev := wire.Event{ID: wire.EvWsPing}
	if c.cfg.ServerVersion == Server117 {
		if frame, err := c.cfg.Packer.Pack(nil, ev, nil); err == nil {
			wg.Go(func() { _ = w.write(frame) }) // as below
		}
		wg.Go(func() {
			if err := w.ws.Ping(ctx); err != nil {
				ch <- err
				return
			}
			ch <- "pong"
		})
		return ch, ""
	}
	id := c.addPending(ch)
	frame, err := c.cfg.Packer.Pack(nil, ev, id)
	if err == nil {
		// On a goroutine: a write stuck behind another must not stop the
		// keep-alive loop from seeing the connection end.
		wg.Go(func() { _ = w.write(frame) }) // a failed write ends the connection
	}
	return ch, id
}

// write sends one frame; a failed write ends the connection.
func (w *wsConn) write(frame []byte) error {
	w.wmu.Lock()
	w.wdog.Reset(writeTimeout)
	err := w.ws.Write(context.Background(), w.typ, frame) // no context per write: see wdog
	w.wdog.Stop()
	w.wmu.Unlock()
	if err != nil {
		if w.c.ctx.Err() != nil {
			return ErrClosed
		}
		err = fmt.Errorf("%w: %w", ErrSendFailed, err)
		w.broken(err)
		return err
	}
	w.active.Add(1)
	return nil
}

func (w *wsConn) send(ctx context.Context, ev wire.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	frame, err := w.c.cfg.Packer.Pack(nil, ev, nil)
	if err != nil {
		return fmt.Errorf("client: send %s: %w", ev.ID, err)
	}
	return w.write(frame)
}

func (w *wsConn) request(ctx context.Context, ev wire.Event) (any, error) {
	if err := ctx.Err(); err != nil {
		return nil, w.c.waitErr(ctx)
	}
	ch := make(chan any, 1)
	id := w.c.addPending(ch)
	defer w.c.removePending(id)
	frame, err := w.c.cfg.Packer.Pack(nil, ev, id)
	if err != nil {
		return nil, fmt.Errorf("client: request %s: %w", ev.ID, err)
	}
	if err := w.write(frame); err != nil {
		return nil, err
	}
	select {
	case v := <-ch:
		return replyValue(v)
	case <-ctx.Done():
		return nil, w.c.waitErr(ctx)
	case <-w.c.ctx.Done():
		return nil, ErrClosed
	}
}
