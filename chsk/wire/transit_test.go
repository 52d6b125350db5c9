package wire

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// transitRow is one line of testdata/transit.jsonl.
type transitRow struct {
	ID, Writer, Value, Wire string
}

// transitFormats maps the vector files' writer families to formats.
var transitFormats = map[string]Format{"1.21+": Format121, "1.18-1.20": Format118, "1.17": Format117}

func TestTransitVectors(t *testing.T) {
	for _, row := range loadJSONL[transitRow](t, "transit.jsonl") {
		t.Run(row.ID, func(t *testing.T) {
			want, err := Read([]byte(row.Value), nil)
			if err != nil {
				t.Fatalf("reading the vector's value: %v", err)
			}
			xs := want.(Vector)
			var got []byte
			if f, ok := transitFormats[row.Writer]; ok {
				var payload, cb any
				if len(xs) > 0 {
					payload = xs[0]
				}
				if len(xs) > 1 {
					cb = xs[1]
				}
				got, err = Transit{Format: f}.Pack(nil, payload, cb)
			} else {
				w := transitWriter{}
				err = w.value(want, false, 0)
				got = w.buf
			}
			if err != nil || string(got) != row.Wire {
				t.Errorf("pack:\n got %s, %v\nwant %s", got, err, row.Wire)
			}
			text := strings.TrimPrefix(row.Wire, "+")
			v, err := readTransit([]byte(text), limitsOf(nil))
			if err != nil {
				t.Fatalf("read %s: %v", text, err)
			}
			if !Equal(v, want) && !(row.ID == "value-nan-inf" && math.IsNaN(v.(Vector)[0].(float64))) {
				t.Errorf("read %s:\n got %#v\nwant %#v", text, v, want)
			}
			env, err := Transit{}.Unpack([]byte(row.Wire))
			if err != nil {
				t.Fatalf("Unpack: %v", err)
			}
			if row.Writer != "any" && !Equal(env.Payload, xs[0]) {
				t.Errorf("Unpack payload %#v, want %#v", env.Payload, xs[0])
			}
		})
	}
}

// TestTransitValues covers the forms the vectors leave out, both ways.
func TestTransitValues(t *testing.T) {
	for _, tc := range []struct{ edn, wire string }{
		{`[#{1} #{2}]`, `[["~#set",[1]],["^0",[2]]]`},
		{`[{1 :a, true :b, nil :c, 1.5 :d}]`, `[["^ ","~i1","~:a","~?t","~:b","~_","~:c","~d1.5","~:d"]]`},
		{`[9007199254740992 -9007199254740992 9007199254740991]`, `["~i9007199254740992","~i-9007199254740992",9007199254740991]`},
		{`[1.50M 1/3 \a 1.0E21 -0.0]`, `["~f1.50",["~#ratio",["~n1","~n3"]],"~ca",1.0E21,-0.0]`},
		{`[#inst "2026-01-02T03:04:05.678-00:00"]`, `["~m1767323045678"]`},
		{`[#my/tag [1] #my/tag [2]]`, `[["~#my/tag",[1]],["^0",[2]]]`},
		{`[{:long-key 1} {:long-key 2} :long-key]`, `[["^ ","~:long-key",1],["^ ","^0",2],"^0"]`},
		{`["a\"b\\c\nd\u0001é"]`, `["a\"b\\c\nd\u0001é"]`},
	} {
		v, err := Read([]byte(tc.edn), &ReadOptions{KeepUnknownTags: true})
		if err != nil {
			t.Fatal(err)
		}
		w := transitWriter{}
		if err := w.value(v, false, 0); err != nil || string(w.buf) != tc.wire {
			t.Errorf("print %s: got %s, %v; want %s", tc.edn, w.buf, err, tc.wire)
		}
		back, err := readTransit([]byte(tc.wire), limitsOf(nil))
		if err != nil || !Equal(back, v) {
			t.Errorf("read %s: got %#v, %v; want %#v", tc.wire, back, err, v)
		}
	}
}

func TestTransitReadsVerbose(t *testing.T) {
	for _, tc := range []struct{ wire, edn string }{
		{`[{"~:a":1,"~:b":{"~#set":[1]}},null]`, `[{:a 1 :b #{1}} nil]`},
		{`{"~#list":[1,2]}`, `(1 2)`},
		{`["~t2026-01-02T03:04:05.678Z"]`, `[#inst "2026-01-02T03:04:05.678-00:00"]`},
		{` [1,2]`, `[1 2]`},
		{`["~#'",1]`, `1`},
		{`[123456789012345678901234567890, 1e400, "\ud83d\ude00"]`, `[123456789012345678901234567890N ##Inf "😀"]`},
	} {
		want, err := Read([]byte(tc.edn), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readTransit([]byte(tc.wire), limitsOf(nil))
		if err != nil || !Equal(got, want) {
			t.Errorf("%s: got %#v, %v; want %s", tc.wire, got, err, tc.edn)
		}
	}
}

// TestTransitHostile: malformed and oversized input is a bad package with a
// clear error, never a crash.
func TestTransitHostile(t *testing.T) {
	lim := &ReadOptions{MaxBytes: 1 << 12, MaxDepth: 8, MaxElements: 4, MaxDigits: 10}
	for _, tc := range []struct{ wire, want string }{
		{``, "unexpected end"},
		{`[`, "unexpected end"},
		{`[1,]`, "unexpected character"},
		{`[1 2]`, "expected ','"},
		{`[1]x`, "after the value"},
		{`[[[[[[[[[[1]]]]]]]]]]`, "depth limit"},
		{`[1,2,3,4,5]`, "elements limit"},
		{`["^ ","a",1,"b",2,"c",3,"d",4,"e",5]`, "elements limit"},
		{`[12345678901]`, "digits limit"},
		{`["~i123456789012345"]`, "digits limit"},
		{`["^0"]`, "bad cache reference"},
		{`["^ ","~:abcd"]`, "expected ','"},
		{`[["~#set",1]]`, "needs an array"},
		{`[["~#ratio",[1,0]]]`, "ratio"},
		{`[["~#set",[1],2]]`, "more than one value"},
		{`["~#set"]`, "tag without a value"},
		{`[1,"~#set"]`, "tag outside"},
		{`["~uNOPE"]`, "bad uuid"},
		{"[\"\x01\"]", "control character"},
		{"[\"\xff\"]", "invalid UTF-8"},
		{`["\u12"]`, "bad \\u escape"},
		{`[01]`, "bad number"},
		{`{"~:a":1,"~:b"}`, "expected ':'"},
		{`"~:a"`, "not an envelope"},
		{strings.Repeat(" ", 1<<12+1), "bytes limit"},
	} {
		_, err := Transit{Limits: *lim}.Unpack([]byte(tc.wire))
		var bp *BadPackageError
		if !errors.As(err, &bp) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want a bad package mentioning %q", tc.wire, err, tc.want)
		}
	}
}

func TestTransitPackRefuses(t *testing.T) {
	for _, v := range []any{make(chan int), Keyword(""), "\xff", BigDecimal("x")} {
		var ue *UnsupportedValueError
		if got, err := (Transit{}).Pack([]byte("keep"), v, nil); !errors.As(err, &ue) || string(got) != "keep" {
			t.Errorf("%#v: got %q, %v", v, got, err)
		}
	}
}
