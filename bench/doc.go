// Package bench holds gosente's end-to-end benchmarks: request/reply round
// trips over WebSocket and Ajax, and push fan-out, each reported against a
// raw github.com/coder/websocket baseline measured in the same run.
//
// The package has no code of its own; run its benchmarks with
//
//	go test -run '^$' -bench . -benchtime 2s ./bench/
//
// Every server listens on 127.0.0.1 and everything is closed when a
// benchmark ends.
package bench
