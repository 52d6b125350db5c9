package wire

import (
	"encoding/json"
	"testing"
)

// The small frame of the benchmarks: a chat event without callback, in EDN
// and as the equivalent JSON array.
const (
	smallEDN  = `[[:app/chat {:msg "hello", :room 12, :ts 1700000000000}] nil]`
	smallJSON = `[["app/chat",{"msg":"hello","room":12,"ts":1700000000000}],null]`
)

func smallEvent() Event {
	return Event{ID: "app/chat", Data: NewMap(
		Keyword("msg"), "hello",
		Keyword("room"), int64(12),
		Keyword("ts"), int64(1700000000000),
	)}
}

func BenchmarkUnpackSmall(b *testing.B) {
	data := []byte(smallEDN)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		env, err := Unpack(data, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ParseEvent(env.Payload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPackSmall(b *testing.B) {
	var ev any = smallEvent() // boxed once: the conversion to any is the caller's
	buf, err := AppendEnvelope(nil, Format121, ev, nil)
	if err != nil {
		b.Fatal(err)
	}
	if string(buf) != smallEDN {
		b.Fatalf("packed %q, want %q", buf, smallEDN)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, err = AppendEnvelope(buf[:0], Format121, ev, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONUnpackSmall(b *testing.B) {
	data := []byte(smallJSON)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONPackSmall(b *testing.B) {
	v := []any{[]any{"app/chat", map[string]any{"msg": "hello", "room": 12, "ts": int64(1700000000000)}}, nil}
	buf, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	if string(buf) != smallJSON {
		b.Fatalf("marshalled %q, want %q", buf, smallJSON)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendBatch is the fan-out path: ten pre-printed events framed for
// one more connection.
func BenchmarkAppendBatch(b *testing.B) {
	raw, err := Marshal(smallEvent())
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]Raw, 10)
	for i := range evs {
		evs[i] = raw
	}
	buf := AppendBatch(nil, Format121, evs)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendBatch(buf[:0], Format121, evs)
	}
}
