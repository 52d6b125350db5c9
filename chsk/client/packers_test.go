package client

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// The Go client speaks every Sente packer on both transports: binary
// WebSocket frames and binary Ajax bodies for MessagePack and gzip, text
// for EDN and Transit. A request with a rich value comes back equal, and
// the server's pushes arrive.
func TestClientEveryPacker(t *testing.T) {
	rich := wire.NewMap(
		wire.Keyword("s"), "héllo ~x ^y `z", wire.Keyword("n"), int64(42), wire.Keyword("big"), int64(12345678901234),
		wire.Keyword("f"), 1.5, wire.Keyword("kw"), wire.Keyword("my/kw"), wire.Keyword("v"), wire.Vector{int64(1), int64(2)},
		wire.Keyword("nested"), wire.NewMap(wire.Keyword("long-key-one"), int64(1)),
	)
	for _, pk := range []struct {
		name string
		p    wire.Packer
	}{
		{"edn", &wire.EDN{}},
		{"transit", wire.Transit{}},
		{"msgpack", wire.MsgPack{}},
		{"gzip-edn", wire.Gzip{Packer: &wire.EDN{}}},
		{"gzip-msgpack", wire.Gzip{Packer: wire.MsgPack{}}},
	} {
		for _, tc := range clientTransports[:2] {
			t.Run(pk.name+"/"+tc.name, func(t *testing.T) {
				opts := refOptions()
				opts.Packer = pk.p
				a := newRefApp(t, opts)
				cookie, token := a.newSession()
				rec := newClientRecorder()
				o := testClientOptions(tc.typ)
				o.CSRFToken, o.Header, o.Packer = token, http.Header{"Cookie": {cookie}}, pk.p
				rec.options(o)
				c := dialTest(t, a.hs.URL+"/chsk", o)
				reply, err := c.Request(t.Context(), wire.Event{ID: "test/echo", Data: rich})
				require.NoError(t, err)
				require.True(t, wire.Equal(rich, reply), "%v", reply)
				require.NoError(t, c.Send(t.Context(), wire.Event{ID: "test/push", Data: int64(7)}))
				for range 2 {
					select {
					case ev := <-rec.events:
						require.Equal(t, wire.Event{ID: "test/pushed", Data: int64(7)}, ev)
					case <-time.After(5 * time.Second):
						t.Fatal("no push")
					}
				}
			})
		}
	}
}
