package refapp

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Serve starts the reference app on a loopback test server: sessions s in
// front of Route, with chsk at "/chsk" and the page's token read by token.
// At the end of the test it closes the server and then calls shutdown.
func Serve(t testing.TB, s *Sessions, chsk http.Handler, token func(context.Context) string, shutdown func(context.Context) error) *httptest.Server {
	hs := httptest.NewServer(s.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Route(w, r, token(r.Context()), chsk)
	})))
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return hs
}

// Wait receives from ch until match accepts a value, which it returns, and
// fails the test when d passes first.
func Wait[T any](t testing.TB, ch <-chan T, match func(T) bool, d time.Duration, what string) T {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case v := <-ch:
			if match(v) {
				return v
			}
		case <-deadline:
			t.Fatalf("no %s within %v", what, d)
			var zero T
			return zero
		}
	}
}

// Poll checks cond at once and then every interval until it holds, and
// reports whether it did before d passed. It is how tests wait for a state
// that nothing signals (goroutine counts, the heap, a port coming free).
func Poll(d, every time.Duration, cond func() bool) bool {
	if cond() {
		return true
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		select {
		case <-tick.C:
			if cond() {
				return true
			}
		case <-deadline.C:
			return cond()
		}
	}
}

// LogBuffer collects log output from several goroutines, for tests that
// check what was logged (and what never is, such as a token).
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
