package wire

import (
	"errors"
	"math"
	"testing"
	"time"
)

// rdSeed adds the reader's seed corpus: every EDN text of the vector files
// and a few inputs that exercise the reader's corners.
func rdSeed(f *testing.F) {
	for _, name := range []string{"edn-values.jsonl", "cljs-print.jsonl", "edn-unreadable.jsonl", "unpack-edn.jsonl", "frames-edn.jsonl"} {
		for _, row := range rdRows(f, name) {
			for _, s := range []string{row.EDN, row.EDNPrefix, row.Wire} {
				if s != "" {
					f.Add([]byte(s))
				}
			}
		}
	}
	for _, s := range []string{
		`#:a{:b 1 :_/c 2 d 3}`, `#_#_1 2 3`, `[1 #_2 ; c` + "\n" + `3]`, `#inst "2020-05:00"`, `#uuid "66D96AB4-9834-40db-a3cd-42b361503ab9"`,
		`"\ud83d\ude00\101\7 \u00e9"`, `\o101`, `\u00e9`, "\\\x00", `0x1FN`, `36rZZ`, `-22/7`, `4/2`, `1.50M`, `1e+21`, `##-Inf`,
		`{[1] 1 (2) 2}`, `#{1 1N}`, `#my/tag [1]`, `:a/b/c`, `a//`, `#! x` + "\n1", "\u2028[1]", `#inst #inst "2020"`,
		`#uuid"00000000-0000-0000-0000-00-000000000"`, // once crashed ParseUUID
	} {
		f.Add([]byte(s))
	}
}

// rdContains reports whether v or a value inside it satisfies pred.
func rdContains(v any, pred func(any) bool) bool {
	if pred(v) {
		return true
	}
	var xs []any
	switch x := v.(type) {
	case Vector:
		xs = x
	case List:
		xs = x
	case *Set:
		xs = x.Elems()
	case Tagged:
		return rdContains(x.Value, pred)
	case *Map:
		for _, e := range x.Entries() {
			if rdContains(e.Key, pred) || rdContains(e.Value, pred) {
				return true
			}
		}
	}
	for _, x := range xs {
		if rdContains(x, pred) {
			return true
		}
	}
	return false
}

// rdHasNaN reports whether v holds a NaN, which equals nothing.
func rdHasNaN(v any) bool {
	return rdContains(v, func(x any) bool {
		f, ok := x.(float64)
		return ok && math.IsNaN(f)
	})
}

// rdHasSubMilli reports whether v holds a time with a fraction of a
// millisecond, which the printer drops, as java.util.Date does.
func rdHasSubMilli(v any) bool {
	return rdContains(v, func(x any) bool {
		t, ok := x.(time.Time)
		return ok && t.Nanosecond()%int(time.Millisecond) != 0
	})
}

// FuzzRead checks that the reader never panics, returns only its own error
// types, and that Read and ReadPrefix agree.
func FuzzRead(f *testing.F) {
	rdSeed(f)
	opts := &ReadOptions{MaxDepth: 64, MaxDigits: 64, KeepUnknownTags: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, o := range []*ReadOptions{nil, opts} {
			v, err := Read(data, o)
			pv, n, perr := ReadPrefix(data, o)
			if err != nil {
				var se *SyntaxError
				var le *LimitError
				if !errors.As(err, &se) && !errors.As(err, &le) {
					t.Fatalf("Read(%q): error of type %T: %v", data, err, err)
				}
			}
			if perr != nil {
				if err == nil {
					t.Fatalf("Read(%q) succeeded, ReadPrefix failed: %v", data, perr)
				}
				continue
			}
			if n <= 0 || n > len(data) {
				t.Fatalf("ReadPrefix(%q) consumed %d bytes", data, n)
			}
			if rdHasNaN(pv) {
				continue
			}
			if err == nil && !Equal(v, pv) {
				t.Fatalf("Read(%q) = %#v, ReadPrefix = %#v", data, v, pv)
			}
			// The consumed prefix is a complete form by itself.
			again, err := Read(data[:n], o)
			if err != nil {
				t.Fatalf("Read of the prefix %q of %q: %v", data[:n], data, err)
			}
			if !Equal(again, pv) {
				t.Fatalf("Read(%q) = %#v, ReadPrefix(%q) = %#v", data[:n], again, data, pv)
			}
		}
	})
}

// FuzzPrintRead checks that what the reader reads, the printer prints back
// as text that reads to the same value, with the same Go types.
func FuzzPrintRead(f *testing.F) {
	rdSeed(f)
	opts := &ReadOptions{KeepUnknownTags: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Read(data, opts)
		if err != nil || rdHasNaN(v) || rdHasSubMilli(v) {
			return
		}
		text, err := Marshal(v)
		if err != nil {
			// The printer refuses some names Clojure's reader accepts but no
			// printer should emit (e.g. a symbol holding a NUL).
			var ue *UnsupportedValueError
			if !errors.As(err, &ue) {
				t.Fatalf("Marshal(Read(%q)): %v", data, err)
			}
			return
		}
		back, err := Read(text, opts)
		if err != nil {
			t.Fatalf("Read(%q) of Marshal(Read(%q)): %v", text, data, err)
		}
		rdSame(t, string(text), v, back)
	})
}
