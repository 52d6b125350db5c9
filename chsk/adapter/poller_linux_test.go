//go:build linux

package adapter

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// parkedReader reads ws the way the chsk server does: it parks on ErrIdle
// and resumes on a new goroutine. Messages and the final error come out on
// channels.
type parkedReader struct {
	p      *Poller
	ws     *WS
	ctx    context.Context
	msgs   chan string
	end    chan error
	parked chan struct{}
}

func (pr *parkedReader) run() {
	for {
		data, _, err := pr.ws.Read(pr.ctx)
		if err == ErrIdle {
			if pr.p.Wait(pr.ws, pr.run) == nil {
				pr.parked <- struct{}{}
				return
			}
			continue
		}
		if err != nil {
			pr.end <- err
			return
		}
		pr.msgs <- string(data)
	}
}

func startParked(t *testing.T, ctx context.Context, p *Poller) (*websocket.Conn, *parkedReader) {
	t.Helper()
	srv, ch := wsServer(t, WSOptions{ParkAfter: 20 * time.Millisecond})
	c, _, err := websocket.Dial(ctx, "ws"+srv.URL[len("http"):], nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.CloseNow() })
	pr := &parkedReader{p: p, ws: accepted(t, ch), ctx: ctx,
		msgs: make(chan string, 8), end: make(chan error, 1), parked: make(chan struct{}, 8)}
	go pr.run()
	waitFor(t, pr.parked, "the socket to park")
	return c, pr
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func newPoller(t *testing.T) *Poller {
	p, err := NewPoller()
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// A parked socket wakes for each message, parks again, and ends when the
// peer goes away.
func TestPollerWakesOnData(t *testing.T) {
	ctx := testCtx(t)
	p := newPoller(t)
	c, pr := startParked(t, ctx, p)
	for _, msg := range []string{"one", "two", "three"} {
		require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(msg)))
		require.Equal(t, msg, waitFor(t, pr.msgs, msg))
		waitFor(t, pr.parked, "parking again")
	}
	c.CloseNow()
	require.Error(t, waitFor(t, pr.end, "the end of the socket"))
}

// Closing a parked socket, or its read context, or the poller, runs its
// reader so that it can end.
func TestPollerWakesOnClose(t *testing.T) {
	for _, tc := range []struct {
		name string
		stop func(pr *parkedReader, cancel context.CancelFunc)
	}{
		{"Close", func(pr *parkedReader, _ context.CancelFunc) { pr.ws.Close() }},
		{"read context", func(_ *parkedReader, cancel context.CancelFunc) { cancel() }},
		{"CloseClean", func(pr *parkedReader, _ context.CancelFunc) { pr.ws.CloseClean("bye") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(testCtx(t))
			p := newPoller(t)
			c, pr := startParked(t, ctx, p)
			go func() { _, _, _ = c.Read(ctx) }() // the client answers a close frame
			tc.stop(pr, cancel)
			require.Error(t, waitFor(t, pr.end, "the end of the socket"))
			<-pr.ws.Done()
		})
	}
}

// When the poller closes, parked readers run again and keep reading on
// their own goroutines.
func TestPollerCloseResumesReaders(t *testing.T) {
	ctx := testCtx(t)
	p := newPoller(t)
	c, pr := startParked(t, ctx, p)
	require.NoError(t, p.Close())
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("after")))
	require.Equal(t, "after", waitFor(t, pr.msgs, "a message read after the poller closed"))
	pr.ws.Close()
	require.Error(t, waitFor(t, pr.end, "the end of the socket"))
}

// Bytes that arrive between the idle timeout and the parking are not
// missed: the poll is level-triggered.
func TestPollerDataBeforeWait(t *testing.T) {
	ctx := testCtx(t)
	p := newPoller(t)
	srv, ch := wsServer(t, WSOptions{ParkAfter: 10 * time.Millisecond})
	c, _, err := websocket.Dial(ctx, "ws"+srv.URL[len("http"):], nil)
	require.NoError(t, err)
	defer c.CloseNow()
	ws := accepted(t, ch)
	_, _, err = ws.Read(ctx)
	require.ErrorIs(t, err, ErrIdle)
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte("early")))
	require.Eventually(t, func() bool { return unread(t, ws) > 0 }, 5*time.Second, time.Millisecond, "the bytes never reached the server's socket")
	woke := make(chan struct{})
	require.NoError(t, p.Wait(ws, func() { close(woke) }))
	waitFor(t, woke, "the wake-up")
	got, _, err := ws.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "early", string(got))
}

// A closed socket or poller refuses to park.
func TestPollerRefuses(t *testing.T) {
	p := newPoller(t)
	_, _, ws := dialPair(t, WSOptions{})
	ws.Close()
	require.ErrorIs(t, p.Wait(ws, func() { t.Error("ran") }), ErrClosed)
	// A connection with no descriptor of its own (TLS, a wrapper) cannot
	// park; its idle timeout is turned off, so its reader just waits.
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	piped := &WS{conn: a, done: make(chan struct{}), parkAfter: time.Second}
	require.False(t, p.CanWait(piped))
	require.ErrorIs(t, p.Wait(piped, func() { t.Error("ran") }), errors.ErrUnsupported)
	require.Zero(t, piped.parkAfter)
	_, _, ws2 := dialPair(t, WSOptions{})
	require.True(t, p.CanWait(ws2))
	p.Close()
	require.ErrorIs(t, p.Wait(ws2, func() { t.Error("ran") }), ErrClosed)
}

// unbuffered is a wrapper that keeps no bytes and says so.
type unbuffered struct{ net.Conn }

func (u unbuffered) Unbuffered() net.Conn { return u.Conn }

// A wrapper that implements UnbufferedConn parks like the connection it
// wraps; one that does not (net.Pipe's, in TestPollerRefuses) cannot.
func TestPollerUnbufferedWrapper(t *testing.T) {
	p := newPoller(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer peer.Close()
	conn, err := ln.Accept()
	require.NoError(t, err)
	ws := &WS{conn: unbuffered{conn}, done: make(chan struct{}), parkAfter: time.Second}
	defer ws.Close()
	require.True(t, p.CanWait(ws))
	woke := make(chan struct{})
	require.NoError(t, p.Wait(ws, func() { close(woke) }))
	_, err = peer.Write([]byte{0x81})
	require.NoError(t, err)
	waitFor(t, woke, "the wake-up")
}

// A socket that cannot park keeps reading on its goroutine: no deadline of
// the idle wait is left behind to cut its next message short.
func TestPollerRefusedKeepsReading(t *testing.T) {
	p := newPoller(t)
	a, b := net.Pipe()
	defer b.Close()
	ws := &WS{conn: a, op: opText, limit: 1 << 20, done: make(chan struct{}), parkAfter: 20 * time.Millisecond}
	defer ws.Close()
	ctx := testCtx(t)
	_, _, err := ws.Read(ctx)
	require.ErrorIs(t, err, ErrIdle)
	require.Error(t, p.Wait(ws, func() { t.Error("ran") }))
	go func() {
		time.Sleep(100 * time.Millisecond) // past the 20ms idle deadline that must not be left behind
		_, _ = b.Write(frame(0x81, []byte("later"), true))
	}()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	got, _, err := ws.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "later", string(got))
}

// unread returns how many bytes ws's socket received that nobody read yet.
func unread(t *testing.T, ws *WS) int {
	sc, ok := ws.conn.(syscall.Conn)
	require.True(t, ok, "%T has no file descriptor", ws.conn)
	rc, err := sc.SyscallConn()
	require.NoError(t, err)
	n := 0
	require.NoError(t, rc.Control(func(fd uintptr) { n, err = unix.IoctlGetInt(int(fd), unix.TIOCINQ) })) // FIONREAD
	require.NoError(t, err)
	return n
}
