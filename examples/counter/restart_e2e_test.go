package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/internal/cdp"
)

// TestE2EServerRestart restarts the server, with fresh in-memory sessions,
// while a page is connected over WebSocket or Ajax: the browser client finds
// its token refused, fetches a new one from the page by itself and connects
// again, within a few seconds and without a reload; the page says it has a
// new session and its next request is answered. No log line of either
// server, and nothing this test prints, holds a token.
func TestE2EServerRestart(t *testing.T) {
	bin := cdp.FindChromium(t)
	b := cdp.Launch(t, bin)
	for _, tc := range []struct{ transport, query string }{
		{"ws", ""},
		{"ajax", "?type=ajax"},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
			defer cancel()
			srv := &restartable{t: t, logs: &syncBuffer{}}
			srv.start("127.0.0.1:0")
			t.Cleanup(srv.stop)
			base := "http://" + srv.addr
			e := &e2e{t: t, ctx: ctx, b: b, app: srv.app, url: base + "/" + tc.query, transport: tc.transport}

			bc, err := b.NewContext(ctx)
			e.must("create a browser context", err)
			tb := e.open(bc, "tab")
			var before struct{ Token, UID string }
			e.must("read the page", tb.Eval(ctx, `({
				Token: document.getElementById('sente-csrf-token').dataset.csrfToken,
				UID: document.getElementById('app').dataset.uid})`, &before))
			e.secrets = append(e.secrets, before.Token)
			e.sendMessage(tb)

			srv.stop()
			e.must("see the connection lost", tb.WaitFor(ctx, "the page shows the connection lost",
				`document.getElementById('app').dataset.open === 'false'`, 10*time.Second))
			srv.start(srv.addr) // a new app: its session store is empty
			e.app = srv.app
			restarted := time.Now()

			e.must("reconnect with a new session", tb.WaitFor(ctx, "connected again with a new session",
				`document.getElementById('app').dataset.open === 'true' && document.getElementById('app').dataset.sessions === '2'`,
				10*time.Second))
			took := time.Since(restarted)
			var after struct{ UID, Note, Transport string }
			e.must("read the page again", tb.Eval(ctx, `({
				UID: document.getElementById('app').dataset.uid,
				Note: document.getElementById('session').hidden ? '' : document.getElementById('session').textContent,
				Transport: document.getElementById('app').dataset.transport})`, &after))
			if after.UID == before.UID || after.UID == "" {
				e.fail("get a new session", fmt.Errorf("uid %q after the restart, %q before", after.UID, before.UID))
			}
			if !strings.Contains(after.Note, "New session") {
				e.fail("say so on the page", fmt.Errorf("#session shows %q", after.Note))
			}
			if after.Transport != tc.transport {
				e.fail("keep the transport", fmt.Errorf("reconnected over %q", after.Transport))
			}
			newToken := srv.app.sessionToken(after.UID)
			e.secrets = append(e.secrets, newToken)
			if newToken == "" || newToken == before.Token {
				e.fail("use a new token", errors.New("the server has no new session for the page's uid"))
			}
			e.must("server sees the client", e.serverSees(after.UID))
			e.sendMessage(tb)
			e.must("click inc", tb.Click(ctx, "#inc"))
			e.expectCount(tb, strconv.Itoa(initialCount+1)) // the new session counts from its start
			t.Logf("%s: connected again %v after the restart", tc.transport, took.Round(10*time.Millisecond))

			srv.stop()
			for _, tok := range e.secrets {
				if strings.Contains(srv.logs.String(), tok) {
					e.fail("keep tokens out of the server's log", errors.New("a log line holds a CSRF token"))
				}
			}
			// What the page's own scripts log (the Sente client's warnings
			// among them) never holds a token either; Chromium's network
			// messages may (Sente puts the token in the WebSocket URL).
			for _, line := range tb.Console() {
				if strings.HasPrefix(line, "console.") && e.redact(line) != line {
					e.fail("keep tokens out of the console", fmt.Errorf("a page script logged a token: %s", e.redact(line)))
				}
			}
			_ = tb.CloseTab(ctx)
		})
	}
}

// sessionToken returns the CSRF token of the session of uid ("" when none).
func (a *app) sessionToken(uid string) string {
	mem := a.sessions.kv.(*memKV)
	mem.mu.Lock()
	defer mem.mu.Unlock()
	for _, e := range mem.byID {
		if e.rec.UID == uid {
			return e.rec.CSRF
		}
	}
	return ""
}

// restartable serves the app on one address, and can stop it and start a
// new app (with empty in-memory sessions) there, as a restarted process would.
type restartable struct {
	t      *testing.T
	logs   *syncBuffer // both apps' log lines
	addr   string
	app    *app
	cancel context.CancelFunc
	done   chan error
}

func (r *restartable) start(addr string) {
	r.t.Helper()
	cfg := testConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := newApp(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	ln, err := listenAgain(addr)
	if err != nil {
		r.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.addr, r.app, r.cancel, r.done = ln.Addr().String(), a, cancel, make(chan error, 1)
	go func() { r.done <- serve(ctx, a, ln) }()
}

// stop shuts the running app down (a no-op when none runs).
func (r *restartable) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	r.cancel = nil
	select {
	case err := <-r.done:
		if err != nil {
			r.t.Errorf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		r.t.Errorf("serve did not return after shutdown")
	}
}

// listenAgain listens on addr, which a stopped server may have just given
// up. Linux lets a listener reuse the address at once (Go sets
// SO_REUSEADDR); the bounded retry only covers a close still under way,
// which has no event to wait for.
func listenAgain(addr string) (net.Listener, error) {
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) {
			return nil, err
		}
		time.Sleep(20 * time.Millisecond) // no condition to wait on: see above
	}
	return nil, err
}

// syncBuffer is a bytes.Buffer that several goroutines may write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The browser client's fetch of the page for a fresh token is not a visit:
// it gets the session's token without counting.
func TestTokenRefreshIsNoVisit(t *testing.T) {
	base, a := startServer(t, testConfig())
	v := newVisitor(t, base)
	p := v.load() // a new session: count 10
	code, _, body := v.do("GET", "/", http.Header{"X-Sente-Csrf-Refresh": {"1"}}, "")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, p.token)
	require.Equal(t, int64(initialCount), a.sessions.byIDCount(t, p.token))
	v.load() // a visit counts
	require.Equal(t, int64(initialCount+1), a.sessions.byIDCount(t, p.token))
}

// byIDCount returns the count of the session whose token is token.
func (st *sessionStore) byIDCount(t *testing.T, token string) int64 {
	t.Helper()
	mem := st.kv.(*memKV)
	mem.mu.Lock()
	defer mem.mu.Unlock()
	for _, e := range mem.byID {
		if e.rec.CSRF == token {
			return e.rec.Count
		}
	}
	require.Fail(t, "no session with the page's token")
	return 0
}
