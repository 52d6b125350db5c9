package adapter_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/coder/websocket"
	"github.com/gosente/gosente/chsk/adapter"
)

// An echo server: every message goes back with its own type.
func ExampleAcceptWebSocket() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := adapter.AcceptWebSocket(w, r, adapter.WSOptions{ReadLimit: 64 << 10})
		if err != nil {
			return // AcceptWebSocket answered the request
		}
		defer ws.Close()
		for {
			data, binary, err := ws.Read(context.Background())
			if err != nil {
				return // the peer closed, or broke the protocol
			}
			typ := adapter.MessageText
			if binary {
				typ = adapter.MessageBinary
			}
			if err := ws.Write(context.Background(), typ, data); err != nil {
				return
			}
		}
	}))
	defer srv.Close()

	ctx := context.Background()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.CloseNow()
	for _, m := range []struct {
		typ websocket.MessageType
		p   string
	}{{websocket.MessageText, "héllo"}, {websocket.MessageBinary, "\x00\x01"}} {
		if err := c.Write(ctx, m.typ, []byte(m.p)); err != nil {
			fmt.Println(err)
			return
		}
		typ, p, err := c.Read(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%v %q\n", typ, p)
	}
	c.Close(websocket.StatusNormalClosure, "")
	// Output:
	// MessageText "héllo"
	// MessageBinary "\x00\x01"
}
