package wire

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
)

// lenientName reports a printer refusal of a keyword, symbol or character
// that the reader accepted: like tools.reader, it takes names such as :1, a'
// or :a// that no printer should produce.
func lenientName(err error) bool {
	var ue *UnsupportedValueError
	if !errors.As(err, &ue) {
		return false
	}
	switch ue.Type {
	case reflect.TypeFor[Keyword](), reflect.TypeFor[Symbol](), reflect.TypeFor[Char]():
		return true
	}
	return false
}

// hasNaN reports whether v holds a ##NaN, which is equal to nothing.
func hasNaN(v any) bool {
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x)
	case float32:
		return math.IsNaN(float64(x))
	case Vector:
		return anyNaN(x)
	case List:
		return anyNaN(x)
	case *Set:
		return anyNaN(x.Elems())
	case *Map:
		for k, v := range x.All() {
			if hasNaN(k) || hasNaN(v) {
				return true
			}
		}
	case Tagged:
		return hasNaN(x.Value)
	}
	return false
}

func anyNaN(xs []any) bool {
	for _, x := range xs {
		if hasNaN(x) {
			return true
		}
	}
	return false
}

// FuzzUnpack checks that Unpack and ServerEvent never panic, that a failure
// is always a *BadPackageError, and that an envelope that unpacks packs again
// into a frame that unpacks to an equal envelope and prints identically.
func FuzzUnpack(f *testing.F) {
	for _, row := range loadJSONL[frameRow](f, "frames-edn.jsonl") {
		f.Add([]byte(row.Wire))
	}
	for _, row := range loadJSONL[unpackRow](f, "unpack-edn.jsonl") {
		f.Add([]byte(row.Wire))
	}
	for _, s := range []string{"", "+", "-", " ", `"ab"`, "[:a 0]", "(1 2 3)", "\xff", "#{1 1}", "[##NaN ##NaN]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := &ReadOptions{MaxBytes: 1 << 16, MaxDepth: 64}
		for _, mode := range []BadPackageMode{BadPackageEvent, BadPackage117, BadPackageDrop} {
			_, _, _, _ = ServerEvent(data, mode, opts)
		}
		env, err := Unpack(data, opts)
		if err != nil {
			var bp *BadPackageError
			if !errors.As(err, &bp) || env != (Envelope{}) {
				t.Fatalf("Unpack(%q) = %#v, %v; want a zero envelope and a *BadPackageError", data, env, err)
			}
			return
		}
		for f := Format121; f <= Format116; f++ {
			packed, err := AppendEnvelope(nil, f, env.Payload, env.CB)
			if err != nil {
				if lenientName(err) {
					t.Skipf("the reader accepts a name the printer refuses: %v", err)
				}
				t.Fatalf("%v: cannot pack %#v read from %q: %v", f, env, data, err)
			}
			back, err := Unpack(packed, nil)
			if err != nil {
				t.Fatalf("%v: Unpack(%q) (packed from %q): %v", f, packed, data, err)
			}
			// NaN never equals itself; instants print to the millisecond, as
			// Clojure's java.util.Date keeps them.
			exact := !hasNaN(env.Payload) && !hasNaN(env.CB) && !rdHasSubMilli(env.Payload) && !rdHasSubMilli(env.CB)
			if exact && (!Equal(back.Payload, env.Payload) || !Equal(back.CB, env.CB)) {
				t.Fatalf("%v: %q -> %#v -> %q -> %#v", f, data, env, packed, back)
			}
			again, err := AppendEnvelope(nil, f, back.Payload, back.CB)
			if err != nil || !bytes.Equal(again, packed) {
				t.Fatalf("%v: repacking %q gives %q, %v", f, packed, again, err)
			}
		}
	})
}
