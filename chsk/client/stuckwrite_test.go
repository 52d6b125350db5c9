package client

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// A server that stops reading: the client's writes fill the TCP buffers and
// block. The write watchdog breaks the connection after writeTimeout, the
// blocked Send fails, and Close returns at once — with the keep-alive's
// pings queued behind the stuck write too (found in review: a ping written
// on the keep-alive goroutine kept it from ever closing the socket).
func TestClientStuckWriteBreaksConnection(t *testing.T) {
	old := writeTimeout
	writeTimeout = 300 * time.Millisecond
	t.Cleanup(func() { writeTimeout = old })
	for _, keepAlive := range []time.Duration{-1, 50 * time.Millisecond} {
		t.Run("keep-alive "+keepAlive.String(), func(t *testing.T) {
			release := make(chan struct{})
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				c, err := websocket.Accept(w, r, nil)
				if err != nil {
					return
				}
				defer c.CloseNow()
				_ = c.Write(r.Context(), websocket.MessageText, []byte(`[[:chsk/handshake ["u" nil nil]] nil]`))
				<-release // and never read
			}))
			defer hs.Close()
			defer close(release)
			o := testClientOptions(TransportWS)
			o.KeepAlive, o.PingTimeout = keepAlive, time.Minute
			c := dialTest(t, hs.URL+"/chsk", o)
			big := wire.Event{ID: "test/big", Data: strings.Repeat("x", 256<<10)}
			sendErr := make(chan error, 1)
			go func() {
				for {
					if err := c.Send(t.Context(), big); err != nil {
						sendErr <- err
						return
					}
				}
			}()
			select {
			case err := <-sendErr:
				require.ErrorIs(t, err, ErrSendFailed)
			case <-time.After(20 * writeTimeout):
				t.Fatal("a Send is still blocked: the watchdog did not break the connection")
			}
			closed := make(chan struct{})
			go func() { _ = c.Close(); close(closed) }()
			select {
			case <-closed:
			case <-time.After(20 * writeTimeout):
				t.Fatal("Close hangs behind the stuck write")
			}
		})
	}
}
