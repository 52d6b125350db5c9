package wire

import (
	"encoding/json"
	"strconv"
	"testing"
)

// The benchmarks come in pairs: printing a value as EDN, and encoding/json
// marshalling the same shape (map[string]any for *Map, structs for structs).
//
//	go test -run '^$' -bench 'Append|JSONMarshal|Marshal' -benchmem ./chsk/wire/

// printSmallEvent is the typical push: [[:app/chat {:msg "hello" :room 12 :ts …}] nil].
func printSmallEvent() Vector {
	return Vector{Event{ID: "app/chat", Data: NewMap(
		Keyword("msg"), "hello", Keyword("room"), 12, Keyword("ts"), int64(1700000000000),
	)}, nil}
}

func printSmallEventJSON() []any {
	return []any{[]any{"app/chat", map[string]any{"msg": "hello", "room": 12, "ts": int64(1700000000000)}}, nil}
}

type benchChat struct {
	Msg  string `json:"msg"`
	Room int    `json:"room"`
	TS   int64  `json:"ts" edn:"ts"`
}

type benchItem struct {
	ID     int64     `json:"id"`
	Name   string    `json:"name"`
	Score  float64   `json:"score"`
	Active bool      `json:"active"`
	Tags   []Keyword `json:"tags"`
	Note   string    `json:"note"`
}

// printLargeItems is about 10 KB of EDN: 80 records with mixed scalar fields.
func printLargeItems() []benchItem {
	items := make([]benchItem, 80)
	for i := range items {
		items[i] = benchItem{
			ID:     int64(1000000 + i),
			Name:   "user-" + strconv.Itoa(i),
			Score:  float64(i) * 1.25,
			Active: i%2 == 0,
			Tags:   []Keyword{"admin", "beta"},
			Note:   "line one\nline \"two\"",
		}
	}
	return items
}

func printLargeEvent() Vector {
	items := printLargeItems()
	v := make(Vector, len(items))
	for i, it := range items {
		v[i] = NewMap(
			Keyword("id"), it.ID, Keyword("name"), it.Name, Keyword("score"), it.Score,
			Keyword("active"), it.Active, Keyword("tags"), Vector{it.Tags[0], it.Tags[1]}, Keyword("note"), it.Note,
		)
	}
	return Vector{Event{ID: "app/items", Data: v}, nil}
}

func printLargeEventJSON() []any {
	items := printLargeItems()
	v := make([]any, len(items))
	for i, it := range items {
		v[i] = map[string]any{
			"id": it.ID, "name": it.Name, "score": it.Score, "active": it.Active,
			"tags": []any{string(it.Tags[0]), string(it.Tags[1])}, "note": it.Note,
		}
	}
	return []any{[]any{"app/items", v}, nil}
}

func benchAppend(b *testing.B, v any) {
	b.Helper()
	buf, err := Append(nil, v)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = Append(buf[:0], v)
	}
}

func benchMarshal(b *testing.B, v any) {
	b.Helper()
	out, err := Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Marshal(v)
	}
}

func benchJSON(b *testing.B, v any) {
	b.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		_, _ = json.Marshal(v)
	}
}

func BenchmarkAppendSmallEvent(b *testing.B)       { benchAppend(b, printSmallEvent()) }
func BenchmarkMarshalSmallEvent(b *testing.B)      { benchMarshal(b, printSmallEvent()) }
func BenchmarkJSONMarshalSmallEvent(b *testing.B)  { benchJSON(b, printSmallEventJSON()) }
func BenchmarkAppendLargeEvent(b *testing.B)       { benchAppend(b, printLargeEvent()) }
func BenchmarkMarshalLargeEvent(b *testing.B)      { benchMarshal(b, printLargeEvent()) }
func BenchmarkJSONMarshalLargeEvent(b *testing.B)  { benchJSON(b, printLargeEventJSON()) }
func BenchmarkAppendSmallStruct(b *testing.B)      { benchAppend(b, printSmallStructEvent()) }
func BenchmarkJSONMarshalSmallStruct(b *testing.B) { benchJSON(b, printSmallStructJSON()) }
func BenchmarkAppendLargeStruct(b *testing.B) {
	benchAppend(b, Event{ID: "app/items", Data: printLargeItems()})
}
func BenchmarkJSONMarshalLargeStruct(b *testing.B) {
	benchJSON(b, []any{"app/items", printLargeItems()})
}

func printSmallStructEvent() Vector {
	return Vector{Event{ID: "app/chat", Data: benchChat{Msg: "hello", Room: 12, TS: 1700000000000}}, nil}
}

func printSmallStructJSON() []any {
	return []any{[]any{"app/chat", benchChat{Msg: "hello", Room: 12, TS: 1700000000000}}, nil}
}

// TestBenchShapes keeps the benchmark inputs honest: both sides print the
// same content.
func TestBenchShapes(t *testing.T) {
	edn, err := Marshal(printSmallEvent())
	if err != nil || string(edn) != `[[:app/chat {:msg "hello", :room 12, :ts 1700000000000}] nil]` {
		t.Errorf("small event = %s, %v", edn, err)
	}
	s, err := Marshal(printSmallStructEvent())
	if err != nil || string(s) != string(edn) {
		t.Errorf("small struct event = %s, %v", s, err)
	}
	large, err := Marshal(printLargeEvent())
	if err != nil || len(large) < 9000 || len(large) > 12000 {
		t.Errorf("large event is %d bytes, %v", len(large), err)
	}
	ls, err := Marshal(Event{ID: "app/items", Data: printLargeItems()})
	if err != nil || "["+string(ls)+" nil]" != string(large) {
		t.Errorf("large struct event differs from the map one:\n%.200s\n%.200s", ls, large)
	}
}
