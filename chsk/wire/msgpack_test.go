package wire

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// msgpackRow is one line of testdata/msgpack.jsonl.
type msgpackRow struct {
	ID, Value, Hex, DecodesTo string
	ValueCljExpr              string `json:"value_clj_expr"`
}

// msgpackVectorValue builds the Go value a vector row describes.
func msgpackVectorValue(t *testing.T, row msgpackRow) any {
	switch {
	case row.ID == "cache-cap-256":
		big := &Map{}
		for n := range 258 {
			big.Set(Keyword(fmt.Sprintf("k%03d", n)), int64(n))
		}
		return Vector{big, NewMap(Keyword("k000"), 0, Keyword("k255"), 1, Keyword("k256"), 2, Keyword("k257"), 3)}
	case row.ID == "float-1.5":
		return float32(1.5)
	case strings.HasPrefix(row.Value, "bytes:"):
		b, _ := hex.DecodeString(strings.TrimPrefix(row.Value, "bytes:"))
		return b
	case row.Value == "int-array:[1 -1]":
		return Int32Array{1, -1}
	case row.Value == "float-array:[1.5]":
		return Float32Array{1.5}
	case row.Value == "double-array:[1.5]":
		return Float64Array{1.5}
	}
	v, err := Read([]byte(row.Value), nil)
	if err != nil {
		t.Fatalf("reading the vector's value %s: %v", row.Value, err)
	}
	return v
}

func TestMsgPackVectors(t *testing.T) {
	for _, row := range loadJSONL[msgpackRow](t, "msgpack.jsonl") {
		t.Run(row.ID, func(t *testing.T) {
			v := msgpackVectorValue(t, row)
			var w msgpackWriter
			if err := w.value(v, 0); err != nil || hex.EncodeToString(w.buf) != row.Hex {
				t.Errorf("pack:\n got %x, %v\nwant %s", w.buf, err, row.Hex)
			}
			bin, _ := hex.DecodeString(row.Hex)
			got, err := readMsgpack(bin, limitsOf(nil))
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			want := v
			switch row.ID {
			case "double-nan":
				if f, ok := got.(float64); !ok || !math.IsNaN(f) {
					t.Errorf("read %#v, want NaN", got)
				}
				return
			case "float-1.5":
				want = 1.5
			case "bigdec-1.5":
				want = 1.5
			case "list":
				want = Vector(v.(List))
			}
			if !Equal(got, want) {
				t.Errorf("read:\n got %#v\nwant %#v", got, want)
			}
			if strings.HasPrefix(row.ID, "frame-") {
				xs := v.(Vector)
				frame, err := MsgPack{}.Pack(nil, xs[0], xs[1])
				if err != nil || hex.EncodeToString(frame) != row.Hex {
					t.Errorf("Pack: got %x, %v", frame, err)
				}
				env, err := MsgPack{}.Unpack(append(bin, make([]byte, 1024-len(bin))...))
				if err != nil || !Equal(env.Payload, xs[0]) {
					t.Errorf("Unpack of the zero-padded frame: %#v, %v", env, err)
				}
			}
		})
	}
}

// TestMsgPackHostile: malformed and oversized input is a bad package with a
// clear error, never a crash or a large allocation.
func TestMsgPackHostile(t *testing.T) {
	lim := ReadOptions{MaxBytes: 1 << 12, MaxDepth: 4, MaxElements: 8}
	for _, tc := range []struct{ hex, want string }{
		{"", "unexpected end"},
		{"92", "collection longer"},
		{"dd7fffffff", "elements limit"},
		{"dd00000008", "collection longer"},
		{"df00000005", "collection longer"},
		{"db7fffffff61", "unexpected end"},
		{"c6ffffffff", "unexpected end"},
		{"c9ffffffff00", "unexpected end"},
		{"9191919191c0", "depth limit"},
		{"d40800", "outside a map key"},
		{"81d4080001", "not in the cache"},
		{"a2c328", "invalid UTF-8"},
		{"c1", "unknown type byte"},
		{"c70400ffffffff", "bad keyword"},
		{"c70000", "bad keyword"},
		{"d5030100", "ratio"},
		{"d60492c0c0", "unexpected end"},
		{"d70492c0c0c0c0c0c0c0", "after its value"},
		{"c7050600000000ff", "typed array"},
		{"c70cff3b9aca000000000000000000", "timestamp"},
		{"c72309" + hex.EncodeToString([]byte("66d96ab4-9834-40db-a3cd-42b361503ab")), "uuid"},
		{"2a", "not an envelope"},
		{"c70b00" + strings.Repeat("61", 11), "not an envelope"},
	} {
		b, _ := hex.DecodeString(tc.hex)
		_, err := MsgPack{Limits: lim}.Unpack(b)
		var bp *BadPackageError
		if !errors.As(err, &bp) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want a bad package mentioning %q", tc.hex, err, tc.want)
		}
	}
	if _, err := (MsgPack{Limits: lim}).Unpack(make([]byte, 1<<12+1)); err == nil || !strings.Contains(err.Error(), "bytes limit") {
		t.Errorf("oversized frame: %v", err)
	}
}

func TestMsgPackPackRefuses(t *testing.T) {
	huge, _ := Read([]byte("99999999999999999999N"), nil)
	for _, v := range []any{make(chan int), Keyword(""), "\xff", huge, Tagged{Tag: "x", Value: 1}, uint64(math.MaxUint64)} {
		var ue *UnsupportedValueError
		if got, err := (MsgPack{}).Pack([]byte("keep"), v, nil); !errors.As(err, &ue) || string(got) != "keep" {
			t.Errorf("%#v: got %q, %v", v, got, err)
		}
	}
}

// TestMsgPackReads covers forms the JVM encoder never writes but other
// MessagePack writers (and Sente's browser client) do.
func TestMsgPackReads(t *testing.T) {
	for _, tc := range []struct {
		hex  string
		want any
	}{
		{"cfffffffffffffffff", mustRead(t, "18446744073709551615N")},
		{"cf0000000000000001", int64(1)},
		{"ca3fc00000", 1.5},
		{"d6ff00000001", mustRead(t, `#inst "1970-01-01T00:00:01.000-00:00"`)},
		{"d7ff0000000400000001", mustRead(t, `#inst "1970-01-01T00:00:01.000000001-00:00"`)},
		{"d4630a", Ext{Type: 0x63, Data: []byte{0x0a}}},
		{"81d40861", nil}, // filled below: an unknown reference is an error
	} {
		b, _ := hex.DecodeString(tc.hex)
		got, err := readMsgpack(b, limitsOf(nil))
		if tc.want == nil {
			if err == nil {
				t.Errorf("%s: no error", tc.hex)
			}
			continue
		}
		if err != nil || !Equal(got, tc.want) {
			t.Errorf("%s: got %#v, %v; want %#v", tc.hex, got, err, tc.want)
		}
	}
}
