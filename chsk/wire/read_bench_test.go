package wire

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// The benchmarks read the same documents as EDN with Read and as JSON with
// encoding/json into an any, so that
//
//	go test -bench 'Read|JSONUnmarshal' -benchmem ./chsk/wire/
//
// shows the ratio. The JSON documents have the same shape: keywords become
// strings, nil becomes null.

const (
	rdSmallEDN  = `[[:app/chat {:msg "hello" :room 12 :ts 1700000000000}] nil]`
	rdSmallJSON = `[["app/chat",{"msg":"hello","room":12,"ts":1700000000000}],null]`
)

// rdLargeEvent returns an event of about 10 KB in EDN and the same document in
// JSON.
func rdLargeEvent() (ednText, jsonText []byte) {
	var e, j strings.Builder
	e.WriteString(`[[:app/sync {:room "lobby", :seq 421, :items [`)
	j.WriteString(`[["app/sync",{"room":"lobby","seq":421,"items":[`)
	for i := range 56 {
		if i > 0 {
			e.WriteByte(' ')
			j.WriteByte(',')
		}
		fmt.Fprintf(&e, `{:id %d, :name "user %d", :email "user%d@example.com", :score %d.25, :active %t, `+
			`:tags ["alpha" "beta" "gamma"], :meta {:created 1700000%06d, :note nil, :kind :app/member}}`,
			i, i, i, i*3, i%2 == 0, i)
		fmt.Fprintf(&j, `{"id":%d,"name":"user %d","email":"user%d@example.com","score":%d.25,"active":%t,`+
			`"tags":["alpha","beta","gamma"],"meta":{"created":1700000%06d,"note":null,"kind":"app/member"}}`,
			i, i, i, i*3, i%2 == 0, i)
	}
	e.WriteString(`]}] "4f2a1b"]`)
	j.WriteString(`]}],"4f2a1b"]`)
	return []byte(e.String()), []byte(j.String())
}

func rdBenchRead(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Read(data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func rdBenchJSON(b *testing.B, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	large, _ := rdLargeEvent()
	b.Run("small-event", func(b *testing.B) { rdBenchRead(b, []byte(rdSmallEDN)) })
	b.Run("10KB-event", func(b *testing.B) { rdBenchRead(b, large) })
}

func BenchmarkJSONUnmarshal(b *testing.B) {
	_, large := rdLargeEvent()
	b.Run("small-event", func(b *testing.B) { rdBenchJSON(b, []byte(rdSmallJSON)) })
	b.Run("10KB-event", func(b *testing.B) { rdBenchJSON(b, large) })
}
