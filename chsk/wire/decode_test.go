package wire

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

type decUser struct {
	ID     int64             `edn:"id"`
	Name   string            // :name
	UserID string            // :user-id
	Email  *string           `edn:",omitempty"`
	Tags   []Keyword         // :tags
	Prefs  map[string]any    // :prefs
	Ns     int               `edn:"my.app/ns"`
	Skip   int               `edn:"-"`
	Seen   time.Time         // :seen
	Scores map[Keyword]int64 // :scores
	hidden int
}

type decBase struct {
	Kind string
	Base int
}

type decWithEmbedded struct {
	decBase
	*DecPtrBase
	Own int
}

type DecPtrBase struct{ Extra string }

func TestDecodeScalars(t *testing.T) {
	u := mustUUID("66d96ab4-9834-40db-a3cd-42b361503ab9")
	when := time.UnixMilli(1700000000123).UTC()
	tests := []struct {
		name string
		src  any
		dst  any // pointer to a zero value of the destination type
		want any // the value dst should then point to
	}{
		{"bool", true, new(bool), true},
		{"int", int64(-5), new(int), -5},
		{"int8 max", int64(127), new(int8), int8(127)},
		{"uint16", int64(65535), new(uint16), uint16(65535)},
		{"uint64 from bigint", bigInt("18446744073709551615"), new(uint64), uint64(math.MaxUint64)},
		{"int64 from bigint", big.NewInt(-9), new(int64), int64(-9)},
		{"int from Go int", int16(7), new(int), 7},
		{"int from Go uint64", uint64(7), new(int32), int32(7)},
		{"named int", int64(3), new(myInt), myInt(3)},
		{"float64", 1.5, new(float64), 1.5},
		{"float64 from int", int64(3), new(float64), 3.0},
		{"float64 from bigint", big.NewInt(1 << 60), new(float64), float64(1 << 60)},
		{"float64 from ratio", big.NewRat(1, 4), new(float64), 0.25},
		{"float64 from BigDecimal", BigDecimal("2.50"), new(float64), 2.5},
		{"float32", 0.5, new(float32), float32(0.5)},
		{"float32 from float32", float32(0.1), new(float32), float32(0.1)},
		{"float32 inf", math.Inf(1), new(float32), float32(math.Inf(1))},
		{"string", "héllo", new(string), "héllo"},
		{"named string", "x", new(myString), myString("x")},
		{"keyword", Keyword("a/b"), new(Keyword), Keyword("a/b")},
		{"keyword from string", "a/b", new(Keyword), Keyword("a/b")},
		{"keyword from symbol", Symbol("s"), new(Keyword), Keyword("s")},
		{"symbol", Symbol("my.ns/f"), new(Symbol), Symbol("my.ns/f")},
		{"symbol from keyword", Keyword("k"), new(Symbol), Symbol("k")},
		{"symbol from string", "s", new(Symbol), Symbol("s")},
		{"char", Char('λ'), new(Char), Char('λ')},
		{"char from 1-char string", "é", new(Char), Char('é')},
		{"uuid", u, new(UUID), u},
		{"uuid from string", "66D96AB4-9834-40DB-A3CD-42B361503AB9", new(UUID), u},
		{"time", when, new(time.Time), when},
		{"BigDecimal", BigDecimal("1.50"), new(BigDecimal), BigDecimal("1.50")},
		{"BigDecimal from int", int64(-3), new(BigDecimal), BigDecimal("-3")},
		{"BigDecimal from bigint", bigInt("99999999999999999999"), new(BigDecimal), BigDecimal("99999999999999999999")},
		{"*big.Int", int64(42), new(*big.Int), big.NewInt(42)},
		{"*big.Int from bigint", bigInt("99999999999999999999"), new(*big.Int), bigInt("99999999999999999999")},
		{"big.Int value", int64(42), new(big.Int), *big.NewInt(42)},
		{"*big.Rat", big.NewRat(-22, 7), new(*big.Rat), big.NewRat(-22, 7)},
		{"*big.Rat from int", int64(2), new(*big.Rat), big.NewRat(2, 1)},
		{"*big.Rat from BigDecimal", BigDecimal("0.25"), new(*big.Rat), big.NewRat(1, 4)},
		{"tagged", Tagged{Tag: "t", Value: int64(1)}, new(Tagged), Tagged{Tag: "t", Value: int64(1)}},
		{"raw", Vector{Keyword("a/b"), int64(1)}, new(Raw), Raw("[:a/b 1]")},
		{"raw from struct", decBase{Kind: "k"}, new(Raw), Raw(`{:kind "k", :base 0}`)},
		{"pointer", int64(1), new(*int), ptr(1)},
		{"pointer to pointer", "s", new(**string), ptr(ptr("s"))},
		{"nil into pointer", nil, ptr(ptr(5)), (*int)(nil)},
		{"nil into int", nil, ptr(5), 0},
		{"nil into slice", nil, &[]int{1}, []int(nil)},
		{"nil into any", nil, ptr[any](1), nil},
		{"any keeps model value", NewSet(int64(1)), new(any), NewSet(int64(1))},
		{"any keeps Go value", []int{1}, new(any), []int{1}},
		{"event", Vector{Keyword("app/x"), NewMap()}, new(Event), Event{ID: "app/x", Data: NewMap()}},
		{"event without data", List{Keyword("chsk/ws-ping")}, new(Event), Event{ID: "chsk/ws-ping"}},
		{"event from event", Event{ID: "a/b", Data: int64(1)}, new(Event), Event{ID: "a/b", Data: int64(1)}},
		{"*Map", NewMap(Keyword("a"), int64(1)), new(*Map), NewMap(Keyword("a"), int64(1))},
		{"*Map from Go map", map[string]int{"a": 1}, new(*Map), NewMap("a", 1)},
		{"*Map from struct", decBase{Kind: "k", Base: 2}, new(*Map), NewMap(Keyword("kind"), "k", Keyword("base"), 2)},
		{"*Set", NewSet(int64(1)), new(*Set), NewSet(int64(1))},
		{"interface satisfied", Keyword("k"), new(interface{ String() string }), Keyword("k")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Decode(tt.src, tt.dst); err != nil {
				t.Fatal(err)
			}
			got := reflect.ValueOf(tt.dst).Elem().Interface()
			if !decodedEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// decodedEqual compares decoded values: model values by Equal, big numbers
// by value, the rest with reflect.DeepEqual.
func decodedEqual(got, want any) bool {
	switch w := want.(type) {
	case *big.Int:
		g, ok := got.(*big.Int)
		return ok && g.Cmp(w) == 0
	case big.Int:
		g, ok := got.(big.Int)
		return ok && g.Cmp(&w) == 0
	case *big.Rat:
		g, ok := got.(*big.Rat)
		return ok && g.Cmp(w) == 0
	case *Map, *Set, Tagged:
		return Equal(got, want)
	case Event:
		g, ok := got.(Event)
		return ok && g.ID == w.ID && Equal(g.Data, w.Data)
	case time.Time:
		g, ok := got.(time.Time)
		return ok && g.Equal(w)
	}
	return reflect.DeepEqual(got, want)
}

func TestDecodeCollections(t *testing.T) {
	var ints []int
	if err := Decode(Vector{int64(1), int64(2)}, &ints); err != nil || !reflect.DeepEqual(ints, []int{1, 2}) {
		t.Errorf("[]int = %v, %v", ints, err)
	}
	var fromList []string
	if err := Decode(List{"a"}, &fromList); err != nil || !reflect.DeepEqual(fromList, []string{"a"}) {
		t.Errorf("[]string from list = %v, %v", fromList, err)
	}
	var fromSet []Keyword
	if err := Decode(NewSet(Keyword("a"), Keyword("b")), &fromSet); err != nil || !reflect.DeepEqual(fromSet, []Keyword{"a", "b"}) {
		t.Errorf("[]Keyword from set = %v, %v", fromSet, err)
	}
	var fromGoSlice []float64
	if err := Decode([]int{1, 2}, &fromGoSlice); err != nil || !reflect.DeepEqual(fromGoSlice, []float64{1, 2}) {
		t.Errorf("[]float64 from []int = %v, %v", fromGoSlice, err)
	}
	var vec Vector
	if err := Decode(List{int64(1), "x"}, &vec); err != nil || !Equal(vec, Vector{int64(1), "x"}) {
		t.Errorf("Vector from list = %v, %v", vec, err)
	}
	var arr [2]int
	if err := Decode([]any{int64(1), int64(2)}, &arr); err != nil || arr != [2]int{1, 2} {
		t.Errorf("[2]int = %v, %v", arr, err)
	}
	var nested [][]int
	if err := Decode(Vector{Vector{int64(1)}, Vector{}}, &nested); err != nil || !reflect.DeepEqual(nested, [][]int{{1}, {}}) {
		t.Errorf("[][]int = %v, %v", nested, err)
	}

	m := NewMap(Keyword("a"), int64(1), Keyword("my.ns/b"), int64(2), "c", int64(3))
	var strMap map[string]int
	if err := Decode(m, &strMap); err != nil || !reflect.DeepEqual(strMap, map[string]int{"a": 1, "my.ns/b": 2, "c": 3}) {
		t.Errorf("map[string]int = %v, %v", strMap, err)
	}
	var kwMap map[Keyword]int
	if err := Decode(m, &kwMap); err != nil || !reflect.DeepEqual(kwMap, map[Keyword]int{"a": 1, "my.ns/b": 2, "c": 3}) {
		t.Errorf("map[Keyword]int = %v, %v", kwMap, err)
	}
	var anyMap map[any]any
	if err := Decode(m, &anyMap); err != nil || anyMap[Keyword("a")] != int64(1) || anyMap["c"] != int64(3) {
		t.Errorf("map[any]any = %v, %v", anyMap, err)
	}
	intKeys := map[int]string{9: "keep"}
	if err := Decode(NewMap(int64(1), "one"), &intKeys); err != nil || !reflect.DeepEqual(intKeys, map[int]string{1: "one", 9: "keep"}) {
		t.Errorf("map[int]string = %v, %v", intKeys, err)
	}
	var vecKeys map[[2]int]bool
	if err := Decode(NewMap(Vector{int64(1), int64(2)}, true), &vecKeys); err != nil || !vecKeys[[2]int{1, 2}] {
		t.Errorf("map[[2]int]bool = %v, %v", vecKeys, err)
	}
}

func TestDecodeStruct(t *testing.T) {
	when := time.UnixMilli(1700000000000)
	src := NewMap(
		Keyword("id"), int64(7),
		Keyword("name"), "Ann",
		"user-id", "u7", // string keys work too
		Keyword("email"), "a@b.c",
		Keyword("tags"), Vector{Keyword("x"), "y"},
		Keyword("prefs"), NewMap(Keyword("dark"), true),
		Keyword("my.app/ns"), int64(3),
		Keyword("skip"), int64(9),
		Keyword("seen"), when,
		Keyword("scores"), NewMap(Keyword("a"), int64(1)),
		Keyword("hidden"), int64(5),
		Keyword("unknown"), Vector{},
		int64(1), "non-name keys are ignored",
	)
	var u decUser
	if err := Decode(src, &u); err != nil {
		t.Fatal(err)
	}
	want := decUser{
		ID: 7, Name: "Ann", UserID: "u7", Email: ptr("a@b.c"), Tags: []Keyword{"x", "y"},
		Prefs: map[string]any{"dark": true}, Ns: 3, Seen: when, Scores: map[Keyword]int64{"a": 1},
	}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("got  %+v\nwant %+v", u, want)
	}

	// Fields without a key keep their value.
	keep := decBase{Kind: "old", Base: 1}
	if err := Decode(NewMap(Keyword("base"), int64(2)), &keep); err != nil || keep != (decBase{Kind: "old", Base: 2}) {
		t.Errorf("partial decode = %+v, %v", keep, err)
	}

	// Embedded structs are flattened, pointers allocated.
	var e decWithEmbedded
	if err := Decode(NewMap(Keyword("kind"), "k", Keyword("base"), int64(1), Keyword("extra"), "x", Keyword("own"), int64(2)), &e); err != nil {
		t.Fatal(err)
	}
	if e.Kind != "k" || e.Base != 1 || e.DecPtrBase == nil || e.Extra != "x" || e.Own != 2 {
		t.Errorf("embedded = %+v", e)
	}

	// A struct source goes through its map form, so struct → other struct works.
	var pb DecPtrBase
	if err := Decode(struct{ Extra, Other string }{"e", "o"}, &pb); err != nil || pb.Extra != "e" {
		t.Errorf("struct to struct = %+v, %v", pb, err)
	}
	// A pointer to a struct, into a pointer field.
	var holder struct{ B *decBase }
	if err := Decode(NewMap(Keyword("b"), &decBase{Kind: "p"}), &holder); err != nil || holder.B == nil || holder.B.Kind != "p" {
		t.Errorf("pointer field = %+v, %v", holder, err)
	}
	// Printing and decoding agree on names.
	b, err := Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var back decUser
	if err := Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	back.Seen, want.Seen = back.Seen.UTC(), want.Seen.UTC()
	if !reflect.DeepEqual(back, want) {
		t.Errorf("round trip through %s\ngot  %+v\nwant %+v", b, back, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  any
		dst  any
		path string
	}{
		{"float into int", 1.0, new(int), ""},
		{"string into int", "1", new(int), ""},
		{"int overflow int8", int64(128), new(int8), ""},
		{"bigint overflow int64", bigInt("9223372036854775808"), new(int64), ""},
		{"negative into uint", int64(-1), new(uint), ""},
		{"bigint overflow uint64", bigInt("18446744073709551616"), new(uint64), ""},
		{"overflow uint8", int64(256), new(uint8), ""},
		{"float32 overflow", 1e300, new(float32), ""},
		{"string into float", "1.5", new(float64), ""},
		{"keyword into string", Keyword("a"), new(string), ""},
		{"int into bool", int64(1), new(bool), ""},
		{"nil-like string into bool", "false", new(bool), ""},
		{"int into keyword", int64(1), new(Keyword), ""},
		{"2-char string into char", "ab", new(Char), ""},
		{"empty string into char", "", new(Char), ""},
		{"int into char", int64(97), new(Char), ""},
		{"bad uuid text", "nope", new(UUID), ""},
		{"string into time", "2020-01-01", new(time.Time), ""},
		{"float into BigDecimal", 1.5, new(BigDecimal), ""},
		{"float into *big.Int", 1.0, new(*big.Int), ""},
		{"float into *big.Rat", 0.5, new(*big.Rat), ""},
		{"vector into *Map", Vector{}, new(*Map), ""},
		{"Map value dst", NewMap(), new(Map), ""},
		{"map into slice", NewMap(), new([]int), ""},
		{"vector into map", Vector{}, new(map[string]int), ""},
		{"vector into struct", Vector{}, new(decBase), ""},
		{"array length", Vector{int64(1)}, new([2]int), ""},
		{"element", Vector{int64(1), "x"}, new([]int), "[1]"},
		{"struct field", NewMap(Keyword("user"), NewMap(Keyword("id"), "x")), new(struct{ User decUser }), ".user.id"},
		{"nested element", NewMap(Keyword("tags"), Vector{Keyword("a"), int64(2)}), new(decUser), ".tags[1]"},
		{"map value", NewMap(Keyword("a"), "x"), new(map[string]int), ".a"},
		{"map string key", NewMap("k", "x"), new(map[string]int), `["k"]`},
		{"map key", NewMap("k", int64(1)), new(map[int]int), `["k"]{key}`},
		{"event not a vector", NewMap(), new(Event), ""},
		{"event id not namespaced", Vector{Keyword("x")}, new(Event), ""},
		{"event too long", Vector{Keyword("a/b"), int64(1), int64(2)}, new(Event), ""},
		{"interface not satisfied", int64(1), new(interface{ String() string }), ""},
		{"chan source", make(chan int), new(any), ""},
		{"chan source into int", make(chan int), new(int), ""},
		{"bytes source into vector", []byte{1}, new([]int), ""},
		{"unprintable into Raw", Keyword("a b"), new(Raw), ""},
		{"bad raw source", Raw("[1"), new([]int), ""},
		{"non-pointer dst", int64(1), 0, ""},
		{"nil dst", int64(1), nil, ""},
		{"nil pointer dst", int64(1), (*int)(nil), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Decode(tt.src, tt.dst)
			if tt.name == "chan source" {
				// into any, every value is kept as it is
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode error = %v, want *DecodeError", err)
			}
			if de.Path != tt.path {
				t.Errorf("path = %q, want %q (%v)", de.Path, tt.path, err)
			}
			if !strings.HasPrefix(err.Error(), "edn: cannot decode ") {
				t.Errorf("error text %q", err)
			}
		})
	}

	var u UUID
	if err := Decode("nope", &u); !errors.Is(err, ErrBadUUID) {
		t.Errorf("Decode(bad uuid) = %v, want it to wrap ErrBadUUID", err)
	}
	var r Raw
	if err := Decode(Keyword("a b"), &r); !isUnsupported(err) {
		t.Errorf("Decode(unprintable, *Raw) = %v, want it to wrap *UnsupportedValueError", err)
	}
	var ints []int
	var se *SyntaxError
	if err := Decode(Raw("[1"), &ints); !errors.As(err, &se) {
		t.Errorf("Decode(bad Raw) = %v, want it to wrap *SyntaxError", err)
	}
	err := Decode(NewMap(Keyword("user"), NewMap(Keyword("id"), "x")), &struct{ User decUser }{})
	want := "edn: cannot decode string into int64 at .user.id"
	if err == nil || err.Error() != want {
		t.Errorf("error text = %v, want %s", err, want)
	}
	var n8 int8
	err = Decode(int64(300), &n8)
	want = "edn: cannot decode integer into int8: out of range"
	if err == nil || err.Error() != want {
		t.Errorf("error text = %v, want %s", err, want)
	}
}

func TestDecodeDepth(t *testing.T) {
	cyclic := []any{nil}
	cyclic[0] = cyclic
	var dst any
	if err := Decode(cyclic, &dst); err != nil { // into any: kept as is
		t.Fatal(err)
	}
	type rec struct{ Next *rec }
	var r rec
	var de *DecodeError
	if err := Decode(NewMap(Keyword("next"), nil), &r); err != nil {
		t.Fatal(err)
	}
	m := NewMap()
	m.Set(Keyword("next"), m)
	if err := Decode(m, &r); !errors.As(err, &de) || !strings.Contains(de.Reason, "deeper") {
		t.Errorf("Decode(cyclic map) = %v, want a depth error", err)
	}
	var nested [][][][]int
	var deep any = int64(1)
	for range decodeMaxDepth + 5 {
		deep = Vector{deep}
	}
	if err := Decode(deep, &nested); !errors.As(err, &de) {
		t.Errorf("Decode(deep) = %v, want *DecodeError", err)
	}
	var loop any
	loop = &loop
	var x int
	if err := Decode(loop, &x); !errors.As(err, &de) {
		t.Errorf("Decode(pointer loop) = %v, want *DecodeError", err)
	}
}

func TestUnmarshal(t *testing.T) {
	var ev Event
	if err := Unmarshal([]byte(`[:app/chat {:msg "hi" :room 12}]`), &ev); err != nil {
		t.Fatal(err)
	}
	var chat struct {
		Msg  string
		Room int
	}
	if err := Decode(ev.Data, &chat); err != nil || chat.Msg != "hi" || chat.Room != 12 {
		t.Errorf("chat = %+v, %v", chat, err)
	}
	var se *SyntaxError
	if err := Unmarshal([]byte(`{:a`), &chat); !errors.As(err, &se) {
		t.Errorf("Unmarshal(bad) = %v, want *SyntaxError", err)
	}
}

// TestDecodeGoValues decodes Go values that are not reader output, as Append
// would print them.
func TestDecodeGoValues(t *testing.T) {
	tests := []struct {
		name string
		src  any
		dst  any
		want any
	}{
		{"event into vector", Event{ID: "a/b"}, new([]any), []any{Keyword("a/b")}},
		{"event with data into vector", Event{ID: "a/b", Data: 1}, new(Vector), Vector{Keyword("a/b"), 1}},
		{"raw", Raw("[1 2]"), new([]int), []int{1, 2}},
		{"raw map into struct", Raw(`{:kind "k"}`), new(decBase), decBase{Kind: "k"}},
		{"huge uint64", uint64(math.MaxUint64), new(*big.Int), bigInt("18446744073709551615")},
		{"huge uint64 into int64", uint64(math.MaxUint64), new(uint64), uint64(math.MaxUint64)},
		{"Map value", *NewMap("a", 1), new(map[string]int), map[string]int{"a": 1}},
		{"Set value", *NewSet(1), new([]int), []int{1}},
		{"big.Int value", *big.NewInt(5), new(int64), int64(5)},
		{"big.Rat value", *big.NewRat(1, 2), new(float64), 0.5},
		{"named bool", myBool(true), new(bool), true},
		{"named float", myFloat(0.5), new(float64), 0.5},
		{"named string", myString("s"), new(string), "s"},
		{"named uint", myUint(7), new(int), 7},
		{"pointer", ptr(5), new(int), 5},
		{"nil pointer", (*int)(nil), ptr(3), 0},
		{"typed slice", []string{"a"}, new([]Keyword), []Keyword{"a"}},
		{"array", [2]int{1, 2}, new([]int8), []int8{1, 2}},
		{"Go map into struct", map[string]any{"kind": "k", "base": 2}, new(decBase), decBase{Kind: "k", Base: 2}},
		{"struct omitempty skipped", struct {
			Kind string `edn:",omitempty"`
			Base int
		}{Base: 1}, &decBase{Kind: "keep"}, decBase{Kind: "keep", Base: 1}},
		{"struct field any", struct{ X any }{[]int{1}}, new(struct{ X []int64 }), struct{ X []int64 }{[]int64{1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Decode(tt.src, tt.dst); err != nil {
				t.Fatal(err)
			}
			got := reflect.ValueOf(tt.dst).Elem().Interface()
			if !decodedEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestDecodeErrorSources(t *testing.T) {
	// The error names what the source value was.
	for src, kind := range map[any]string{
		nil: "nil", true: "boolean", int64(1): "integer", 1.5: "float", "s": "string", Keyword("k"): "keyword",
		Symbol("s"): "symbol", Char('c'): "character", BigDecimal("1"): "BigDecimal", UUID{}: "#uuid",
		Tagged{Tag: "t"}: "tagged literal", Event{ID: "a/b"}: "vector", // an Event is decoded as the vector it prints as
	} {
		var dst struct{}
		err := Decode(src, &dst)
		if src == nil {
			continue // nil makes any destination its zero value
		}
		var de *DecodeError
		if !errors.As(err, &de) || de.Src != kind {
			t.Errorf("Decode(%#v) = %v, want a *DecodeError naming %q", src, err, kind)
		}
	}
	for _, tt := range []struct {
		src  any
		kind string
	}{
		{Vector{}, "vector"}, {[]any{}, "vector"}, {List{}, "list"}, {NewSet(), "set"}, {big.NewRat(1, 2), "ratio"},
		{time.Time{}, "#inst"}, {Raw("1"), "integer"}, {NewMap(), "map"},
	} {
		var de *DecodeError
		if err := Decode(tt.src, new(bool)); !errors.As(err, &de) || de.Src != tt.kind {
			t.Errorf("Decode(%#v) = %v, want a *DecodeError naming %q", tt.src, err, tt.kind)
		}
	}
}

// go test -run '^$' -bench 'Unmarshal' -benchmem ./chsk/wire/
func BenchmarkUnmarshalSmallStruct(b *testing.B) {
	data := []byte(`{:msg "hello", :room 12, :ts 1700000000000}`)
	var c benchChat
	b.ReportAllocs()
	for b.Loop() {
		if err := Unmarshal(data, &c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONUnmarshalSmallStruct(b *testing.B) {
	data := []byte(`{"msg":"hello","room":12,"ts":1700000000000}`)
	var c benchChat
	b.ReportAllocs()
	for b.Loop() {
		if err := json.Unmarshal(data, &c); err != nil {
			b.Fatal(err)
		}
	}
}
