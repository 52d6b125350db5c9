package wire

import (
	"encoding/json"
	"testing"
)

// The packers on the documents of read_bench_test.go (a small chat event,
// a ~10 KB event), against encoding/json on the same documents:
//
//	go test -run '^$' -bench 'Packer|JSONDoc' -benchmem ./chsk/wire/
//
// frame-bytes is the size of the packed frame.

var benchPackers = []struct {
	name string
	p    Packer
}{
	{"edn", &EDN{}},
	{"transit", Transit{}},
	{"msgpack", MsgPack{}},
	{"gzip-msgpack", Gzip{Packer: MsgPack{}}},
}

// benchDocs returns the documents as envelopes, and as JSON.
func benchDocs(b *testing.B) (docs map[string]Envelope, jsonDocs map[string][]byte) {
	largeEDN, largeJSON := rdLargeEvent()
	docs, jsonDocs = map[string]Envelope{}, map[string][]byte{"small-event": []byte(rdSmallJSON), "10KB-event": largeJSON}
	for name, text := range map[string][]byte{"small-event": []byte(rdSmallEDN), "10KB-event": largeEDN} {
		env, err := Unpack(text, nil)
		if err != nil {
			b.Fatal(err)
		}
		docs[name] = env
	}
	return docs, jsonDocs
}

func BenchmarkPackerPack(b *testing.B) {
	docs, _ := benchDocs(b)
	for _, pk := range benchPackers {
		for _, doc := range []string{"small-event", "10KB-event"} {
			b.Run(pk.name+"/"+doc, func(b *testing.B) {
				env := docs[doc]
				frame, err := pk.p.Pack(nil, env.Payload, env.CB)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if frame, err = pk.p.Pack(frame[:0], env.Payload, env.CB); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(frame)), "frame-bytes")
			})
		}
	}
}

func BenchmarkPackerUnpack(b *testing.B) {
	docs, _ := benchDocs(b)
	for _, pk := range benchPackers {
		for _, doc := range []string{"small-event", "10KB-event"} {
			b.Run(pk.name+"/"+doc, func(b *testing.B) {
				env := docs[doc]
				frame, err := pk.p.Pack(nil, env.Payload, env.CB)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(frame)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := pk.p.Unpack(frame); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkJSONDocMarshal(b *testing.B) {
	_, jsonDocs := benchDocs(b)
	for _, doc := range []string{"small-event", "10KB-event"} {
		b.Run(doc, func(b *testing.B) {
			var v any
			if err := json.Unmarshal(jsonDocs[doc], &v); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkJSONDocUnmarshal(b *testing.B) {
	_, jsonDocs := benchDocs(b)
	for _, doc := range []string{"small-event", "10KB-event"} {
		b.Run(doc, func(b *testing.B) { rdBenchJSON(b, jsonDocs[doc]) })
	}
}
