package rawws

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// Echo writes back; Hub delivers a message from one client to all; Close
// ends every handler.
func TestEchoAndHub(t *testing.T) {
	s := New()
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", s.Echo)
	mux.HandleFunc("/hub", s.Hub)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(ts.URL, "http")

	e, _, err := websocket.Dial(ctx, url+"/echo", nil)
	require.NoError(t, err)
	require.NoError(t, e.Write(ctx, websocket.MessageText, []byte("hi")))
	_, got, err := e.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "hi", string(got))

	var hub []*websocket.Conn
	for range 2 {
		c, _, err := websocket.Dial(ctx, url+"/hub", nil)
		require.NoError(t, err)
		hub = append(hub, c)
	}
	require.Eventually(t, func() bool { return s.HubConns() == 2 }, 5*time.Second, time.Millisecond)
	require.NoError(t, hub[0].Write(ctx, websocket.MessageText, []byte("all")))
	for _, c := range hub {
		_, got, err := c.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, "all", string(got))
	}
	s.Close()
	_, _, err = e.Read(ctx)
	require.Error(t, err, "Close drops the connections")
	require.Equal(t, 0, s.HubConns())
}
