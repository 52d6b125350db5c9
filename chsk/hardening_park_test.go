//go:build linux

package chsk

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// Sockets that go quiet are parked (Options.ParkAfter; Linux only, where the
// adapter has its epoll Poller): the server must still count them as
// connected, push to them, and read from them.
func TestHardeningParkedSockets(t *testing.T) {
	const n = 100
	hardBaseline(t, 8<<20)
	opts := hardOptions()
	opts.ParkAfter = 20 * time.Millisecond
	opts.KeepAlive = -1    // no pings among the frames read here
	opts.SendBufferWS = -1 // no batching window to wait out
	a := newRefApp(t, opts)
	cookie, token := a.newSession()
	conns := make([]*rawWS, n)
	defer func() {
		for _, w := range conns {
			if w != nil {
				w.closeAbrupt()
			}
		}
	}()
	for i := range n {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		w, err := rawOpen(ctx, a.hs.URL, cookie, token, fmt.Sprintf("park-%d", i), 0)
		cancel()
		require.NoError(t, err)
		hs, err := w.readText(5 * time.Second)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(hs, "[[:chsk/handshake"), hs)
		conns[i] = w
	}
	for round := range 2 {
		require.Eventually(t, func() bool { return socketReaders() == 0 }, 10*time.Second, 10*time.Millisecond,
			"round %d: %d of %d sockets still have a reader goroutine", round, socketReaders(), n)
		require.Len(t, a.srv.Connected().Any, n, "round %d", round)
		for i, w := range conns {
			cid := fmt.Sprintf("park-%d", i)
			require.NoError(t, a.srv.Send(cid, wire.Event{ID: "t/p", Data: int64(round)}))
			got, err := w.readText(5 * time.Second)
			require.NoError(t, err, "%s round %d", cid, round)
			require.Equal(t, fmt.Sprintf("[[[:t/p %d]] nil]", round), got)
			require.NoError(t, w.write(rawFrame(1, []byte(`[[:test/echo 1] "cb"]`)), 5*time.Second))
			got, err = w.readText(5 * time.Second)
			require.NoError(t, err, "%s round %d", cid, round)
			require.Equal(t, `[1 "cb"]`, got)
		}
	}
	for _, w := range conns {
		w.closeClean(5 * time.Second)
	}
	conns = nil
	hardWaitIdle(t, a, 5*time.Second)
	hardAssertServes(t, a)
}

// A new socket waits in the poller from its handshake on, without a reader
// goroutine (here ParkAfter is a minute, so no socket went idle): a frame
// sent in the same write as the upgrade request is read at once, a quiet
// socket is read when it speaks, and one that hangs up before saying
// anything is let go.
func TestHardeningSocketsStartParked(t *testing.T) {
	hardBaseline(t, 8<<20)
	opts := hardOptions()
	opts.ParkAfter = time.Minute
	opts.KeepAlive = -1
	opts.SendBufferWS = -1
	a := newRefApp(t, opts)
	cookie, token := a.newSession()
	dial := func(cid string, early ...byte) *rawWS {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		w, st, err := rawDial(ctx, a.hs.URL, "client-id="+cid+"&csrf-token="+url.QueryEscape(token),
			http.Header{"Cookie": {cookie}}, 0, early...)
		require.NoError(t, err)
		require.NotNil(t, w, "upgrade answered %d", st)
		t.Cleanup(w.closeAbrupt)
		hs, err := w.readText(5 * time.Second)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(hs, "[[:chsk/handshake"), hs)
		return w
	}
	expectEcho := func(w *rawWS, n int) {
		t.Helper()
		got, err := w.readText(5 * time.Second)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf(`[%d "cb"]`, n), got)
	}

	quiet := dial("quiet")
	gone := dial("gone")
	require.Eventually(t, func() bool { return socketReaders() == 0 }, 10*time.Second, time.Millisecond,
		"a socket kept a reader goroutine after its handshake")

	early := dial("early", rawFrame(1, []byte(`[[:test/echo 7] "cb"]`))...)
	expectEcho(early, 7)

	require.NoError(t, quiet.write(rawFrame(1, []byte(`[[:test/echo 8] "cb"]`)), 5*time.Second))
	expectEcho(quiet, 8)

	gone.closeAbrupt()
	waitUntil(t, 10*time.Second, func() bool { return a.srv.Stats().Connections.WS == 2 },
		func() string { return fmt.Sprintf("%d sockets open, want 2", a.srv.Stats().Connections.WS) })
}
