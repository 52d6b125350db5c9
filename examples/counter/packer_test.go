package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// -packer and -gzip choose Sente's packers; the page says when its own
// (EDN-only) client cannot use the server's.
func TestPackerFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		gzip bool
		want wire.Packer
		note string
	}{
		{"edn", false, &wire.EDN{}, ""},
		{"", false, &wire.EDN{}, ""},
		{"transit", false, wire.Transit{}, "transit"},
		{"msgpack", false, wire.MsgPack{}, "msgpack"},
		{"msgpack", true, wire.Gzip{Packer: wire.MsgPack{}}, "gzip-msgpack"},
		{"edn", true, wire.Gzip{Packer: &wire.EDN{}}, "gzip-edn"},
	} {
		p, err := newPacker(tc.name, tc.gzip)
		require.NoError(t, err)
		require.Equal(t, tc.want, p)

		cfg := testConfig()
		cfg.Packer, cfg.Gzip = tc.name, tc.gzip
		base, _ := startServer(t, cfg)
		_, _, body := newVisitor(t, base).do("GET", "/", nil, "")
		if tc.note == "" {
			require.NotContains(t, body, `id="packer-note"`)
			continue
		}
		require.Contains(t, body, `data-packer="`+tc.note+`"`)
		require.Contains(t, body, `<p id="packer-note" class="card">This server speaks Sente's <code>`+tc.note+`</code> packer`)
	}
	_, err := newPacker("json", false)
	require.ErrorContains(t, err, `unknown packer "json"`)
}
