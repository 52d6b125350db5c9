//go:build linux

package adapter

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// takeOverServer serves /poll (a parked poll, taken over with ?take) and
// /other over plain HTTP/1.1; the test answers the polls.
type takeOverServer struct {
	hs    *httptest.Server
	polls chan *Poll
	ends  chan *Poll
	res   *Resumer
}

func newTakeOverServer(t *testing.T, wrap func(net.Listener) net.Listener) *takeOverServer {
	t.Helper()
	pl, err := NewPoller()
	if err != nil {
		t.Fatal(err)
	}
	ts := &takeOverServer{polls: make(chan *Poll, 8), ends: make(chan *Poll, 8), res: NewResumer()}
	mux := http.NewServeMux()
	mux.HandleFunc("/poll", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Middleware", "set before the poll parked")
		p := ParkPoll(w, r, "text/plain; charset=utf-8")
		if r.URL.Query().Has("take") {
			if err := p.TakeOver(r, pl, ts.res, func() { ts.ends <- p }); err != nil {
				t.Errorf("TakeOver: %v", err)
			}
			ts.polls <- p
			return
		}
		ts.polls <- p
		<-p.Done()
	})
	mux.HandleFunc("/other", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "other "+r.Method)
	})
	ts.hs = httptest.NewUnstartedServer(mux)
	if wrap != nil {
		ts.hs.Listener = wrap(ts.hs.Listener)
	}
	ts.hs.Start()
	t.Cleanup(func() {
		ts.hs.Close()
		_ = ts.res.Shutdown(context.Background())
		_ = pl.Close()
	})
	return ts
}

// rawClient is one kept-alive connection that records each response's bytes.
type rawClient struct {
	t    *testing.T
	conn net.Conn
	raw  bytes.Buffer
	br   *bufio.Reader
}

func (ts *takeOverServer) dial(t *testing.T) *rawClient {
	t.Helper()
	conn, err := net.Dial("tcp", ts.hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	c := &rawClient{t: t, conn: conn}
	c.br = bufio.NewReader(io.TeeReader(conn, &c.raw))
	return c
}

func (c *rawClient) send(path string) {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, "GET "+path+" HTTP/1.1\r\nHost: gosente.test\r\n\r\n"); err != nil {
		c.t.Fatal(err)
	}
}

// response reads one response and returns its bytes, the Date blanked.
func (c *rawClient) response() string {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := io.ReadAll(res.Body); err != nil {
		c.t.Fatal(err)
	}
	// raw holds what was read; the reader's read-ahead is the next response's.
	n := c.raw.Len() - c.br.Buffered()
	s := string(c.raw.Bytes()[:n])
	rest := bytes.Clone(c.raw.Bytes()[n:])
	c.raw.Reset()
	c.raw.Write(rest)
	return regexp.MustCompile(`Date: [^\r]+`).ReplaceAllString(s, "Date: *")
}

func (ts *takeOverServer) poll(t *testing.T) *Poll {
	t.Helper()
	select {
	case p := <-ts.polls:
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no poll parked")
		return nil
	}
}

// A taken-over poll is answered with the bytes net/http writes for the same
// answer (the Date aside), and the connection then serves the client's next
// requests, polls and others, on the same connection.
func TestPollTakeOverSameBytesAndKeepAlive(t *testing.T) {
	ts := newTakeOverServer(t, nil)
	c := ts.dial(t)
	for _, answer := range []struct {
		name string
		do   func(*Poll) error
	}{
		{"frame", func(p *Poll) error { return p.Send(context.Background(), []byte(`[[:t/n 1]]`)) }},
		{"close", func(p *Poll) error { return p.Close() }},
	} {
		c.send("/poll")
		if err := answer.do(ts.poll(t)); err != nil {
			t.Fatal(err)
		}
		want := c.response()
		c.send("/poll?take")
		p := ts.poll(t)
		if err := answer.do(p); err != nil {
			t.Fatal(err)
		}
		if got := c.response(); got != want {
			t.Errorf("%s: taken over:\n%q\nnet/http:\n%q", answer.name, got, want)
		}
		<-ts.ends
		if err := p.Send(context.Background(), []byte("again")); !errors.Is(err, ErrAnswered) {
			t.Errorf("%s: a second answer: %v, want ErrAnswered", answer.name, err)
		}
		c.send("/other")
		if got := c.response(); !strings.HasSuffix(got, "\r\n\r\nother GET") {
			t.Errorf("%s: the next request on the connection: %q", answer.name, got)
		}
	}
}

// A client that hangs up while its poll is taken over ends the poll: end
// runs, Done is closed, and an answer finds it closed.
func TestPollTakeOverClientGone(t *testing.T) {
	bothPaths(t, func(t *testing.T, ts *takeOverServer, _ *atomic.Int64) {
		c := ts.dial(t)
		c.send("/poll?take")
		p := ts.poll(t)
		_ = c.conn.Close()
		select {
		case <-ts.ends:
		case <-time.After(10 * time.Second):
			t.Fatal("the poll did not end with its client")
		}
		<-p.Done()
		if err := p.Send(context.Background(), []byte("late")); !errors.Is(err, ErrClosed) {
			t.Errorf("Send after the client left: %v, want ErrClosed", err)
		}
	})
}

// A request the client pipelined behind its poll is served after the
// poll's answer, on the poller's path and on the fallback reader's.
func TestPollTakeOverPipelined(t *testing.T) {
	bothPaths(t, func(t *testing.T, ts *takeOverServer, read *atomic.Int64) {
		c := ts.dial(t)
		c.send("/poll?take")
		p := ts.poll(t)
		var before int64
		if read != nil {
			before = read.Load()
		}
		c.send("/other")
		// The answer must come after the server has the pipelined bytes: in
		// the poll's pending bytes, or read by the waiting goroutine.
		require.Eventually(t, func() bool {
			if read != nil {
				return read.Load() > before
			}
			p.mu.Lock()
			defer p.mu.Unlock()
			return len(p.hj.pending) > 0
		}, 10*time.Second, time.Millisecond, "the pipelined request never reached the server")
		if err := p.Send(context.Background(), []byte("first")); err != nil {
			t.Fatal(err)
		}
		if got := c.response(); !strings.HasSuffix(got, "\r\n\r\nfirst") {
			t.Errorf("the poll's answer: %q", got)
		}
		if got := c.response(); !strings.HasSuffix(got, "\r\n\r\nother GET") {
			t.Errorf("the pipelined request: %q", got)
		}
	})
}

// Shutting the origin server down closes resumed connections once idle;
// a poll taken over from a resumed connection and answered after that says
// Connection: close and closes it, as net/http would.
func TestPollTakeOverOriginShutdown(t *testing.T) {
	ts := newTakeOverServer(t, nil)
	idle, busy := ts.dial(t), ts.dial(t)
	for _, c := range []*rawClient{idle, busy} {
		c.send("/poll?take")
		if err := ts.poll(t).Send(context.Background(), []byte("x")); err != nil {
			t.Fatal(err)
		}
		c.response()
	}
	busy.send("/poll?take") // its second poll, taken over from the private server
	second := ts.poll(t)
	if err := ts.hs.Config.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	_ = idle.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := idle.conn.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("an idle resumed connection after the origin's Shutdown: read %d, %v; want EOF", n, err)
	}
	if err := second.Send(context.Background(), []byte("y")); err != nil {
		t.Fatal(err)
	}
	if got := busy.response(); !strings.Contains(got, "\r\nConnection: close\r\n") {
		t.Errorf("answered after the origin's Shutdown: %q, want Connection: close", got)
	}
	_ = busy.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := busy.conn.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the connection after that answer: read %d, %v; want EOF", n, err)
	}
}

// bothPaths runs f against a server whose connections the poller watches,
// then against one whose connections it cannot see through, where a
// goroutine per poll waits instead; read counts what the server read from
// the latter.
func bothPaths(t *testing.T, f func(t *testing.T, ts *takeOverServer, read *atomic.Int64)) {
	t.Run("poller", func(t *testing.T) { f(t, newTakeOverServer(t, nil), nil) })
	t.Run("reader", func(t *testing.T) {
		read := new(atomic.Int64)
		f(t, newTakeOverServer(t, func(l net.Listener) net.Listener {
			return listenerFunc{l, func(c net.Conn) net.Conn { return wrappedConn{c, read} }}
		}), read)
	})
}

// wrappedConn is a connection the poller cannot see through; it counts the
// bytes read from it.
type wrappedConn struct {
	net.Conn
	read *atomic.Int64
}

func (c wrappedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read.Add(int64(n))
	return n, err
}

// deafConn ignores read deadlines once deaf is set, as a wrapper written
// without them may. (net/http's Hijack itself needs them: it stops its
// background read with one, so a conn deaf from the start hangs there,
// before the poll is taken over.)
type deafConn struct {
	net.Conn
	deaf *atomic.Bool
}

func (c deafConn) SetReadDeadline(t time.Time) error {
	if c.deaf.Load() {
		return nil
	}
	return c.Conn.SetReadDeadline(t)
}

// An answer to a poll on a connection whose wrapper ignores read deadlines
// cannot stop the goroutine waiting in Read: it gives up after closeWrite,
// closes the connection rather than write while another goroutine reads,
// and reports ErrClosed. The client sees the connection close without an
// answer (its Sente client polls again), and the waiting goroutine ends.
func TestPollTakeOverReaderIgnoringDeadlines(t *testing.T) {
	before := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, before) }) // runs last: after the server's cleanups
	deaf := new(atomic.Bool)
	ts := newTakeOverServer(t, func(l net.Listener) net.Listener {
		return listenerFunc{l, func(c net.Conn) net.Conn { return deafConn{c, deaf} }}
	})
	c := ts.dial(t)
	c.send("/poll?take")
	p := ts.poll(t)
	p.mu.Lock()
	waiting := p.hj.reader != nil
	p.mu.Unlock()
	if !waiting {
		t.Fatal("the poll did not fall back to a waiting goroutine")
	}
	deaf.Store(true)
	if err := p.Send(context.Background(), []byte("never written")); !errors.Is(err, ErrClosed) {
		t.Errorf("Send: %v, want ErrClosed", err)
	}
	select {
	case <-ts.ends:
	case <-time.After(10 * time.Second):
		t.Fatal("the poll did not end")
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if b, err := io.ReadAll(c.conn); err != nil || len(b) > 0 {
		t.Errorf("the client read %q, %v; want the connection closed without an answer", b, err)
	}
}

// listenerFunc wraps each accepted connection with wrap.
type listenerFunc struct {
	net.Listener
	wrap func(net.Conn) net.Conn
}

func (l listenerFunc) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.wrap(c), nil
}

// A client that sends more than maxPending bytes while its poll waits
// loses the poll and its connection, on either path.
func TestPollTakeOverFloodEndsThePoll(t *testing.T) {
	bothPaths(t, func(t *testing.T, ts *takeOverServer, _ *atomic.Int64) {
		c := ts.dial(t)
		c.send("/poll?take")
		p := ts.poll(t)
		go func() { _, _ = c.conn.Write(bytes.Repeat([]byte("x"), maxPending+4096)) }()
		select {
		case <-ts.ends:
		case <-time.After(10 * time.Second):
			t.Fatal("a flood did not end the poll")
		}
		if err := p.Send(context.Background(), []byte("late")); !errors.Is(err, ErrClosed) {
			t.Errorf("Send after the flood: %v, want ErrClosed", err)
		}
		_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadAll(c.conn); err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("the connection after the flood: %v, want it closed", err)
		}
	})
}

// A poll that came with a body is not taken over: its unread body would
// be read as the connection's next request.
func TestCanTakeOverRefusesABody(t *testing.T) {
	srv := &http.Server{}
	for _, tc := range []struct {
		name  string
		setup func(*http.Request)
		ok    bool
	}{
		{"plain", func(*http.Request) {}, true},
		{"content-length", func(r *http.Request) { r.ContentLength = 5 }, false},
		{"chunked", func(r *http.Request) { r.TransferEncoding = []string{"chunked"} }, false},
		{"connection: close", func(r *http.Request) { r.Close = true }, false},
		{"HTTP/1.0", func(r *http.Request) { r.ProtoMinor = 0 }, false},
	} {
		r := httptest.NewRequest(http.MethodGet, "/chsk", nil)
		r = r.WithContext(context.WithValue(r.Context(), http.ServerContextKey, srv))
		tc.setup(r)
		if err := CanTakeOver(r); (err == nil) != tc.ok {
			t.Errorf("%s: CanTakeOver = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// Shutdown right after a connection was handed over does not wait for
// net/http's 5s grace for new connections.
func TestResumerShutdownRightAfterResume(t *testing.T) {
	for range 50 {
		res := NewResumer()
		origin := &http.Server{Handler: http.NotFoundHandler()}
		a, b := net.Pipe()
		res.resume(res.serverFor(origin, &net.TCPAddr{}), a, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := res.Shutdown(ctx)
		cancel()
		_ = b.Close()
		if err != nil {
			t.Fatalf("Shutdown right after a resume: %v", err)
		}
	}
}
