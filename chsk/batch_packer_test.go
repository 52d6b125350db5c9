package chsk

import (
	"testing"

	"github.com/gosente/gosente/chsk/wire"
)

// TestBatchFrameOtherPackers: a push batch goes out in the server's packer,
// not as EDN.
func TestBatchFrameOtherPackers(t *testing.T) {
	for _, p := range []wire.Packer{wire.Transit{}, wire.MsgPack{}, wire.Gzip{Packer: wire.MsgPack{}}} {
		s, err := New(&Options{Packer: p})
		if err != nil {
			t.Fatal(err)
		}
		frame := s.batchFrame([]wire.Raw{wire.Raw(`[:test/pushed {:n 1}]`), wire.Raw(`[:test/pushed {:n 2}]`)})
		env, err := p.Unpack(frame)
		want := wire.Vector{
			wire.Vector{wire.Keyword("test/pushed"), wire.NewMap(wire.Keyword("n"), 1)},
			wire.Vector{wire.Keyword("test/pushed"), wire.NewMap(wire.Keyword("n"), 2)},
		}
		if err != nil || !wire.Equal(env.Payload, want) || env.CB != nil {
			t.Errorf("%T: %#v, %v", p, env, err)
		}
	}
}
