package adapter

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/coder/websocket"
)

// IsWebSocketUpgrade reports whether r asks for a WebSocket, by the rule of
// Sente's reference server (http-kit): the Upgrade header, split on commas,
// holds the token "websocket" in any case.
func IsWebSocketUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "websocket") {
				return true
			}
		}
	}
	return false
}

// WSOptions configures AcceptWebSocket. The zero value is usable.
type WSOptions struct {
	// ReadLimit is the largest message the peer may send, in bytes.
	// Zero means 1 MiB. A larger message closes the connection with 1009.
	ReadLimit int64
	// Binary makes Send write binary frames instead of text frames.
	Binary bool
}

// WS is the server side of one WebSocket. Read must be called from one
// goroutine at a time; Send and Close may be called from any goroutine.
type WS struct {
	c      *websocket.Conn
	typ    websocket.MessageType
	done   chan struct{}
	closed sync.Once
}

// AcceptWebSocket completes the upgrade handshake. It performs no origin check
// of its own: the caller applies Sente's origin and CSRF rules first.
func AcceptWebSocket(w http.ResponseWriter, r *http.Request, opts WSOptions) (*WS, error) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return nil, err
	}
	limit := opts.ReadLimit
	if limit <= 0 {
		limit = 1 << 20
	}
	c.SetReadLimit(limit)
	typ := websocket.MessageText
	if opts.Binary {
		typ = websocket.MessageBinary
	}
	return &WS{c: c, typ: typ, done: make(chan struct{})}, nil
}

// Transport returns WebSocket.
func (ws *WS) Transport() Transport { return WebSocket }

// Read returns the next message and whether it came in a binary frame.
// Control frames are handled inside (pings are answered).
func (ws *WS) Read(ctx context.Context) (data []byte, binary bool, err error) {
	typ, data, err := ws.c.Read(ctx)
	if err != nil {
		ws.markDone()
		return nil, false, err
	}
	return data, typ == websocket.MessageBinary, nil
}

// Send writes one frame. A write that does not finish before ctx ends closes
// the connection.
func (ws *WS) Send(ctx context.Context, frame []byte) error {
	select {
	case <-ws.done:
		return ErrClosed
	default:
	}
	if err := ws.c.Write(ctx, ws.typ, frame); err != nil {
		ws.markDone()
		return err
	}
	return nil
}

// Done is closed once the connection failed or was closed.
func (ws *WS) Done() <-chan struct{} { return ws.done }

// Close closes the connection at once, without a close handshake: the peer
// sees an abnormal closure (1006). Sente 1.17 clients reconnect only after
// such an unclean close.
func (ws *WS) Close() error {
	ws.markDone()
	return ws.c.CloseNow()
}

// CloseClean sends a close frame with status 1000 and waits briefly for the
// peer's answer. Sente 1.18+ clients reconnect after it; 1.17 clients do not.
func (ws *WS) CloseClean(reason string) error {
	ws.markDone()
	err := ws.c.Close(websocket.StatusNormalClosure, reason)
	if errors.Is(err, context.DeadlineExceeded) {
		return ws.c.CloseNow()
	}
	return err
}

func (ws *WS) markDone() { ws.closed.Do(func() { close(ws.done) }) }

// CloseStatus reports the WebSocket close code carried by err, or -1.
func CloseStatus(err error) int { return int(websocket.CloseStatus(err)) }
