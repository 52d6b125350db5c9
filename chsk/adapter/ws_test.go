package adapter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// wsServer serves AcceptWebSocket and hands each accepted WS to the test.
func wsServer(t *testing.T, opts WSOptions) (*httptest.Server, <-chan *WS) {
	t.Helper()
	accepted := make(chan *WS, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := AcceptWebSocket(w, r, opts)
		if err == nil {
			accepted <- ws
		}
	}))
	t.Cleanup(srv.Close)
	return srv, accepted
}

func accepted(t *testing.T, ch <-chan *WS) *WS {
	t.Helper()
	select {
	case ws := <-ch:
		t.Cleanup(func() { ws.Close() })
		return ws
	case <-time.After(5 * time.Second):
		t.Fatal("no WebSocket accepted")
		return nil
	}
}

// dialPair opens a coder/websocket client to a fresh server and returns both
// ends and a context bounding the test.
func dialPair(t *testing.T, opts WSOptions) (context.Context, *websocket.Conn, *WS) {
	t.Helper()
	srv, ch := wsServer(t, opts)
	ctx := testCtx(t)
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	require.NoError(t, err)
	t.Cleanup(func() { c.CloseNow() })
	return ctx, c, accepted(t, ch)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Messages of every length class, whole and fragmented, both ways.
func TestWSRoundTrip(t *testing.T) {
	srv, ch := wsServer(t, WSOptions{ReadLimit: 1 << 20})
	ctx := testCtx(t)
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	require.NoError(t, err)
	defer c.CloseNow()
	c.SetReadLimit(1 << 21)
	ws := accepted(t, ch)
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 300_000} {
		msg := bytes.Repeat([]byte{'a' + byte(n%26)}, n)
		require.NoError(t, c.Write(ctx, websocket.MessageText, msg))
		got, bin, err := ws.Read(ctx)
		require.NoError(t, err, "length %d", n)
		require.False(t, bin)
		require.Equal(t, msg, got, "length %d", n)

		require.NoError(t, ws.Send(ctx, msg))
		typ, back, err := c.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, websocket.MessageText, typ)
		require.Equal(t, msg, back)
	}
	// A message in three frames, and a binary one.
	w, err := c.Writer(ctx, websocket.MessageBinary)
	require.NoError(t, err)
	for _, part := range []string{"one ", "two ", "three"} {
		_, err = w.Write([]byte(part))
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	got, bin, err := ws.Read(ctx)
	require.NoError(t, err)
	require.True(t, bin)
	require.Equal(t, "one two three", string(got))
	// Pings are answered while Read waits; the client reads to see pongs.
	go func() { _, _, _ = ws.Read(ctx) }()
	c.CloseRead(ctx)
	require.NoError(t, c.Ping(ctx))
}

func TestWSBinarySend(t *testing.T) {
	ctx, c, ws := dialPair(t, WSOptions{Binary: true})
	require.NoError(t, ws.Send(ctx, []byte{0, 1, 2}))
	typ, got, err := c.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, websocket.MessageBinary, typ)
	require.Equal(t, []byte{0, 1, 2}, got)
}

// The peer's close frame is answered and ends Read with its status.
func TestWSPeerClose(t *testing.T) {
	ctx, c, ws := dialPair(t, WSOptions{})
	closed := make(chan error, 1)
	go func() { closed <- c.Close(4001, "bye") }()
	_, _, err := ws.Read(ctx)
	require.Equal(t, 4001, CloseStatus(err), "err: %v", err)
	require.NoError(t, <-closed, "the peer's close handshake completes")
	<-ws.Done()
	require.ErrorIs(t, ws.Send(ctx, []byte("late")), ErrClosed)
}

// CloseClean sends 1000; the reader sees the peer's answer.
func TestWSCloseClean(t *testing.T) {
	ctx, c, ws := dialPair(t, WSOptions{})
	readErr := make(chan error, 1)
	go func() { _, _, err := ws.Read(ctx); readErr <- err }()
	require.NoError(t, ws.CloseClean("done"))
	_, _, err := c.Read(ctx)
	require.Equal(t, websocket.StatusNormalClosure, websocket.CloseStatus(err), "err: %v", err)
	require.Equal(t, StatusNormalClosure, CloseStatus(<-readErr))
}

// Close is unclean: the peer sees no close frame.
func TestWSCloseUnclean(t *testing.T) {
	ctx, c, ws := dialPair(t, WSOptions{})
	require.NoError(t, ws.Close())
	_, _, err := c.Read(ctx)
	require.Error(t, err)
	require.Equal(t, websocket.StatusCode(-1), websocket.CloseStatus(err))
}

func TestWSReadContext(t *testing.T) {
	ctx, _, ws := dialPair(t, WSOptions{})
	rctx, cancel := context.WithCancel(ctx)
	go func() { time.Sleep(20 * time.Millisecond); cancel() }() // cancel while Read blocks: nothing signals that it does
	_, _, err := ws.Read(rctx)
	require.ErrorIs(t, err, context.Canceled)
	<-ws.Done()
}

// rawUpgrade opens a WebSocket by hand, so tests can write any bytes;
// early is sent in the same write as the request.
func rawUpgrade(t *testing.T, srv *httptest.Server, early []byte) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	req := "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
	_, err = conn.Write(append([]byte(req), early...))
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	require.Equal(t, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", resp.Header.Get("Sec-WebSocket-Accept"))
	return conn, br
}

// frame builds a client frame; mask false leaves it unmasked.
func frame(b0 byte, payload []byte, mask bool) []byte {
	var out []byte
	m := byte(0)
	if mask {
		m = 0x80
	}
	switch n := len(payload); {
	case n < 126:
		out = append(out, b0, m|byte(n))
	case n <= 0xffff:
		out = append(out, b0, m|126, byte(n>>8), byte(n))
	default:
		out = append(out, b0, m|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	if !mask {
		return append(out, payload...)
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i&3])
	}
	return out
}

// readClose reads server frames until a close frame and returns its code.
func readClose(t *testing.T, br *bufio.Reader) int {
	t.Helper()
	for range 10 {
		var h [2]byte
		_, err := io.ReadFull(br, h[:])
		require.NoError(t, err)
		n := int(h[1] & 0x7f)
		require.Less(t, n, 126)
		p := make([]byte, n)
		_, err = io.ReadFull(br, p)
		require.NoError(t, err)
		if h[0]&0x0f == opClose {
			require.GreaterOrEqual(t, len(p), 2)
			return int(binary.BigEndian.Uint16(p))
		}
	}
	t.Fatal("no close frame")
	return 0
}

// Protocol violations end the connection with the status RFC 6455 names,
// and Read reports it.
func TestWSViolations(t *testing.T) {
	huge := []byte{0x81, 0x80 | 127, 0x3f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}
	for _, tc := range []struct {
		name string
		in   []byte
		want int
	}{
		{"unmasked", frame(0x81, []byte("hi"), false), StatusProtocolError},
		{"reserved bit", frame(0xc1, []byte("hi"), true), StatusProtocolError},
		{"unknown opcode", frame(0x83, []byte("hi"), true), StatusProtocolError},
		{"unknown control opcode", frame(0x8b, nil, true), StatusProtocolError},
		{"lone continuation", frame(0x80, []byte("hi"), true), StatusProtocolError},
		{"new message inside one", append(frame(0x01, []byte("a"), true), frame(0x81, []byte("b"), true)...), StatusProtocolError},
		{"fragmented ping", frame(0x09, nil, true), StatusProtocolError},
		{"long ping", frame(0x89, make([]byte, 126), true), StatusProtocolError},
		{"one-byte close", frame(0x88, []byte{3}, true), StatusProtocolError},
		{"invalid close code", frame(0x88, []byte{0x03, 0xed}, true), StatusProtocolError},
		{"over the limit", frame(0x81, make([]byte, 1025), true), StatusMessageTooBig},
		{"fragments over the limit", append(frame(0x01, make([]byte, 600), true), frame(0x80, make([]byte, 600), true)...), StatusMessageTooBig},
		{"2^62 bytes claimed", huge, StatusMessageTooBig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, ch := wsServer(t, WSOptions{ReadLimit: 1024})
			conn, br := rawUpgrade(t, srv, nil)
			ws := accepted(t, ch)
			_, err := conn.Write(tc.in)
			require.NoError(t, err)
			_, _, err = ws.Read(testCtx(t))
			require.Equal(t, tc.want, CloseStatus(err), "err: %v", err)
			require.Equal(t, tc.want, readClose(t, br))
		})
	}
}

// Bytes that arrive with the upgrade request are not lost, and many frames
// in one segment are read one message at a time.
func TestWSEarlyAndPipelinedFrames(t *testing.T) {
	srv, ch := wsServer(t, WSOptions{})
	var early []byte
	for _, s := range []string{"first", strings.Repeat("x", 400), "third"} {
		early = append(early, frame(0x81, []byte(s), true)...)
	}
	conn, _ := rawUpgrade(t, srv, early)
	ws := accepted(t, ch)
	ctx := testCtx(t)
	for _, want := range []string{"first", strings.Repeat("x", 400), "third"} {
		got, _, err := ws.Read(ctx)
		require.NoError(t, err)
		require.Equal(t, want, string(got))
	}
	// A frame split across writes.
	f := frame(0x81, []byte("split"), true)
	for _, b := range f {
		_, err := conn.Write([]byte{b})
		require.NoError(t, err)
	}
	got, _, err := ws.Read(ctx)
	require.NoError(t, err)
	require.Equal(t, "split", string(got))
	// The connection dropped mid-frame ends Read with an error.
	_, err = conn.Write(f[:4])
	require.NoError(t, err)
	conn.Close()
	_, _, err = ws.Read(ctx)
	require.Error(t, err)
	require.True(t, errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF), "err: %v", err)
}

func TestAcceptWebSocketRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method string
		header map[string]string
		want   int
	}{
		{"no Connection: Upgrade", "GET", map[string]string{"Connection": "keep-alive"}, http.StatusUpgradeRequired},
		{"POST", "POST", nil, http.StatusMethodNotAllowed},
		{"version 8", "GET", map[string]string{"Sec-WebSocket-Version": "8"}, http.StatusBadRequest},
		{"no key", "GET", map[string]string{"Sec-WebSocket-Key": ""}, http.StatusBadRequest},
		{"short key", "GET", map[string]string{"Sec-WebSocket-Key": "AAAA"}, http.StatusBadRequest},
		{"valid, but the writer cannot be hijacked", "GET", nil, http.StatusNotImplemented},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/", nil)
			r.Header.Set("Upgrade", "websocket")
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Sec-WebSocket-Version", "13")
			r.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
			for k, v := range tc.header {
				if v == "" {
					r.Header.Del(k)
				} else {
					r.Header.Set(k, v)
				}
			}
			rec := httptest.NewRecorder()
			_, err := AcceptWebSocket(rec, r, WSOptions{})
			require.Error(t, err)
			require.Equal(t, tc.want, rec.Code)
		})
	}
}

func FuzzWSRead(f *testing.F) {
	f.Add(frame(0x81, []byte("hello"), true))
	f.Add(append(frame(0x01, []byte("a"), true), frame(0x80, []byte("b"), true)...))
	f.Add(frame(0x89, []byte("p"), true))
	f.Add([]byte{0x81, 0xff, 0, 0, 0, 0, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, in []byte) {
		client, server := net.Pipe()
		ws := &WS{conn: server, op: opText, limit: 4096, done: make(chan struct{})}
		go func() {
			_, _ = client.Write(in)
			client.Close()
		}()
		go func() { _, _ = io.Copy(io.Discard, client) }()
		for range 64 {
			msg, _, err := ws.Read(context.Background())
			if err != nil {
				break
			}
			if len(msg) > 4096 {
				t.Fatalf("message of %d bytes past the limit", len(msg))
			}
		}
		ws.Close()
	})
}

// A write the peer does not take in time fails with context.DeadlineExceeded
// and ends the connection.
func TestWSSendTimeout(t *testing.T) {
	_, _, ws := dialPair(t, WSOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := ws.Send(ctx, make([]byte, 64<<20)) // far more than the socket buffers
	require.ErrorIs(t, err, context.DeadlineExceeded)
	<-ws.Done()
}

// A client that stalls mid-message is closed with 1008 after
// MessageTimeout; one that pauses less, or between messages, is not.
func TestWSMessageTimeout(t *testing.T) {
	for _, park := range []time.Duration{0, 20 * time.Millisecond} {
		t.Run(fmt.Sprintf("ParkAfter=%v", park), func(t *testing.T) {
			srv, ch := wsServer(t, WSOptions{MessageTimeout: 100 * time.Millisecond, ParkAfter: park})
			conn, br := rawUpgrade(t, srv, nil)
			ws := accepted(t, ch)
			ctx := testCtx(t)
			f := frame(0x81, []byte("slow but in time"), true)
			got := make(chan string, 1)
			go func() {
				for {
					data, _, err := ws.Read(ctx)
					if err == ErrIdle {
						continue
					}
					if err != nil {
						got <- "error: " + err.Error()
						return
					}
					got <- string(data)
				}
			}()
			time.Sleep(150 * time.Millisecond) // idle between messages: no limit
			_, err := conn.Write(f[:5])
			require.NoError(t, err)
			time.Sleep(40 * time.Millisecond) // a slow sender, on purpose
			_, err = conn.Write(f[5:])
			require.NoError(t, err)
			require.Equal(t, "slow but in time", <-got)
			_, err = conn.Write(f[:5]) // and then nothing
			require.NoError(t, err)
			start := time.Now()
			require.Contains(t, <-got, "status 1008")
			require.Less(t, time.Since(start), 2*time.Second)
			require.Equal(t, StatusPolicyViolation, readClose(t, br))
		})
	}
}
