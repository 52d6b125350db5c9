package chsk

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// Hardening tests (issue 7): load, churn, abrupt drops, shutdown under load
// and limits, against a real loopback server. Every test ends with the same
// checks: the server still serves a healthy client, the registry is empty
// once the close grace passed, and (after the server shut down) the
// goroutine count and the heap are back at their baseline.

// hardOptions are the reference app's options with short timers and no logs.
func hardOptions() Options {
	opts := refOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.CloseGraceWS = 100 * time.Millisecond
	opts.CloseGraceAjax = 100 * time.Millisecond
	opts.LongPollTimeout = time.Second
	return opts
}

// hardBaseline records the goroutine count and live heap now, and registers
// a cleanup that, after every cleanup registered later (the app's shutdown
// included), requires both to come back: the goroutine count to at most the
// baseline and the heap to at most heapSlack above it.
func hardBaseline(t *testing.T, heapSlack uint64) {
	t.Helper()
	goroutines := hardSettledGoroutines()
	heap := hardHeap()
	t.Cleanup(func() {
		start := time.Now()
		n := runtime.NumGoroutine()
		poll(10*time.Second, 20*time.Millisecond, func() bool { n = runtime.NumGoroutine(); return n <= goroutines })
		if n > goroutines {
			var b strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Errorf("%d goroutines after the test, %d before:\n%.20000s", n, goroutines, b.String())
		}
		var after uint64
		poll(max(10*time.Second-time.Since(start), 0), 50*time.Millisecond, func() bool { after = hardHeap(); return after <= heap+heapSlack })
		t.Logf("heap: %.1f MB before, %.1f MB after", mb(heap), mb(after))
		if after > heap+heapSlack {
			t.Errorf("heap %.1f MB after the test, %.1f MB before (slack %.1f MB)", mb(after), mb(heap), mb(heapSlack))
		}
	})
}

// hardSettledGoroutines returns the goroutine count once the goroutines of
// earlier tests stopped winding down (or after a second).
func hardSettledGoroutines() int {
	n := runtime.NumGoroutine()
	poll(time.Second, 20*time.Millisecond, func() bool {
		m := runtime.NumGoroutine()
		settled := m == n
		n = m
		return settled
	})
	return n
}

// hardGoroutinesAtMost waits until at most n goroutines run, besides the
// server's idle-socket poller (one per server, started when a first socket
// goes quiet, ended by Shutdown), and fails the test with their stacks if
// that takes longer than d. Tests call it while the server still runs
// (with n measured after it started), because Shutdown would end goroutines
// that a server leaks for clients long gone.
func hardGoroutinesAtMost(t *testing.T, n int, d time.Duration) {
	t.Helper()
	got := 0
	if poll(d, 10*time.Millisecond, func() bool {
		got = runtime.NumGoroutine()
		if got > n {
			got -= hardPollers()
		}
		return got <= n
	}) {
		return
	}
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
	t.Fatalf("%d goroutines, want at most %d:\n%.20000s", got, n, b.String())
}

// hardPollers counts the goroutines running a server's socket poller.
func hardPollers() int {
	var b strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&b, 2)
	return strings.Count(b.String(), "adapter.(*Poller).loop(")
}

// hardHeap returns the live heap after a collection.
func hardHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

func mb(n uint64) float64 { return float64(n) / (1 << 20) }

// hardAssertServes requires that a fresh client still gets replies and
// pushes.
func hardAssertServes(t *testing.T, a *refApp) {
	t.Helper()
	cid := "healthy-" + rand.Text()
	ws, _ := a.openWS(t, cid)
	ws.write(`[[:test/echo 1] "cb"]`)
	require.Equal(t, `[1 "cb"]`, ws.read())
	require.NoError(t, a.srv.Send(cid, wire.Event{ID: "t/health", Data: int64(7)}))
	require.Equal(t, `[[[:t/health 7]] nil]`, ws.read())
	_ = ws.c.CloseNow()
}

// hardPorts is what the event log says about uidport events, per uid.
type hardPorts struct {
	opens, closes map[string]int
	// unordered counts uids whose events did not alternate open, close,
	// open… in the log.
	unordered int
}

// hardPortEvents reads the app's event log.
func hardPortEvents(t *testing.T, a *refApp) hardPorts {
	t.Helper()
	p := hardPorts{opens: map[string]int{}, closes: map[string]int{}}
	open := map[string]bool{}
	bad := map[string]bool{}
	for _, line := range a.eventLog() {
		if !strings.Contains(line, ":chsk/uidport-") {
			continue
		}
		v, err := wire.Read([]byte(line), nil)
		require.NoError(t, err, line)
		m := v.(*wire.Map)
		id, _ := m.Get(wire.Keyword("id"))
		uid, _ := m.Get(wire.Keyword("uid"))
		key, err := UIDKey(uid)
		require.NoError(t, err)
		switch id {
		case wire.EvUidportOpen:
			p.opens[key]++
			if open[key] {
				bad[key] = true
			}
			open[key] = true
		case wire.EvUidportClose:
			p.closes[key]++
			if !open[key] {
				bad[key] = true
			}
			open[key] = false
		}
	}
	p.unordered = len(bad)
	return p
}

// hardWaitIdle waits until no client is connected and every uidport-open has
// its uidport-close, and requires both.
func hardWaitIdle(t *testing.T, a *refApp, d time.Duration) hardPorts {
	t.Helper()
	var p hardPorts
	if poll(d, 20*time.Millisecond, func() bool {
		p = hardPortEvents(t, a)
		balanced := len(p.opens) == len(p.closes)
		for uid, n := range p.opens {
			balanced = balanced && p.closes[uid] == n
		}
		return balanced && len(a.srv.Connected().Any) == 0
	}) {
		return p
	}
	var diff []string
	for uid, n := range p.opens {
		if p.closes[uid] != n {
			diff = append(diff, fmt.Sprintf("%s: %d opens, %d closes", uid, n, p.closes[uid]))
		}
	}
	t.Fatalf("after %v: connected %v; unbalanced uids (%d): %.2000s", d, a.srv.Connected().Any, len(diff), strings.Join(diff, "; "))
	return p
}

// hardSmallBufServer serves the app on a second loopback listener whose
// connections get a kernel send buffer of sndbuf bytes. Otherwise Linux grows
// it to megabytes, and a client that does not read would hold the server's
// writes back only after that much.
func hardSmallBufServer(t *testing.T, a *refApp, sndbuf int) *httptest.Server {
	t.Helper()
	hs := httptest.NewUnstartedServer(a.hs.Config.Handler)
	hs.Listener = sndbufListener{hs.Listener, sndbuf}
	hs.Start()
	t.Cleanup(func() {
		hs.CloseClientConnections()
		hs.Close()
	})
	return hs
}

type sndbufListener struct {
	net.Listener
	size int
}

func (l sndbufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(l.size)
	}
	return c, err
}

// rawWS is a WebSocket client written by hand on a TCP connection, for
// clients that misbehave at the byte level: never read, drop the
// connection mid-frame, close without a close frame.
type rawWS struct {
	conn net.Conn
	br   *bufio.Reader
}

// rawDial upgrades a TCP connection to /chsk of the server at base (an
// http:// URL) with the given query and header. A positive rcvbuf shrinks the socket's receive buffer before the
// upgrade, so that a client that does not read pushes back at once. It
// returns the upgrade's status; the connection is nil unless it is 101.
// Bytes in early follow the request in the same write (frames a client
// sends before it has the answer).
func rawDial(ctx context.Context, base, query string, h http.Header, rcvbuf int, early ...byte) (*rawWS, int, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, 0, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, 0, err
	}
	conn := c.(*net.TCPConn)
	if rcvbuf > 0 {
		if err := conn.SetReadBuffer(rcvbuf); err != nil {
			conn.Close()
			return nil, 0, err
		}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var key [16]byte
	_, _ = rand.Read(key[:])
	var req strings.Builder
	fmt.Fprintf(&req, "GET /chsk?%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", query, u.Host, base64.StdEncoding.EncodeToString(key[:]))
	for k, vs := range h {
		for _, v := range vs {
			fmt.Fprintf(&req, "%s: %s\r\n", k, v)
		}
	}
	req.WriteString("\r\n")
	req.Write(early)
	if _, err := io.WriteString(conn, req.String()); err != nil {
		conn.Close()
		return nil, 0, err
	}
	br := bufio.NewReaderSize(conn, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, 0, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		conn.Close()
		return nil, resp.StatusCode, nil
	}
	_ = conn.SetDeadline(time.Time{})
	return &rawWS{conn: conn, br: br}, resp.StatusCode, nil
}

// rawOpen upgrades as client cid of the session (cookie, token).
func rawOpen(ctx context.Context, base, cookie, token, cid string, rcvbuf int) (*rawWS, error) {
	w, st, err := rawDial(ctx, base, "client-id="+url.QueryEscape(cid)+"&csrf-token="+url.QueryEscape(token),
		http.Header{"Cookie": {cookie}}, rcvbuf)
	if err == nil && w == nil {
		err = fmt.Errorf("upgrade answered %d", st)
	}
	return w, err
}

// frame returns a masked client frame: FIN, opcode op, payload p.
func rawFrame(op byte, p []byte) []byte {
	b := []byte{0x80 | op}
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n < 1<<16:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	b = append(b, mask[:]...)
	for i, c := range p {
		b = append(b, c^mask[i%4])
	}
	return b
}

// write writes bytes with a deadline.
func (w *rawWS) write(b []byte, d time.Duration) error {
	_ = w.conn.SetWriteDeadline(time.Now().Add(d))
	_, err := w.conn.Write(b)
	return err
}

// readFrame reads one server frame (servers do not mask).
func (w *rawWS) readFrame(d time.Duration) (op byte, payload []byte, err error) {
	_ = w.conn.SetReadDeadline(time.Now().Add(d))
	var h [2]byte
	if _, err := io.ReadFull(w.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var x [2]byte
		if _, err := io.ReadFull(w.br, x[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(x[:]))
	case 127:
		var x [8]byte
		if _, err := io.ReadFull(w.br, x[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(x[:])
	}
	if h[1]&0x80 != 0 || n > 64<<20 {
		return 0, nil, errors.New("raw: bad server frame header")
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(w.br, payload)
	return h[0] & 0x0f, payload, err
}

// readText returns the next text frame, skipping control frames.
func (w *rawWS) readText(d time.Duration) (string, error) {
	for {
		op, p, err := w.readFrame(d)
		if err != nil {
			return "", err
		}
		switch op {
		case 1:
			return string(p), nil
		case 8:
			return "", fmt.Errorf("raw: close frame %x", p)
		}
	}
}

// closeClean sends a close frame (1000) and waits for the server to close.
func (w *rawWS) closeClean(d time.Duration) {
	_ = w.write(rawFrame(8, []byte{0x03, 0xe8}), d)
	_ = w.conn.SetReadDeadline(time.Now().Add(d))
	_, _ = io.Copy(io.Discard, w.br)
	_ = w.conn.Close()
}

// closeAbrupt drops the connection with a TCP reset, as a crashed client or
// a broken network path does.
func (w *rawWS) closeAbrupt() {
	if tc, ok := w.conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = w.conn.Close()
}
