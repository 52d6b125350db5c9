//go:build linux

package chsk

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/gosente/gosente/chsk/wire"
	"github.com/stretchr/testify/require"
)

// goroutineStacks counts the distinct stacks of goroutines that are in
// function fn: zero when none is.
func goroutineStacks(fn string) int {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	return bytes.Count(buf.Bytes(), []byte(fn))
}

// socketReaders counts the goroutines reading a socket (by stack).
func socketReaders() int { return goroutineStacks("chsk.(*sockReader).run") }

// Idle sockets give up their goroutines, and still get pushes, send events,
// get replies, and end at Shutdown.
func TestIdleSocketsPark(t *testing.T) {
	const n = 20
	opts := Options{ParkAfter: 20 * time.Millisecond, CloseGraceWS: 50 * time.Millisecond,
		UserID: func(_ *http.Request, cid string) any { return cid }}
	a := newRefApp(t, opts)
	socks := make([]*testWS, n)
	for i := range socks {
		socks[i], _ = a.openWS(t, fmt.Sprintf("park-%d", i))
	}
	require.Eventually(t, func() bool { return socketReaders() == 0 }, 5*time.Second, 10*time.Millisecond,
		"idle sockets still have reading goroutines")
	for round := range 3 {
		for i, w := range socks {
			w.write(fmt.Sprintf(`[[:test/echo %d] "cb%d"]`, i, round))
		}
		for i, w := range socks {
			require.Equal(t, fmt.Sprintf(`[%d "cb%d"]`, i, round), w.read())
		}
		require.NoError(t, a.srv.Broadcast(wire.Event{ID: "t/all", Data: int64(round)}))
		for _, w := range socks {
			require.Equal(t, fmt.Sprintf(`[[[:t/all %d]] nil]`, round), w.read())
		}
		require.Eventually(t, func() bool { return socketReaders() == 0 }, 5*time.Second, 10*time.Millisecond,
			"sockets did not park again after round %d", round)
	}
	// A parked socket whose client goes away is noticed.
	connected := len(a.srv.Connected().Any)
	require.NoError(t, socks[0].c.CloseNow())
	require.Eventually(t, func() bool { return len(a.srv.Connected().Any) == connected-1 }, 5*time.Second, 10*time.Millisecond)
}

// A socket's events carry the upgrade request with a context that lasts as
// long as the socket (parked or not), keeps the request's values, and
// costs no goroutine per context a handler derives from it.
func TestSocketRequestContext(t *testing.T) {
	a := newRefApp(t, Options{ParkAfter: 20 * time.Millisecond,
		UserID: func(_ *http.Request, cid string) any { return cid }})
	w, _ := a.openWS(t, "ctx")
	require.Eventually(t, func() bool { return socketReaders() == 0 }, 5*time.Second, time.Millisecond, "the socket never parked")
	w.write(`[[:test/echo 1] "cb"]`)
	m := a.waitEvent(t, "test/echo", 5*time.Second)
	ctx := m.Request.Context()
	require.NoError(t, ctx.Err(), "the socket is open")
	require.NotNil(t, ctx.Value(http.LocalAddrContextKey), "the request's values are kept")
	before := runtime.NumGoroutine()
	var cancels []context.CancelFunc
	for range 100 {
		_, cancel := context.WithTimeout(ctx, time.Minute)
		cancels = append(cancels, cancel)
	}
	require.Less(t, runtime.NumGoroutine()-before, 10, "derived contexts start goroutines")
	for _, cancel := range cancels {
		cancel()
	}
	require.NoError(t, w.c.CloseNow())
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the request's context outlived the socket")
	}
}
