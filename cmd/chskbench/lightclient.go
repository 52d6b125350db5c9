package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/gosente/gosente/chsk/wire"
)

// lightConn is a load client with the least state that still speaks
// Sente: one coder/websocket connection and one reading goroutine. 20k of
// them fit where 20k full chsk.Clients (four goroutines and a 1024-event
// queue each) would not be cheap.
type lightConn struct {
	ws   *websocket.Conn
	done chan struct{} // closed when the read loop ended
}

// errNoHandshake is a Sente socket whose first frame is not a handshake.
var errNoHandshake = errors.New("the first frame is not a Sente handshake")

// clientSeq numbers the client-ids of this process.
var clientSeq atomic.Uint64

// senteWSURL is the WebSocket URL of a new Sente client of the endpoint.
func senteWSURL(chskURL, token string) string {
	q := url.Values{}
	q.Set("client-id", fmt.Sprintf("chskbench-%d-%d", time.Now().UnixNano(), clientSeq.Add(1)))
	if token != "" {
		q.Set("csrf-token", token)
	}
	sep := "?"
	if u, err := url.Parse(chskURL); err == nil && u.RawQuery != "" {
		sep = "&"
	}
	return wsScheme(chskURL) + sep + q.Encode()
}

// dialLight opens a WebSocket to wsURL. With sente set it waits for the
// Sente handshake and answers the server's keep-alive pings. Every later
// message goes to onFrame, on the connection's reading goroutine.
func dialLight(ctx context.Context, hc *http.Client, wsURL string, sente bool, onFrame func([]byte)) (*lightConn, error) {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(8 << 20)
	if sente {
		_, data, err := ws.Read(ctx)
		if err != nil {
			_ = ws.CloseNow()
			return nil, fmt.Errorf("waiting for the handshake: %w", err)
		}
		env, err := wire.Unpack(data, nil)
		if _, ok := wire.ParseHandshake(env.Payload); err != nil || !ok {
			_ = ws.CloseNow()
			return nil, fmt.Errorf("%w: %.80q", errNoHandshake, data)
		}
	}
	c := &lightConn{ws: ws, done: make(chan struct{})}
	go c.readLoop(sente, onFrame)
	return c, nil
}

func (c *lightConn) readLoop(sente bool, onFrame func([]byte)) {
	defer close(c.done)
	for {
		// coder/websocket closes a socket whose read context ends: the
		// socket ends by close instead.
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			return
		}
		if sente && isSentePing(data) {
			c.pong()
			continue
		}
		if onFrame != nil {
			onFrame(data)
		}
	}
}

// pongFrame answers a server ping as Sente 1.21+ clients do.
var pongFrame, _ = wire.EDN{}.Pack(nil, wire.Event{ID: wire.EvWsPong}, nil)

func (c *lightConn) pong() {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	_ = c.ws.Write(ctx, websocket.MessageText, pongFrame)
}

// isSentePing reports whether a server frame is [:chsk/ws-ping].
func isSentePing(data []byte) bool {
	if len(data) > 64 {
		return false
	}
	env, err := wire.Unpack(data, nil)
	if err != nil {
		return false
	}
	k, ok := env.Payload.(wire.Keyword)
	return ok && k == wire.EvWsPing && !env.HasCB()
}

// write sends one text message.
func (c *lightConn) write(ctx context.Context, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, msg)
}

// close drops the connection and waits for its reader.
func (c *lightConn) close() {
	_ = c.ws.CloseNow()
	<-c.done
}

// closeLight closes connections concurrently.
func closeLight(conns []*lightConn) {
	var wg sync.WaitGroup
	ch := make(chan *lightConn)
	for range min(len(conns), 64) {
		wg.Go(func() {
			for c := range ch {
				c.close()
			}
		})
	}
	for _, c := range conns {
		if c != nil {
			ch <- c
		}
	}
	close(ch)
	wg.Wait()
}

// dialParallel calls dial(i) for i in [0, n) on up to par goroutines and
// returns the first error; after an error no new dial starts. done counts
// the dials that succeeded.
func dialParallel(ctx context.Context, n, par int, done *atomic.Int64, dial func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(n, par) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := dial(ctx, i); err != nil {
					cancel(fmt.Errorf("client %d: %w", i, err))
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}
