package wire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// rdRow is a line of the testdata files the reader tests use.
type rdRow struct {
	ID         string          `json:"id"`
	EDN        string          `json:"edn"`
	EDNPrefix  string          `json:"edn_prefix"`
	CljType    string          `json:"clj_type"`
	Wire       string          `json:"wire"`
	ReadBy121  json.RawMessage `json:"read_by_1.21+"`
	ReadBy117  json.RawMessage `json:"read_by_1.17"`
	Confidence string          `json:"confidence"`
}

func rdRows(tb testing.TB, name string) []rdRow {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var rows []rdRow
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var row rdRow
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return rows
}

// rdSame fails unless got has the same Go types as want throughout and
// equal values: same float bits up to NaN, same BigDecimal text, same order
// of map entries and set elements.
func rdSame(tb testing.TB, path string, want, got any) {
	tb.Helper()
	if reflect.TypeOf(want) != reflect.TypeOf(got) {
		tb.Errorf("%s: got %T %#v, want %T %#v", path, got, got, want, want)
		return
	}
	switch w := want.(type) {
	case float64:
		g := got.(float64)
		if math.IsNaN(w) != math.IsNaN(g) || (!math.IsNaN(w) && (w != g || math.Signbit(w) != math.Signbit(g))) {
			tb.Errorf("%s: got %v, want %v", path, g, w)
		}
	case Vector:
		rdSameSeq(tb, path, w, got.(Vector))
	case List:
		rdSameSeq(tb, path, w, got.(List))
	case *Map:
		g := got.(*Map)
		if w.Len() != g.Len() {
			tb.Errorf("%s: got %d entries, want %d", path, g.Len(), w.Len())
			return
		}
		for i, we := range w.Entries() {
			ge := g.Entries()[i]
			rdSame(tb, fmt.Sprintf("%s.key%d", path, i), we.Key, ge.Key)
			rdSame(tb, fmt.Sprintf("%s.val%d", path, i), we.Value, ge.Value)
		}
	case *Set:
		rdSameSeq(tb, path, w.Elems(), got.(*Set).Elems())
	case BigDecimal:
		if w != got.(BigDecimal) {
			tb.Errorf("%s: got BigDecimal %q, want %q", path, got, w)
		}
	case time.Time:
		if !w.Equal(got.(time.Time)) {
			tb.Errorf("%s: got %v, want %v", path, got, w)
		}
	default:
		if !Equal(want, got) {
			tb.Errorf("%s: got %#v, want %#v", path, got, want)
		}
	}
}

func rdSameSeq(tb testing.TB, path string, want, got []any) {
	tb.Helper()
	if len(want) != len(got) {
		tb.Errorf("%s: got %d elements %#v, want %d", path, len(got), got, len(want))
		return
	}
	for i := range want {
		rdSame(tb, fmt.Sprintf("%s[%d]", path, i), want[i], got[i])
	}
}

func rdBig(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return n
}

func rdKw(s string) Keyword { return Keyword(s) }

func rdUUID(s string) UUID {
	u, err := ParseUUID(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestReadEDNValues reads every value Clojure printed in edn-values.jsonl.
func TestReadEDNValues(t *testing.T) {
	want := map[string]any{
		"nil":                      nil,
		"true":                     true,
		"false":                    false,
		"long-zero":                int64(0),
		"long-neg":                 int64(-1),
		"long-42":                  int64(42),
		"long-max":                 int64(math.MaxInt64),
		"long-min":                 int64(math.MinInt64),
		"long-beyond-js-safe":      int64(9007199254740993),
		"bigint-small":             big.NewInt(42),
		"bigint-large":             rdBig("12345678901234567890"),
		"bigint-literal-overflow":  rdBig("99999999999999999999"),
		"double-1.0":               1.0,
		"double-neg-zero":          math.Copysign(0, -1),
		"double-1.5":               1.5,
		"double-100":               100.0,
		"double-1e7":               1e7,
		"double-9999999":           9999999.0,
		"double-0.001":             0.001,
		"double-1e-4":              1e-4,
		"double-1.5e-7":            1.5e-7,
		"double-1e21":              1e21,
		"double-pi":                math.Pi,
		"double-nan":               math.NaN(),
		"double-inf":               math.Inf(1),
		"double-neg-inf":           math.Inf(-1),
		"float-1.5":                1.5,
		"ratio-1/3":                big.NewRat(1, 3),
		"ratio-neg":                big.NewRat(-22, 7),
		"bigdec-1.5":               BigDecimal("1.5"),
		"bigdec-3":                 BigDecimal("3"),
		"bigdec-1.50":              BigDecimal("1.50"),
		"string-empty":             "",
		"string-plain":             "hello world",
		"string-quote":             `say "hi"`,
		"string-backslash":         `C:\path`,
		"string-newline":           "line1\nline2",
		"string-tab-cr":            "a\tb\rc",
		"string-bs-ff":             "x\by\fz",
		"string-unicode":           "héllo ಬಾ",
		"string-emoji":             "😀",
		"string-ctrl-0x01":         "a\x01b",
		"string-nul":               "a\x00b",
		"string-del":               "a\x7fb",
		"string-u2028":             "a\u2028b",
		"string-edn-lookalike":     "[:not/edn 1]",
		"string-hash":              `#uuid "x"`,
		"char-a":                   Char('a'),
		"char-newline":             Char('\n'),
		"char-space":               Char(' '),
		"char-tab":                 Char('\t'),
		"char-return":              Char('\r'),
		"char-backspace":           Char('\b'),
		"char-formfeed":            Char('\f'),
		"char-backslash":           Char('\\'),
		"char-quote":               Char('"'),
		"char-e-acute":             Char('é'),
		"char-nul":                 Char(0),
		"kw-simple":                rdKw("a"),
		"kw-ns":                    rdKw("my-app/some-event"),
		"kw-dotted-ns":             rdKw("my.app.ns/ev"),
		"kw-chsk":                  rdKw("chsk/handshake"),
		"kw-qmark":                 rdKw("handshake?"),
		"kw-sente-nil-uid":         rdKw("sente/nil-uid"),
		"kw-taoensso-nil-uid":      rdKw("taoensso.sente/nil-uid"),
		"sym-simple":               Symbol("foo"),
		"sym-ns":                   Symbol("my.ns/foo"),
		"sym-plus":                 Symbol("+"),
		"sym-minus":                Symbol("-"),
		"vec-empty":                Vector{},
		"vec":                      Vector{int64(1), int64(2), int64(3)},
		"vec-nested":               Vector{Vector{int64(1), Vector{int64(2), Vector{int64(3)}}}, Vector{}},
		"list-empty":               List{},
		"list":                     List{int64(1), int64(2)},
		"lazy-seq":                 List{int64(1), int64(2), int64(3)},
		"map-empty":                NewMap(),
		"map-2":                    NewMap(rdKw("a"), int64(1), rdKw("b"), int64(2)),
		"map-nested":               NewMap(rdKw("user"), NewMap(rdKw("id"), int64(1), rdKw("name"), "Ann")),
		"map-vec-key":              NewMap(Vector{int64(1), int64(2)}, rdKw("v")),
		"map-nil-key":              NewMap(nil, int64(1)),
		"map-map-key":              NewMap(NewMap(rdKw("a"), int64(1)), rdKw("x")),
		"map-mixed-keys":           NewMap(rdKw("k"), int64(1), "s", int64(2), int64(3), int64(4), nil, int64(5)),
		"map-ns-keys":              NewMap(rdKw("user/a"), int64(1), rdKw("user/b"), int64(2)),
		"map-ns-keys-nsmap-syntax": NewMap(rdKw("user/a"), int64(1), rdKw("user/b"), int64(2)),
		"map-9-entries-hash-order": NewMap(rdKw("k8"), int64(8), rdKw("k5"), int64(5), rdKw("k7"), int64(7),
			rdKw("k6"), int64(6), rdKw("k0"), int64(0), rdKw("k3"), int64(3), rdKw("k4"), int64(4),
			rdKw("k1"), int64(1), rdKw("k2"), int64(2)),
		"set-empty":      NewSet(),
		"set-one":        NewSet(rdKw("a")),
		"set-ints":       NewSet(int64(1), int64(3), int64(2)),
		"set-kws":        NewSet(rdKw("c"), rdKw("b"), rdKw("a")),
		"set-strs":       NewSet("a", "b", "c"),
		"sorted-map":     NewMap(rdKw("a"), int64(2), rdKw("b"), int64(1)),
		"sorted-set":     NewSet(int64(1), int64(2), int64(3)),
		"map-entry":      Vector{rdKw("a"), int64(1)},
		"uuid":           rdUUID("66d96ab4-9834-40db-a3cd-42b361503ab9"),
		"inst-epoch":     time.Unix(0, 0).UTC(),
		"inst-ms":        time.UnixMilli(1700000000123).UTC(),
		"inst-pre-epoch": time.UnixMilli(-1).UTC(),
		"timestamp-sql":  time.Unix(0, 0).UTC(),
	}
	rows := rdRows(t, "edn-values.jsonl")
	seen := map[string]bool{}
	for _, row := range rows {
		seen[row.ID] = true
		t.Run(row.ID, func(t *testing.T) {
			w, ok := want[row.ID]
			if !ok {
				t.Fatalf("no expectation for row %q (%s)", row.ID, row.EDN)
			}
			got, err := Read([]byte(row.EDN), nil)
			if err != nil {
				t.Fatalf("Read(%q): %v", row.EDN, err)
			}
			rdSame(t, row.ID, w, got)
		})
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("expectation %q has no row in edn-values.jsonl", id)
		}
	}
}

// TestReadCljsPrint reads what ClojureScript clients print.
func TestReadCljsPrint(t *testing.T) {
	ev := func(id string, data any) Vector { return Vector{rdKw(id), data} }
	want := map[string]any{
		"cljs-ev-basic": ev("my-app/save", NewMap(rdKw("id"), int64(7))),
		"cljs-whole-double": ev("my-app/nums",
			Vector{int64(1), 1.5, int64(0), 1e21, 1e-7, 0.1}),
		"cljs-nan-inf": ev("my-app/nums", Vector{math.NaN(), math.Inf(1), math.Inf(-1)}),
		"cljs-big-int": ev("my-app/n", int64(9007199254740992)),
		"cljs-date":    ev("my-app/at", time.UnixMilli(1700000000123).UTC()),
		"cljs-uuid":    ev("my-app/id", rdUUID("66d96ab4-9834-40db-a3cd-42b361503ab9")),
		"cljs-set":     ev("my-app/s", NewSet(int64(1), int64(2), int64(3))),
		"cljs-list":    ev("my-app/l", List{int64(1), int64(2)}),
		"cljs-ns-map":  ev("my-app/m", NewMap(rdKw("user/a"), int64(1), rdKw("user/b"), int64(2))),
		"cljs-string-escapes": ev("my-app/s",
			"q\"b\\n\nt\tr\rb\bf\fc\x01é😀"),
		"cljs-frame-ws-cb-121": Vector{ev("my-app/save", NewMap(rdKw("id"), int64(7))), "4f2a1b"},
		"cljs-frame-ajax-121":  Vector{ev("my-app/save", NewMap(rdKw("id"), int64(7))), rdKw("ajax")},
	}
	for _, row := range rdRows(t, "cljs-print.jsonl") {
		t.Run(row.ID, func(t *testing.T) {
			w, ok := want[row.ID]
			if !ok {
				t.Fatalf("no expectation for row %q (%s)", row.ID, row.EDN)
			}
			got, err := Read([]byte(row.EDN), nil)
			if err != nil {
				t.Fatalf("Read(%q): %v", row.EDN, err)
			}
			rdSame(t, row.ID, w, got)
		})
	}
}

// TestReadUnreadable checks that what Clojure prints for values without an
// EDN form does not read.
func TestReadUnreadable(t *testing.T) {
	full := map[string]string{ // complete forms for the printed prefixes
		"java-instant": `#object[java.time.Instant 0x1 "2023-11-14T22:13:20Z"]`,
		"queue":        `#object[clojure.lang.PersistentQueue 0x2 "clojure.lang.PersistentQueue@1"]`,
		"java-array":   `#object["[Ljava.lang.Object;" 0x3 "[Ljava.lang.Object;@4"]`,
	}
	for _, row := range rdRows(t, "edn-unreadable.jsonl") {
		t.Run(row.ID, func(t *testing.T) {
			texts := []string{row.EDNPrefix}
			if f, ok := full[row.ID]; ok {
				texts = append(texts, f)
			}
			for _, text := range texts {
				v, err := Read([]byte(text), nil)
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Errorf("Read(%q) = %#v, %v; want a *SyntaxError", text, v, err)
				}
			}
		})
	}
	// Even a caller that keeps unknown tags gets no #object.
	if _, err := Read([]byte(full["java-instant"]), &ReadOptions{KeepUnknownTags: true}); err == nil {
		t.Error("#object read with KeepUnknownTags")
	}
}

// TestReadUnpackWire uses the wire texts of unpack-edn.jsonl at reader level:
// what the 1.21+ reader reads must read, with the payload and cb the vectors
// give; what it fails to read as EDN must fail.
func TestReadUnpackWire(t *testing.T) {
	for _, row := range rdRows(t, "unpack-edn.jsonl") {
		if row.Wire == "" {
			continue // Encore's "" → nil short cut, the envelope's business
		}
		t.Run(row.ID, func(t *testing.T) {
			var res struct {
				Error *string `json:"error"`
				Clj   *string `json:"clj"`
				Cb    *string `json:"cb"`
			}
			if err := json.Unmarshal(row.ReadBy121, &res); err != nil {
				t.Fatal(err)
			}
			v, n, err := ReadPrefix([]byte(row.Wire), nil)
			if res.Error != nil && strings.HasPrefix(*res.Error, "EDN read error") {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("ReadPrefix(%q) = %#v, %v; want a *SyntaxError (Clojure: %s)", row.Wire, v, err, *res.Error)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadPrefix(%q): %v", row.Wire, err)
			}
			if n <= 0 || n > len(row.Wire) {
				t.Fatalf("ReadPrefix(%q) consumed %d bytes", row.Wire, n)
			}
			if res.Clj == nil {
				return // read fine, failed later when destructured
			}
			var elems []any
			switch x := v.(type) {
			case Vector:
				elems = x
			case List:
				elems = x
			default:
				t.Fatalf("ReadPrefix(%q) = %T, want a vector or list", row.Wire, v)
			}
			wantPayload, err := Read([]byte(*res.Clj), nil)
			if err != nil {
				t.Fatalf("Read(clj %q): %v", *res.Clj, err)
			}
			rdSame(t, "payload", wantPayload, elems[0])
			var wantCb any
			if res.Cb != nil {
				if wantCb, err = Read([]byte(*res.Cb), nil); err != nil {
					t.Fatalf("Read(cb %q): %v", *res.Cb, err)
				}
			}
			var gotCb any
			if len(elems) > 1 {
				gotCb = elems[1]
			}
			rdSame(t, "cb", wantCb, gotCb)
		})
	}
}

type rdCase struct {
	in   string
	want any
}

func rdRun(t *testing.T, opts *ReadOptions, cases []rdCase) {
	t.Helper()
	for _, c := range cases {
		got, err := Read([]byte(c.in), opts)
		if err != nil {
			t.Errorf("Read(%q): %v", c.in, err)
			continue
		}
		rdSame(t, fmt.Sprintf("Read(%q)", c.in), c.want, got)
	}
}

func TestReadNumbers(t *testing.T) {
	rdRun(t, nil, []rdCase{
		{"0", int64(0)},
		{"-0", int64(0)},
		{"+7", int64(7)},
		{"-12", int64(-12)},
		{"123456789012345678", int64(123456789012345678)},
		{"1234567890123456789", int64(1234567890123456789)},
		{"9223372036854775807", int64(math.MaxInt64)},
		{"9223372036854775808", rdBig("9223372036854775808")},
		{"-9223372036854775808", int64(math.MinInt64)},
		{"-9223372036854775809", rdBig("-9223372036854775809")},
		{"0N", big.NewInt(0)},
		{"-0N", big.NewInt(0)},
		{"7N", big.NewInt(7)},
		{"-7N", big.NewInt(-7)},
		{"0x1F", int64(31)},
		{"0XfF", int64(255)},
		{"-0x10", int64(-16)},
		{"0x10N", big.NewInt(16)},
		{"0xFFFFFFFFFFFFFFFF", rdBig("18446744073709551615")},
		{"017", int64(15)},
		{"-017", int64(-15)},
		{"00", int64(0)},
		{"017N", big.NewInt(15)},
		{"2r1010", int64(10)},
		{"-2r1010", int64(-10)},
		{"36rZZ", int64(1295)},
		{"36rzz", int64(1295)},
		{"16R7f", int64(127)},
		{"8r777", int64(511)},
		{"36rN", int64(23)}, // the N is a digit in radix form
		{"1.0", 1.0},
		{"1.", 1.0},
		{"1.e2", 100.0},
		{"-1.5", -1.5},
		{"+1.5", 1.5},
		{"1e3", 1000.0},
		{"1E3", 1000.0},
		{"1e+21", 1e21},
		{"1.0E-4", 1e-4},
		{"-0.0", math.Copysign(0, -1)},
		{"09.5", 9.5},
		{"09e1", 90.0},
		{"1e400", math.Inf(1)},
		{"-1e400", math.Inf(-1)},
		{"1e-400", 0.0},
		{"1.5M", BigDecimal("1.5")},
		{"1.50M", BigDecimal("1.50")},
		{"-1.50M", BigDecimal("-1.50")},
		{"+2M", BigDecimal("2")},
		{"1.M", BigDecimal("1")},
		{"1.e5M", BigDecimal("1e5")},
		{"1.5E-3M", BigDecimal("1.5E-3")},
		{"1/3", big.NewRat(1, 3)},
		{"-22/7", big.NewRat(-22, 7)},
		{"+1/3", big.NewRat(1, 3)},
		{"2/4", big.NewRat(1, 2)},
		{"4/2", int64(2)},
		{"0/5", int64(0)},
		{"-6/3", int64(-2)},
		{"40000000000000000000/2", rdBig("20000000000000000000")},
		{"007/2", big.NewRat(7, 2)},
		{"[1 2.5 3N]", Vector{int64(1), 2.5, big.NewInt(3)}},
		{"(1)", List{int64(1)}},
		{"[1,2]", Vector{int64(1), int64(2)}},
		{"{1 2}", NewMap(int64(1), int64(2))},
		{"[1\"a\"]", Vector{int64(1), "a"}},
		{"[1:a]", Vector{int64(1), rdKw("a")}},
		{"[1#{}]", Vector{int64(1), NewSet()}},
		{"[1;c\n]", Vector{int64(1)}},
	})
}

func TestReadStrings(t *testing.T) {
	rdRun(t, nil, []rdCase{
		{`""`, ""},
		{`"abc"`, "abc"},
		{`"\t\r\n\\\"\b\f"`, "\t\r\n\\\"\b\f"},
		{`"\u00e9\u0041"`, "éA"},
		{`"\uD83D\uDE00"`, "😀"},
		{`"\ud83d\ude00x"`, "😀x"},
		{`"\ud83d"`, "\uFFFD"},
		{`"\ude00\ud83d"`, "\uFFFD\uFFFD"},
		{`"\101\7 \0"`, "A\a \x00"},
		{`"\377"`, "\u00ff"},
		{`"\12\n"`, "\n\n"}, // a macro character ends a short octal escape
		{`"\1"`, "\x01"},
		{`"\1234"`, "S4"},
		{"\"raw\ttab\nnewline\x00nul\r\"", "raw\ttab\nnewline\x00nul\r"},
		{"\"h\u00e9llo \u0CAC\u0CBE\"", "héllo ಬಾ"},
		{"\"\u2028\u2029\"", "\u2028\u2029"},
		{"\"é\\n\"", "é\n"},
		{"[\"a\" \"b\"]", Vector{"a", "b"}},
	})
}

func TestReadChars(t *testing.T) {
	rdRun(t, nil, []rdCase{
		{`\a`, Char('a')},
		{`\Z`, Char('Z')},
		{`\1`, Char('1')},
		{`\newline`, Char('\n')},
		{`\space`, Char(' ')},
		{`\tab`, Char('\t')},
		{`\return`, Char('\r')},
		{`\backspace`, Char('\b')},
		{`\formfeed`, Char('\f')},
		{`\u00e9`, Char('é')},
		{`\uFFFF`, Char(0xffff)},
		{`\o101`, Char('A')},
		{`\o7`, Char(7)},
		{`\o377`, Char(0xff)},
		{`\u`, Char('u')},
		{`\o`, Char('o')},
		{`\\`, Char('\\')},
		{`\"`, Char('"')},
		{`\(`, Char('(')},
		{`\]`, Char(']')},
		{`\;`, Char(';')},
		{`\@`, Char('@')},
		{`\#`, Char('#')},
		{`\:`, Char(':')},
		{`\ `, Char(' ')},
		{`\,`, Char(',')},
		{"\\\x00", Char(0)},
		{"\\\x00 ", Char(0)},
		{"[\\\x00]", Vector{Char(0)}},
		{`\é`, Char('é')},
		{`\😀`, Char('😀')},
		{"\\\u2028", Char(0x2028)},
		{`[\a \b]`, Vector{Char('a'), Char('b')}},
		{`[\a\b]`, Vector{Char('a'), Char('b')}},
	})
}

func TestReadNames(t *testing.T) {
	rdRun(t, nil, []rdCase{
		{":a", rdKw("a")},
		{":a/b", rdKw("a/b")},
		{":my.app/ev-1", rdKw("my.app/ev-1")},
		{":1", rdKw("1")},
		{":a:b", rdKw("a:b")},
		{":a#b", rdKw("a#b")},
		{":a'b", rdKw("a'b")},
		{":é/ü", rdKw("é/ü")},
		{":a//", rdKw("a//")},
		{":/", rdKw("/")},
		{":+", rdKw("+")},
		{":*?!<>=_-.", rdKw("*?!<>=_-.")},
		{"foo", Symbol("foo")},
		{"my.ns/foo", Symbol("my.ns/foo")},
		{"/", Symbol("/")},
		{"+", Symbol("+")},
		{"-", Symbol("-")},
		{"-a", Symbol("-a")},
		{"+a", Symbol("+a")},
		{"--1", Symbol("--1")},
		{"+-1", Symbol("+-1")},
		{".5", Symbol(".5")},
		{"'x", Symbol("'x")},
		{"a#", Symbol("a#")},
		{"a:b", Symbol("a:b")},
		{"a//", Symbol("a//")},
		{"nil/x", Symbol("nil/x")},
		{"nile", Symbol("nile")},
		{"truex", Symbol("truex")},
		{"λ", Symbol("λ")},
		{"[a b]", Vector{Symbol("a"), Symbol("b")}},
		{"[:a:b]", Vector{rdKw("a:b")}},
		{"nil", nil},
		{"true", true},
		{"false", false},
		{"[nil true false]", Vector{nil, true, false}},
	})
}

func TestReadCollections(t *testing.T) {
	rdRun(t, nil, []rdCase{
		{"[]", Vector{}},
		{"[ ]", Vector{}},
		{"()", List{}},
		{"{}", NewMap()},
		{"#{}", NewSet()},
		{"[1 [2 (3 {4 #{5}})]]", Vector{int64(1), Vector{int64(2), List{int64(3), NewMap(int64(4), NewSet(int64(5)))}}}},
		{"{:a 1, :b 2,}", NewMap(rdKw("a"), int64(1), rdKw("b"), int64(2))},
		{",,[,1,],,", Vector{int64(1)}},
		{"\t\n\r\f\v\x1c\x1d\x1e\x1f 1", int64(1)},
		{"\u2028\u3000\u1680 1", int64(1)},
		{"; comment\n1 ; trailing", int64(1)},
		{"#!shebang comment\n[1 #!x\n 2]", Vector{int64(1), int64(2)}},
		{"[1 ; c ]\n 2]", Vector{int64(1), int64(2)}},
		{"#_1 2", int64(2)},
		{"#_ 1 2", int64(2)},
		{"#_#_1 2 3", int64(3)},
		{"[#_1]", Vector{}},
		{"[1 #_2 3]", Vector{int64(1), int64(3)}},
		{"[1 #_ [2 3] 4]", Vector{int64(1), int64(4)}},
		{"{:a #_:b 1}", NewMap(rdKw("a"), int64(1))},
		{"1 #_2", int64(1)},
		{"1 #_2 ;c\n #_[3]", int64(1)},
		{"#{1 2 [1 2]}", NewSet(int64(1), int64(2), Vector{int64(1), int64(2)})},
		{"#{1 1.0}", NewSet(int64(1), 1.0)},
		{"#{##NaN ##NaN}", NewSet(math.NaN(), math.NaN())},
		{"#:user{:a 1, :b 2}", NewMap(rdKw("user/a"), int64(1), rdKw("user/b"), int64(2))},
		{"#:user {:a 1}", NewMap(rdKw("user/a"), int64(1))},
		{"#:user,{:a 1}", NewMap(rdKw("user/a"), int64(1))},
		{"#:my.app{:a 1 :_/b 2 :x/c 3 d 4 _/e 5 f/g 6 \"s\" 7 8 9}", NewMap(
			rdKw("my.app/a"), int64(1), rdKw("b"), int64(2), rdKw("x/c"), int64(3),
			Symbol("my.app/d"), int64(4), Symbol("e"), int64(5), Symbol("f/g"), int64(6),
			"s", int64(7), int64(8), int64(9))},
		{"#:u{}", NewMap()},
		{"#:u{:a #:v{:b 1}}", NewMap(rdKw("u/a"), NewMap(rdKw("v/b"), int64(1)))},
		{"{:a 1 :b 2 :c 3 :d 4 :e 5 :f 6 :g 7 :h 8 :i 9 :j 10}", NewMap(
			rdKw("a"), int64(1), rdKw("b"), int64(2), rdKw("c"), int64(3), rdKw("d"), int64(4), rdKw("e"), int64(5),
			rdKw("f"), int64(6), rdKw("g"), int64(7), rdKw("h"), int64(8), rdKw("i"), int64(9), rdKw("j"), int64(10))},
	})
}

func TestReadTags(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return tm.UTC()
	}
	rdRun(t, nil, []rdCase{
		{`#inst "1970-01-01T00:00:00.000-00:00"`, utc("1970-01-01T00:00:00Z")},
		{`#inst "2023-11-14T22:13:20.123Z"`, utc("2023-11-14T22:13:20.123Z")},
		{`#inst "2023-11-14T22:13:20.123+01:00"`, utc("2023-11-14T21:13:20.123Z")},
		{`#inst "2023-11-14T22:13:20.123-05:30"`, utc("2023-11-15T03:43:20.123Z")},
		{`#inst "2023-11-14T22:13:20.123456789-00:00"`, utc("2023-11-14T22:13:20.123456789Z")},
		{`#inst "2023-11-14T22:13:20.1234567899Z"`, utc("2023-11-14T22:13:20.123456789Z")},
		{`#inst "2023-11-14T22:13:20.5"`, utc("2023-11-14T22:13:20.5Z")},
		{`#inst "2023-11-14T22:13:20"`, utc("2023-11-14T22:13:20Z")},
		{`#inst "2023-11-14T22:13"`, utc("2023-11-14T22:13:00Z")},
		{`#inst "2023-11-14T22"`, utc("2023-11-14T22:00:00Z")},
		{`#inst "2023-11-14"`, utc("2023-11-14T00:00:00Z")},
		{`#inst "2023-11"`, utc("2023-11-01T00:00:00Z")},
		{`#inst "2023"`, utc("2023-01-01T00:00:00Z")},
		{`#inst "2023Z"`, utc("2023-01-01T00:00:00Z")},
		{`#inst "2020-05:00"`, utc("2020-01-01T05:00:00Z")},    // year, then an offset
		{`#inst "2020-01-05:00"`, utc("2020-01-01T05:00:00Z")}, // year-month, then an offset
		{`#inst "2020-02-29"`, utc("2020-02-29T00:00:00Z")},
		{`#inst "2000-02-29"`, utc("2000-02-29T00:00:00Z")},
		{`#inst "2023-11-14T23:59:60Z"`, utc("2023-11-15T00:00:00Z")}, // leap second
		{`#inst "0000-01-01T00:00:00Z"`, time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{`#inst "9999-12-31T23:59:59.999+23:59"`, utc("9999-12-31T00:00:59.999Z")},
		{`# inst "2023"`, utc("2023-01-01T00:00:00Z")},
		{`#inst #_x "2023"`, utc("2023-01-01T00:00:00Z")},
		{`#uuid "66d96ab4-9834-40db-a3cd-42b361503ab9"`, rdUUID("66d96ab4-9834-40db-a3cd-42b361503ab9")},
		{`#uuid "66D96AB4-9834-40DB-A3CD-42B361503AB9"`, rdUUID("66d96ab4-9834-40db-a3cd-42b361503ab9")},
		{`[#uuid "66d96ab4-9834-40db-a3cd-42b361503ab9" 1]`, Vector{rdUUID("66d96ab4-9834-40db-a3cd-42b361503ab9"), int64(1)}},
	})
	for _, in := range []string{
		`#inst "2021-02-29"`, `#inst "1900-02-29"`, `#inst "2023-13-01"`, `#inst "2023-00-01"`,
		`#inst "2023-11-31"`, `#inst "2023-11-00"`, `#inst "2023-11-14T24:00"`, `#inst "2023-11-14T23:60"`,
		`#inst "2023-11-14T23:58:60Z"`, `#inst "2023-11-14t22:13"`, `#inst "20231114"`, `#inst "23-11-14"`,
		`#inst "2023-11-14T22:13:20.Z"`, `#inst "2023-11-14T22:13:20+24:00"`, `#inst "2023-11-14T22:13:20+01:60"`,
		`#inst "2023-11-14T22:13:20+0100"`, `#inst "2023-11-14T22:13:20z"`, `#inst "2023-11-14 22:13:20Z"`,
		`#inst "2023-1-14"`, `#inst "２０２３"`, `#inst ""`, `#inst 2023`, `#inst #inst "2023"`, `#inst`, `[#inst]`,
		`#uuid "garbage"`, `#uuid "66d96ab4-9834-40db-a3cd-42b361503ab"`, `#uuid 1`, `#uuid`,
		`#uuid "00000000-0000-0000-0000-00-000000000"`, `#uuid "00000000-0000-0000-0000-0000000000-0"`,
		`#uuid "66d96ab4-9834-40db-a3cd-42b361503abg"`, `#uuid "66d96ab4+9834-40db-a3cd-42b361503ab9"`,
		`#my/tag 1`, `#foo [1]`, `#_#my/tag 1 2`, `#1 2`, `#+x 1`, `#my/a/b 1`,
	} {
		v, err := Read([]byte(in), nil)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Read(%q) = %#v, %v; want a *SyntaxError", in, v, err)
		}
	}
	for _, in := range []string{`#uuid "garbage"`, `#uuid "00000000-0000-0000-0000-00-000000000"`} {
		if _, err := Read([]byte(in), nil); !errors.Is(err, ErrBadUUID) {
			t.Errorf("Read(%q): %v, want it to wrap ErrBadUUID", in, err)
		}
	}
}

func TestReadCustomTags(t *testing.T) {
	errOdd := errors.New("odd point")
	opts := &ReadOptions{Tags: map[Symbol]func(any) (any, error){
		"my.app/point": func(v any) (any, error) {
			vec, ok := v.(Vector)
			if !ok || len(vec) != 2 {
				return nil, errOdd
			}
			return [2]any{vec[0], vec[1]}, nil
		},
		"inst": func(v any) (any, error) { return "inst:" + v.(string), nil },
	}}
	v, err := Read([]byte(`[#my.app/point [1 2] #inst "x"]`), opts)
	if err != nil {
		t.Fatal(err)
	}
	got := v.(Vector)
	if p, ok := got[0].([2]any); !ok || p[0] != int64(1) || p[1] != int64(2) {
		t.Errorf("point = %#v", got[0])
	}
	if got[1] != "inst:x" {
		t.Errorf("a registered inst reader should replace the built-in one, got %#v", got[1])
	}
	_, err = Read([]byte(`#my.app/point [1]`), opts)
	var se *SyntaxError
	if !errors.As(err, &se) || !errors.Is(err, errOdd) || se.Offset != 0 {
		t.Errorf("failing tag reader: %v, want a *SyntaxError at 0 wrapping its error", err)
	}
	if _, err := Read([]byte(`#my.app/other 1`), opts); err == nil {
		t.Error("unregistered tag read without KeepUnknownTags")
	}

	keep := &ReadOptions{KeepUnknownTags: true}
	rdRun(t, keep, []rdCase{
		{`#my/tag 1`, Tagged{Tag: "my/tag", Value: int64(1)}},
		{`#my.ns.Rec{:a 1}`, Tagged{Tag: "my.ns.Rec", Value: NewMap(rdKw("a"), int64(1))}},
		{`#a #b [1]`, Tagged{Tag: "a", Value: Tagged{Tag: "b", Value: Vector{int64(1)}}}},
		{`#my/t #inst "2020"`, Tagged{Tag: "my/t", Value: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{`#é 1`, Tagged{Tag: "é", Value: int64(1)}},
	})
	for _, in := range []string{`#?(:clj 1)`, `#'x`, `#(inc %)`, `#=(+ 1 2)`, `#<x>`, `#"x"`, `#1 2`, `#object[x]`} {
		if v, err := Read([]byte(in), keep); err == nil {
			t.Errorf("Read(%q) with KeepUnknownTags = %#v, want an error", in, v)
		}
	}
}

// TestReadErrors lists inputs the reader must refuse, with the kind of error.
func TestReadErrors(t *testing.T) {
	syntax := []string{
		// PROTOCOL §14.8 bad packages
		`[[:my-app/save {:a}] nil]`,
		`[[:my-app/save {:a 1 :a 2}] nil]`,
		`[[:my-app/save #{1 1}] nil]`,
		`[[:my-app/save #my/tag 1] nil]`,
		`[[:my-app/save "abc] nil]`,
		`[[:my-app/save #"a+"] nil]`,
		`[[:my-app/save #object[java.time.Instant 0x1 "x"]] nil]`,
		`+[[:my-app/save 1]`[1:],
		// blank input
		"", " ", "   ", "\t\n", ",,", "; just a comment", "#!shebang", "\u2028",
		// unterminated
		"[1 2", "(", "{", "#{", `"`, `"abc\`, `\`, "#", ":", "#_", "[#_]", "#_ ", "#:", "##", "#:ns", "#:ns ",
		"[1 #_", `"\u12`,
		// unbalanced
		"]", ")", "}", "[1 2)", "{:a 1]", "(]", "#{1]",
		// not EDN
		"^:m [1]", "#^:m [1]", "^", "@x", "`x", "~x", "a@b", "a~b", "[a`b]", "#(inc %)", "#?(:clj 1)",
		"#?@(:clj [1])", "#'x", "#=(+ 1 2)", "#<obj>", "#\"re\"",
		// names
		"::x", ":a/b/c", "a/b/c", ": a", ":a:", "a:", "/a", "a/", ":a/", ":a/1", "a/1", ":a::b", "::", ":",
		":/a", "a:/b", ":@a", "#:a/b{}", "#::{}", "#::a{}", "#:{:a 1}", "#: a{}", "#:a [1]", "#:a{:b}", "#:/{}",
		"#:a{:b 1 :a/b 2}", "#:a{:b 1 b 2 :b 3}",
		// symbolic values
		"##foo", "##inf", "##", "## ", "##[Inf]", "##Inf/x",
		// numbers
		"1a", "09", "0x", "0xG", "1/0", "1/-2", "1.5/2", "2r102", "37r1", "1r0", "0r0", "100r1", "1e", "1.5e+", "1.2.3",
		"1N5", "1.5N", "1/2N", "1/2M", "1/2/3", "-1a", "1@", "1'", "0x1.5", "1e5N", "1.5MM",
		"١٢", "+١", "x\xff",
		// strings
		`"\x"`, `"\u12"`, `"\u12G4"`, `"\400"`, `"\8"`, `"\9"`, `"\1a"`, `"\u12 4"`, `"\U0041"`, `"\a"`, `"\ "`,
		"\"\\é\"",
		// characters
		`\abc`, `\u12`, `\u12345`, `\uD800`, `\udfff`, `\o400`, `\o1234`, `\o8`, `\newlinex`, `\ab@`, `\uGGGG`,
		// duplicates
		"{[1] 1 (1) 2}", "#{[1] (1)}", "#{1 1N}", `{"a" 1 "a" 2}`, "#{:a :b :a}", "{nil 1 nil 2}",
		"{:a 1 :b 2 :c 3 :d 4 :e 5 :f 6 :g 7 :h 8 :i 9 :a 10}",
		"#{1 2 3 4 5 6 7 8 9 10 1}",
		// trailing data for Read
		"1 2", "[1] ]", "[1] x", "nil nil", "1 #_", `"a" "b"`, ":has space",
		// invalid UTF-8
		"\"\xff\"", "\"a\xc3\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\xff", ":\xff", ":a\xc3", "a\xc3", "\\\xff",
		"; \xff\n1", "#! \xff\n1", "[1 \xed\xa0\x80]", "#:\xff{}", "#\xff 1", "##\xff", "1\xff",
		"1 ; \xff",
	}
	for _, in := range syntax {
		v, err := Read([]byte(in), nil)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Read(%q) = %#v, %v; want a *SyntaxError", in, v, err)
			continue
		}
		if se.Offset < 0 || se.Offset > len(in) {
			t.Errorf("Read(%q): offset %d out of range", in, se.Offset)
		}
		if !strings.HasPrefix(se.Error(), "edn: ") || !strings.Contains(se.Error(), " at offset ") {
			t.Errorf("Read(%q): message %q", in, se.Error())
		}
	}
}

func TestReadErrorDetails(t *testing.T) {
	cases := []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, "unexpected EOF"},
		{"   ", 3, "unexpected EOF"},
		{"[1 2", 4, "EOF while reading a vector"},
		{`[:a "bc`, 4, "EOF while reading a string"},
		{"[1 2)", 4, "unmatched delimiter )"},
		{"{:a 1 :a 2}", 0, "duplicate map key :a"},
		{"[#{1 1}]", 1, "duplicate set element 1"},
		{"[1 {:a}]", 3, "even number of forms"},
		{"[#my/tag 1]", 1, "no reader function for tag my/tag"},
		{"1 2", 2, "unexpected data after the form"},
		{"\"ab\xff\"", 3, "invalid UTF-8 in string"},
	}
	for _, c := range cases {
		_, err := Read([]byte(c.in), nil)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != c.offset || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("Read(%q) = %v; want offset %d and %q", c.in, err, c.offset, c.msg)
		}
	}
}

func TestReadPrefix(t *testing.T) {
	cases := []struct {
		in   string
		want any
		n    int
	}{
		{"[[:a/b 1] nil] garbage", Vector{Vector{rdKw("a/b"), int64(1)}, nil}, 14},
		{"[[:my-app/save 1] nil] ]]] trailing", Vector{Vector{rdKw("my-app/save"), int64(1)}, nil}, 22},
		{"  42 x", int64(42), 4},
		{"foo(bar)", Symbol("foo"), 3},
		{`"a"b`, "a", 3},
		{"+[[:a/b]]", Symbol("+"), 1},
		{"-[:a/b]", Symbol("-"), 1},
		{"1]]]", int64(1), 1},
		{"#_x 1 rest", int64(1), 5},
		{"nil", nil, 3},
		{"1 \xff", int64(1), 1},
		{"1 2", int64(1), 1},
		{"; c\n:k ;", rdKw("k"), 6},
		{"\\a\\b", Char('a'), 2},
		{"{:a 1}{", NewMap(rdKw("a"), int64(1)), 6},
	}
	for _, c := range cases {
		v, n, err := ReadPrefix([]byte(c.in), nil)
		if err != nil {
			t.Errorf("ReadPrefix(%q): %v", c.in, err)
			continue
		}
		rdSame(t, fmt.Sprintf("ReadPrefix(%q)", c.in), c.want, v)
		if n != c.n {
			t.Errorf("ReadPrefix(%q) consumed %d bytes, want %d", c.in, n, c.n)
		}
	}
	for _, in := range []string{"", "  ", "[", "]", "#_1", "#my/tag 1 2"} {
		if v, n, err := ReadPrefix([]byte(in), nil); err == nil {
			t.Errorf("ReadPrefix(%q) = %#v, %d; want an error", in, v, n)
		}
	}
}

func wantLimit(tb testing.TB, err error, limit string, max int) *LimitError {
	tb.Helper()
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != limit || le.Max != max {
		tb.Errorf("got %v, want a %s *LimitError with Max %d", err, limit, max)
		return nil
	}
	if !strings.HasPrefix(le.Error(), "edn: "+limit+" limit ") {
		tb.Errorf("message %q", le.Error())
	}
	return le
}

func TestReadLimits(t *testing.T) {
	nest := func(open, center, close string, n int) string {
		return strings.Repeat(open, n) + center + strings.Repeat(close, n)
	}
	read := func(in string, opts *ReadOptions) error {
		_, err := Read([]byte(in), opts)
		return err
	}
	t.Run("depth", func(t *testing.T) {
		for _, c := range []struct {
			open, center, close string
			opts                *ReadOptions
			max                 int
		}{
			{"[", "", "]", nil, DefaultMaxDepth},
			{"(", "", ")", nil, DefaultMaxDepth},
			{"{:k ", "1", "}", nil, DefaultMaxDepth},
			{"#{", "", "}", nil, DefaultMaxDepth},
			{"#:a{:k ", "1", "}", nil, DefaultMaxDepth},
			{"[", "", "]", &ReadOptions{MaxDepth: 3}, 3},
			{"#_ ", "0", " 1", &ReadOptions{MaxDepth: 3}, 3},
			{"#a ", "1", "", &ReadOptions{MaxDepth: 3, KeepUnknownTags: true}, 3},
			{"#inst ", `"2020"`, "", &ReadOptions{MaxDepth: 1}, 1},
		} {
			ok := nest(c.open, c.center, c.close, c.max)
			bad := nest(c.open, c.center, c.close, c.max+1)
			if err := read(ok, c.opts); err != nil {
				t.Errorf("%d levels of %q: %v", c.max, c.open, err)
			}
			wantLimit(t, read(bad, c.opts), "depth", c.max)
		}
		if err := read("[#{(#_1 2)}]", &ReadOptions{MaxDepth: 3}); err == nil {
			t.Error("a discard inside three collections should count as a fourth level")
		}
		if err := read("[#{(#_[] 2)}]", &ReadOptions{MaxDepth: 4}); err == nil {
			t.Error("a vector discarded inside three collections should count as a fifth level")
		}
		// A huge MaxDepth is capped, so that the stack stays bounded.
		deep := strings.Repeat("[", maxDepthCeiling+1)
		wantLimit(t, read(deep, &ReadOptions{MaxDepth: 1 << 40}), "depth", maxDepthCeiling)
	})
	t.Run("elements", func(t *testing.T) {
		opts := &ReadOptions{MaxElements: 3}
		for _, in := range []string{"[1 2 3]", "(1 2 3)", "#{1 2 3}", "{:a 1 :b 2 :c 3}", "[1 2 3 #_4]", "#:n{:a 1 :b 2 :c 3}",
			"[[1 2 3] [1 2 3] [1 2 3]]"} {
			if err := read(in, opts); err != nil {
				t.Errorf("Read(%q): %v", in, err)
			}
		}
		for _, in := range []string{"[1 2 3 4]", "(1 2 3 4)", "#{1 2 3 4}", "{:a 1 :b 2 :c 3 :d 4}", "{:a 1 :b 2 :c 3 :d}",
			"#:n{:a 1 :b 2 :c 3 :d 4}", "[[1 2 3 4]]"} {
			wantLimit(t, read(in, opts), "elements", 3)
		}
		le := wantLimit(t, read("[1 2 3 4 5 6]", opts), "elements", 3)
		if le != nil && le.Offset != 7 {
			t.Errorf("offset %d, want 7 (the fourth element)", le.Offset)
		}
	})
	t.Run("digits", func(t *testing.T) {
		opts := &ReadOptions{MaxDigits: 10}
		for _, in := range []string{"1234567890", "-1234567890", "+1234567890", "1234567890N", "0x123456789", "0123456701",
			"0123456789.", "12345.67890", "-1.23456789e0", "1.2345678E+0", "12345/67890", "36r12345678", "1e10M", "1.5e-10M",
			"123456789.0M", "0.5e+00000007M"} {
			if err := read(in, opts); err != nil {
				t.Errorf("Read(%q): %v", in, err)
			}
		}
		for _, in := range []string{"12345678901", "-12345678901", "12345678901N", "0x1234567890", "01234567012", "0.5e+000000000000000000000000007M",
			"12345.678901", "1.234567890e1", "123456/67890", "36r123456789", "1e11M", "1e-11M", "1e99999999999999999999M",
			"1234567890.1M", "12345678901234567890123"} {
			wantLimit(t, read(in, opts), "digits", 10)
		}
		full := strings.Repeat("7", DefaultMaxDigits)
		v, err := Read([]byte(full), nil)
		if err != nil {
			t.Fatalf("%d digits: %v", DefaultMaxDigits, err)
		}
		if n, ok := v.(*big.Int); !ok || n.String() != full {
			t.Errorf("%d digits read as %T", DefaultMaxDigits, v)
		}
		wantLimit(t, read(full+"7", nil), "digits", DefaultMaxDigits)
		wantLimit(t, read("0."+full, nil), "digits", DefaultMaxDigits)
	})
	t.Run("bytes", func(t *testing.T) {
		opts := &ReadOptions{MaxBytes: 10}
		if err := read("[1 2 3 4 ]", opts); err != nil {
			t.Errorf("10 bytes: %v", err)
		}
		wantLimit(t, read("[1 2 3 4  ]", opts), "bytes", 10)
		_, _, err := ReadPrefix([]byte("[1 2 3 4] x"), opts)
		wantLimit(t, err, "bytes", 10)
	})
}

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestReadHostile feeds inputs meant to exhaust memory or stack. Each must
// fail with a bounded allocation, stopping early where a limit allows it.
func TestReadHostile(t *testing.T) {
	big := &ReadOptions{MaxBytes: 64 << 20}
	cases := []struct {
		name  string
		in    []byte
		opts  *ReadOptions
		limit string // "" for a *SyntaxError
		early bool   // the error must come within the first 64 KiB
	}{
		{"10MB of [", bytes.Repeat([]byte("["), 10<<20), big, "depth", true},
		{"10MB of (", bytes.Repeat([]byte("("), 10<<20), big, "depth", true},
		{"10MB of #{", bytes.Repeat([]byte("#{"), 5<<20), big, "depth", true},
		{"10MB of {:a", bytes.Repeat([]byte("{:a "), 5<<20/2), big, "depth", true},
		{"#:a{:b nesting", bytes.Repeat([]byte("#:a{:b "), 1<<20), big, "depth", true},
		{"#inst chain", bytes.Repeat([]byte("#inst "), 1<<20), big, "depth", true},
		{"unknown tag chain", bytes.Repeat([]byte("#a "), 1<<20), &ReadOptions{MaxBytes: 64 << 20, KeepUnknownTags: true}, "depth", true},
		{"#_ chain", bytes.Repeat([]byte("#_"), 1<<20), big, "depth", true},
		{"[#_ chain", bytes.Repeat([]byte("[#_"), 1<<20), big, "depth", true},
		{"10MB of [ within MaxBytes", bytes.Repeat([]byte("["), 10<<20), nil, "bytes", true},
		{"1M-digit integer", bytes.Repeat([]byte("9"), 1<<20), nil, "digits", true},
		{"1M-digit float", append([]byte("1."), bytes.Repeat([]byte("9"), 1<<20)...), nil, "digits", true},
		{"1M-digit ratio", append([]byte("1/"), bytes.Repeat([]byte("9"), 1<<20)...), nil, "digits", true},
		{"huge BigDecimal exponent", []byte("1e999999999M"), nil, "digits", true},
		{"10MB unterminated string", append([]byte(`"`), bytes.Repeat([]byte("a"), 10<<20)...), big, "", false},
		{"10MB symbol with a bad byte", append(bytes.Repeat([]byte("a"), 10<<20), 0xff), big, "", false},
		{"bogus #uuid", []byte(`#uuid "garbage"`), nil, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = Read(c.in, c.opts) })
			if c.limit != "" {
				var le *LimitError
				if !errors.As(err, &le) || le.Limit != c.limit {
					t.Fatalf("got %v, want a %s *LimitError", err, c.limit)
				}
				if c.early && le.Offset > 64<<10 && c.limit != "bytes" {
					t.Errorf("limit noticed at offset %d, want early", le.Offset)
				}
			} else {
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("got %v, want a *SyntaxError", err)
				}
			}
			if n > 256<<10 {
				t.Errorf("allocated %d bytes", n)
			}
		})
	}
	t.Run("100MB value", func(t *testing.T) {
		in := bytes.Repeat([]byte(`"abcdefgh" `), 100<<20/11)
		in[0] = '['
		var err error
		allocs := testing.AllocsPerRun(3, func() { _, err = Read(in, nil) })
		wantLimit(t, err, "bytes", DefaultMaxBytes)
		if allocs > 1 && !raceEnabled {
			t.Errorf("%v allocations to refuse it", allocs)
		}
	})
}

// TestReadInterned checks the keyword and symbol caches: repeated names cost
// nothing, and many distinct names, which evict each other, still read right.
func TestReadInterned(t *testing.T) {
	in := []byte(":app/chat")
	if _, err := Read(in, nil); err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(100, func() { _, _ = Read(in, nil) }); allocs >= 1 && !raceEnabled {
		t.Errorf("reading a cached keyword allocates %v times", allocs)
	}
	// Two names that share a pair of slots both stay cached.
	byPair := map[uint64]string{}
	var a, b string
	for i := 0; a == ""; i++ {
		name := fmt.Sprintf("pair/k%d", i)
		p := internPair([]byte(name))
		if other, ok := byPair[p]; ok {
			a, b = other, name
		}
		byPair[p] = name
	}
	ab := []byte(fmt.Sprintf("[:%s :%s]", a, b))
	if _, err := Read(ab, nil); err != nil {
		t.Fatal(err)
	}
	// Only the vector itself may allocate: its elements and its box.
	if allocs := testing.AllocsPerRun(100, func() { _, _ = Read(ab, nil) }); allocs > 2 && !raceEnabled {
		t.Errorf("reading two keywords of one slot pair allocates %v times", allocs)
	}
	long := ":" + strings.Repeat("k", internMaxLen+1)
	for i := range 3 * internSlots {
		for _, text := range []string{fmt.Sprintf(":ns%d/k%d", i%7, i), fmt.Sprintf("sym%d", i), long, long[1:]} {
			v, err := Read([]byte(text), nil)
			if err != nil {
				t.Fatal(err)
			}
			var want any = Symbol(text)
			if text[0] == ':' {
				want = Keyword(text[1:])
			}
			if v != want {
				t.Fatalf("Read(%q) = %#v", text, v)
			}
		}
	}
}

// TestReadConcurrent reads from many goroutines at once, so that the race
// detector sees the shared caches and pools.
func TestReadConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				text := fmt.Sprintf(`[[:g%d/ev%d {:k%d %d, sym%d "v"}] nil]`, g, i%300, i%50, i, i%70)
				v, err := Read([]byte(text), nil)
				if err != nil {
					t.Error(err)
					return
				}
				ev := v.(Vector)[0].(Vector)
				want := Vector{Keyword(fmt.Sprintf("g%d/ev%d", g, i%300)),
					NewMap(Keyword(fmt.Sprintf("k%d", i%50)), int64(i), Symbol(fmt.Sprintf("sym%d", i%70)), "v")}
				if !Equal(ev, want) {
					t.Errorf("Read(%q) = %#v", text, ev)
					return
				}
			}
		})
	}
	wg.Wait()
}
