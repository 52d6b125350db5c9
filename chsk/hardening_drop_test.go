package chsk

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// Clients that drop the TCP connection in the middle of a frame they are
// sending: the server forgets each (uidport-close after the grace) and
// keeps no goroutine for it.
func TestHardeningDropMidFrame(t *testing.T) {
	hardBaseline(t, 8<<20)
	a := newRefApp(t, hardOptions())
	cookie, token := a.newSession()
	running := hardSettledGoroutines() // the server, idle
	mask := []byte{1, 2, 3, 4}
	payload100 := append([]byte{0x81, 0x80 | 100}, mask...)
	fragment := rawFrame(1, []byte(`[[:test/ec`))
	fragment[0] = 0x01 // text, more fragments follow (they never do)
	for _, tc := range []struct {
		name  string
		bytes []byte
		reset bool // close with a TCP reset instead of a FIN
	}{
		{"first header byte only", []byte{0x81}, false},
		{"first header byte only, reset", []byte{0x81}, true},
		{"extended length cut", []byte{0x81, 0x80 | 126, 0x10}, false},
		{"64-bit length cut", []byte{0x81, 0x80 | 127, 0, 0, 0}, true},
		{"mask key cut", []byte{0x81, 0x85, 1, 2}, false},
		{"half the payload", append(payload100, make([]byte, 50)...), false},
		{"half the payload, reset", append(payload100, make([]byte, 50)...), true},
		{"first fragment of a message", fragment, false},
		{"close frame cut", []byte{0x88, 0x82, 1, 2, 3, 4, 0x03}, false},
		{"huge announced length", []byte{0x81, 0x80 | 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			w, err := rawOpen(ctx, a.hs.URL, cookie, token, "drop-"+rand.Text(), 0)
			require.NoError(t, err)
			hs, err := w.readText(5 * time.Second)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(hs, "[[:chsk/handshake"), hs)
			require.NoError(t, w.write(tc.bytes, 5*time.Second))
			if tc.reset {
				w.closeAbrupt()
			} else {
				_ = w.conn.Close()
			}
		})
	}
	hardWaitIdle(t, a, 5*time.Second)
	hardGoroutinesAtMost(t, running, 5*time.Second)
	require.Len(t, hardPortEvents(t, a).closes, 10)
	require.Zero(t, a.srv.Stats().SlowDisconnects)
	hardAssertServes(t, a)
}

// A client that resets the connection while the server is in the middle of
// writing it a large push: the write fails at once (not after
// WriteTimeout), the client is forgotten after the grace, and it is not
// counted as a slow client.
func TestHardeningDropDuringLargePush(t *testing.T) {
	const clients = 8
	hardBaseline(t, 8<<20)
	opts := hardOptions()
	opts.WriteTimeout = 10 * time.Second
	opts.SendBufferWS = -1
	a := newRefApp(t, opts)
	hs := hardSmallBufServer(t, a, 4096)
	cookie, token := a.newSession()
	running := hardSettledGoroutines() // the server, idle
	big := strings.Repeat("y", 1<<20)
	var ws []*rawWS
	for i := range clients {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		w, err := rawOpen(ctx, hs.URL, cookie, token, "big-"+string(rune('a'+i)), 4096)
		cancel()
		require.NoError(t, err)
		_, err = w.readText(5 * time.Second)
		require.NoError(t, err)
		ws = append(ws, w)
	}
	for i, w := range ws {
		require.NoError(t, a.srv.Send("big-"+string(rune('a'+i)), wire.Event{ID: "t/big", Data: big}))
		// Read a little of the push, so that the server is mid-frame, then go.
		buf := make([]byte, 2048)
		_ = w.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err := w.br.Read(buf)
		require.NoError(t, err)
		if i%2 == 0 {
			w.closeAbrupt()
		} else {
			_ = w.conn.Close()
		}
	}
	start := time.Now()
	hardWaitIdle(t, a, 5*time.Second)
	require.Less(t, time.Since(start), opts.WriteTimeout/2, "the failed writes must not wait for WriteTimeout")
	hardGoroutinesAtMost(t, running, 5*time.Second)
	require.Len(t, hardPortEvents(t, a).closes, clients)
	require.Zero(t, a.srv.Stats().SlowDisconnects)
	hardAssertServes(t, a)
	// The small-buffer listener serves a healthy client too.
	c2, tok2 := a.newSession()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	w, err := rawOpen(ctx, hs.URL, c2, tok2, "after", 0)
	require.NoError(t, err)
	_, err = w.readText(5 * time.Second)
	require.NoError(t, err)
	require.NoError(t, w.write(rawFrame(1, []byte(`[[:test/echo 5] "cb"]`)), 5*time.Second))
	reply, err := w.readText(5 * time.Second)
	require.NoError(t, err)
	require.Equal(t, `[5 "cb"]`, reply)
	w.closeClean(5 * time.Second)
}

// An upgrade that takes longer than the close grace (a slow HandshakeData, a
// loaded server: it happened in TestHardeningConnectionStorm with a 100ms
// grace) must still end with the socket registered. The grace used to start
// when the upgrade request registered the client, so it could expire first:
// the client was removed (uidport-close) and the socket attached to the
// removed client, open but in no registry, so no push reached it. A new
// client now starts no grace while its socket is on its way, and a socket
// never attaches to a removed client.
func TestHardeningSlowUpgradeOutlastsGrace(t *testing.T) {
	hardBaseline(t, 8<<20)
	opts := hardOptions()
	opts.CloseGraceWS = 10 * time.Millisecond
	opts.HandshakeData = func(*http.Request) any {
		time.Sleep(100 * time.Millisecond) // longer than the grace
		return nil
	}
	a := newRefApp(t, opts)
	ws, hs := a.openWS(t, "late")
	require.Equal(t, `[[:chsk/handshake ["late" nil nil]] nil]`, hs)
	require.NoError(t, a.srv.Send("late", wire.Event{ID: "t/hello", Data: int64(1)}))
	select {
	case f := <-ws.frames:
		require.NoError(t, f.err)
		require.Equal(t, `[[[:t/hello 1]] nil]`, string(f.data))
	case <-time.After(2 * time.Second):
		t.Fatalf("the push never arrived; connected: %v; uidport events: %+v", a.srv.Connected().Any, hardPortEvents(t, a))
	}
	require.Equal(t, []any{"late"}, a.srv.Connected().WS)
}
