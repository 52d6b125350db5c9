package wire

import (
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// pkSeed adds the EDN seed corpus and every frame of the packers' vector
// files, so that each fuzz target starts from both EDN values (for the round
// trip) and real frames (for the decoder).
func pkSeed(f *testing.F) {
	rdSeed(f)
	for _, row := range loadJSONL[transitRow](f, "transit.jsonl") {
		f.Add([]byte(row.Wire))
	}
	for _, row := range loadJSONL[msgpackRow](f, "msgpack.jsonl") {
		b, _ := hex.DecodeString(row.Hex)
		f.Add(b)
	}
	for _, row := range loadJSONL[gzipRow](f, "gzip.jsonl") {
		b, _ := hex.DecodeString(row.Hex)
		f.Add(b)
	}
}

// pkFuzz checks one packer: arbitrary bytes unpack to an envelope or a
// *BadPackageError, never a panic; an envelope packs again and unpacks to
// the same; and the value of any readable EDN text survives pack∘unpack
// unless lossy reports that the packer cannot carry it exactly.
func pkFuzz(f *testing.F, lossy func(any) bool, packers ...Packer) {
	pkSeed(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range packers {
			env, err := p.Unpack(data)
			if err != nil {
				var bp *BadPackageError
				if !errors.As(err, &bp) {
					t.Fatalf("%T.Unpack(%q): error of type %T: %v", p, data, err, err)
				}
			} else if !lossy(env.Payload) && !lossy(env.CB) {
				pkRoundTrip(t, p, env.Payload, env.CB)
			}
			v, err := Read(data, nil)
			if err != nil || lossy(v) {
				continue
			}
			pkRoundTrip(t, p, v, "cb")
		}
	})
}

func pkRoundTrip(t *testing.T, p Packer, payload, cb any) {
	frame, err := p.Pack(nil, payload, cb)
	if err != nil {
		var ue *UnsupportedValueError
		if !errors.As(err, &ue) {
			t.Fatalf("Pack(%#v): %T %v", payload, err, err)
		}
		return
	}
	env, err := p.Unpack(frame)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) && le.Limit == "depth" {
			return // the frame nests deeper than the value
		}
		t.Fatalf("Unpack(Pack(%#v)) = %q: %v", payload, frame, err)
	}
	if cb != nil && cb != AjaxCB {
		if i, ok := asInt64(cb); ok && i == 0 {
			cb = AjaxCB
		}
	}
	if !Equal(env.Payload, payload) || !Equal(env.CB, cb) {
		t.Fatalf("Unpack(Pack(%#v, %#v)) = %#v, %#v (frame %q)", payload, cb, env.Payload, env.CB, frame)
	}
}

// transitLossy: Transit instants carry milliseconds.
func transitLossy(v any) bool {
	return rdHasNaN(v) || rdHasSubMilli(v) || rdContains(v, func(x any) bool {
		t, ok := x.(Tagged)
		return ok && t.Tag == "'" // Transit's quote tag: readers unwrap it
	})
}

func FuzzTransit(f *testing.F) { pkFuzz(f, transitLossy, Transit{}, Transit{Format: Format117}) }

// msgpackLossy: MessagePack carries BigDecimal as a float64, has no tagged
// literals and no integers beyond int64.
func msgpackLossy(v any) bool {
	return rdHasNaN(v) || rdContains(v, func(x any) bool {
		switch x := x.(type) {
		case BigDecimal, Tagged:
			return true
		case *big.Int:
			return !x.IsInt64()
		}
		return false
	})
}

func FuzzMsgPack(f *testing.F) { pkFuzz(f, msgpackLossy, MsgPack{}) }

// FuzzGzip wraps EDN and MessagePack: what either cannot carry exactly is
// MessagePack's losses plus EDN's instants, printed to the millisecond.
func FuzzGzip(f *testing.F) {
	lossy := func(v any) bool { return msgpackLossy(v) || rdHasSubMilli(v) }
	pkFuzz(f, lossy, Gzip{MaxBytes: 1 << 16}, Gzip{Packer: MsgPack{}, MaxBytes: 1 << 16})
}

// TestPackersRoundTripVectors runs every EDN value vector through each
// packer, the round trip the fuzz targets check, as a plain test.
func TestPackersRoundTripVectors(t *testing.T) {
	rows := loadJSONL[ednValueRowLite](t, "edn-values.jsonl")
	for _, p := range []Packer{Transit{}, Transit{Format: Format117}, MsgPack{}, Gzip{}, Gzip{Packer: MsgPack{}}} {
		for _, row := range rows {
			v, err := Read([]byte(row.EDN), nil)
			if err != nil || rdHasNaN(v) || rdHasSubMilli(v) || strings.HasPrefix(row.ID, "bigdec") {
				continue
			}
			if _, ok := p.(MsgPack); ok && msgpackLossy(v) {
				continue
			}
			pkRoundTrip(t, p, v, nil)
		}
	}
}

type ednValueRowLite struct{ ID, EDN string }
