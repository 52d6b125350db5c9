package wire

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// gzipRow is one line of testdata/gzip.jsonl.
type gzipRow struct {
	ID, Value, Hex string
	HexPrefix      string `json:"hex_prefix"`
	PayloadLen     int    `json:"payload_len"`
}

func TestGzipVectors(t *testing.T) {
	for _, row := range loadJSONL[gzipRow](t, "gzip.jsonl") {
		t.Run(row.ID, func(t *testing.T) {
			var p Packer = Gzip{Packer: EDN{}}
			if strings.HasPrefix(row.ID, "msgpack") {
				p = Gzip{Packer: MsgPack{}}
			}
			switch {
			case row.PayloadLen > 0:
				// The threshold rows (their payload is padding): the flag
				// byte, and the gzip magic number after flag 1. EDN
				// ["…" nil] adds 8 bytes around the string.
				frame, err := p.Pack(nil, strings.Repeat(" ", row.PayloadLen-8), nil)
				want := row.HexPrefix[:2]
				if want == "01" {
					want = row.HexPrefix
				}
				if err != nil || !strings.HasPrefix(hex.EncodeToString(frame), want) {
					t.Errorf("got %x…, %v; want prefix %s", frame[:4], err, want)
				}
				env, err := p.Unpack(frame)
				if err != nil || len(env.Payload.(string)) != row.PayloadLen-8 {
					t.Errorf("round trip: %v", err)
				}
			case row.Value == "":
				// Compressed by java.util.zip: decode only.
				b, _ := hex.DecodeString(row.Hex)
				env, err := p.Unpack(b)
				want := mustRead(t, `[[:my-app/data `+"["+strings.Repeat(`"abcdef" `, 200)+`]]]`)
				if err != nil || !Equal(env.Payload, want) {
					t.Errorf("decode: %#v, %v", env, err)
				}
			default:
				v := mustRead(t, row.Value).(Vector)
				frame, err := p.Pack(nil, v[0], v[1])
				if err != nil || hex.EncodeToString(frame) != row.Hex {
					t.Errorf("pack: got %x, %v; want %s", frame, err, row.Hex)
				}
				env, err := p.Unpack(frame)
				if err != nil || !Equal(env.Payload, v[0]) {
					t.Errorf("unpack: %#v, %v", env, err)
				}
			}
		})
	}
}

// TestGzipBomb: a frame that inflates beyond MaxBytes is a bad package,
// found without inflating it all.
func TestGzipBomb(t *testing.T) {
	var z bytes.Buffer
	z.WriteByte(1)
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range 64 { // 64 MiB of zeros in about 64 KiB
		zw.Write(zeros)
	}
	zw.Close()
	_, err := Gzip{MaxBytes: 1 << 20}.Unpack(z.Bytes())
	var bp *BadPackageError
	var le *LimitError
	if !errors.As(err, &bp) || !errors.As(err, &le) || le.Format != "gzip" {
		t.Fatalf("got %v, want a bad package over the gzip bytes limit", err)
	}
}

func TestGzipHostile(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{nil, "empty frame"},
		{[]byte{1}, "bad gzip stream"},
		{[]byte{1, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2}, "bad gzip stream"},
		{[]byte{0, '['}, "edn:"},
	} {
		_, err := Gzip{}.Unpack(tc.data)
		var bp *BadPackageError
		if !errors.As(err, &bp) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%x: got %v, want %q", tc.data, err, tc.want)
		}
	}
}

func TestGzipRoundTripLarge(t *testing.T) {
	payload := Vector{Keyword("my-app/data"), strings.Repeat("abcdef", 1000)}
	for _, p := range []Packer{Gzip{}, Gzip{Packer: MsgPack{}}, Gzip{Packer: Transit{}}} {
		frame, err := p.Pack([]byte("x"), payload, "cb")
		if err != nil || frame[0] != 'x' || frame[1] != 1 || len(frame) > 200 {
			t.Fatalf("%T: %d bytes, %v", p, len(frame), err)
		}
		env, err := p.Unpack(frame[1:])
		if err != nil || !Equal(env.Payload, payload) || env.CB != "cb" {
			t.Errorf("%T: %#v, %v", p, env, err)
		}
	}
}
