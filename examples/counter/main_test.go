package main

import (
	"context"
	"encoding/base64"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// testConfig is the default configuration, quiet, with ticks out of the way
// (tests that want them set TickEvery).
func testConfig() config {
	cfg := defaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.TickEvery = time.Hour
	cfg.Logger = slog.New(slog.DiscardHandler)
	return cfg
}

// startServer serves a new app on 127.0.0.1 through serve, as main does,
// and shuts it down at the end of the test.
func startServer(t *testing.T, cfg config) (string, *app) {
	t.Helper()
	a, err := newApp(cfg)
	require.NoError(t, err)
	return serveInTest(t, func(ctx context.Context, ln net.Listener) error { return serve(ctx, a, ln) }), a
}

// serveInTest runs serve on a new loopback listener until the end of the
// test, and returns the base URL.
func serveInTest(t *testing.T, serve func(context.Context, net.Listener) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("serve did not return after shutdown")
		}
	})
	return "http://" + ln.Addr().String()
}

// visitor is one browser: it keeps the session cookie the page sets.
type visitor struct {
	t      *testing.T
	base   string
	client *http.Client
	cookie *http.Cookie
}

func newVisitor(t *testing.T, base string) *visitor {
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	return &visitor{t: t, base: base, client: client}
}

var (
	csrfAttr  = regexp.MustCompile(`<div id="sente-csrf-token" data-csrf-token="([^"]*)">`)
	stateAttr = regexp.MustCompile(`<main id="app" data-state="([^"]*)"`)
)

// page is what a page load shows.
type page struct {
	resp  *http.Response
	body  string
	token string // from the CSRF div
	state string // data-state, decoded: EDN text
}

// load GETs the page, keeping a new session cookie.
func (v *visitor) load() page {
	v.t.Helper()
	code, h, body := v.do("GET", "/", nil, "")
	require.Equal(v.t, http.StatusOK, code, body)
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == "counter_session" {
			v.cookie = c
		}
	}
	p := page{resp: &http.Response{Header: h}, body: body}
	m := csrfAttr.FindStringSubmatch(body)
	require.NotNil(v.t, m, "no CSRF div in the page")
	p.token = html.UnescapeString(m[1])
	m = stateAttr.FindStringSubmatch(body)
	require.NotNil(v.t, m, "no data-state in the page")
	edn, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
	require.NoError(v.t, err)
	p.state = string(edn)
	return p
}

// do sends a request with the visitor's cookie and the given headers.
func (v *visitor) do(method, target string, h http.Header, body string) (int, http.Header, string) {
	v.t.Helper()
	req, err := http.NewRequest(method, v.base+target, strings.NewReader(body))
	require.NoError(v.t, err)
	for k, vs := range h {
		req.Header[k] = vs
	}
	if v.cookie != nil {
		req.AddCookie(&http.Cookie{Name: v.cookie.Name, Value: v.cookie.Value})
	}
	resp, err := v.client.Do(req)
	require.NoError(v.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(v.t, err)
	return resp.StatusCode, resp.Header, string(b)
}

// ajaxGet sends a Sente Ajax GET (a handshake when handshake is set) as a
// same-origin browser page does: token header, Referer, no Origin.
func (v *visitor) ajaxGet(token, cid string, handshake bool) (int, string) {
	v.t.Helper()
	q := url.Values{"client-id": {cid}}
	if handshake {
		q.Set("handshake?", "1")
	}
	h := http.Header{"Referer": {v.base + "/"}}
	if token != "" {
		h.Set("X-CSRF-Token", token)
	}
	code, _, body := v.do("GET", "/chsk?"+q.Encode(), h, "")
	return code, body
}

// ajaxPost sends one event as a Sente Ajax POST from the page's origin.
func (v *visitor) ajaxPost(token, cid, ppstr string) (int, string) {
	v.t.Helper()
	h := http.Header{
		"Origin":       {v.base},
		"Content-Type": {"application/x-www-form-urlencoded"},
	}
	if token != "" {
		h.Set("X-CSRF-Token", token)
	}
	form := url.Values{"client-id": {cid}, "ppstr": {ppstr}}
	code, _, body := v.do("POST", "/chsk", h, form.Encode())
	return code, body
}

// dialWS opens a WebSocket to /chsk as a browser on origin would.
func (v *visitor) dialWS(token, cid, origin string) (*websocket.Conn, *http.Response, error) {
	q := url.Values{"client-id": {cid}}
	if token != "" {
		q.Set("csrf-token", token)
	}
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	if v.cookie != nil {
		h.Set("Cookie", v.cookie.Name+"="+v.cookie.Value)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(v.base, "http")+"/chsk?"+q.Encode(),
		&websocket.DialOptions{HTTPHeader: h})
	if c != nil {
		v.t.Cleanup(func() { _ = c.CloseNow() })
	}
	return c, resp, err
}

// openWS opens a WebSocket that must succeed, and returns it with its
// handshake frame read.
func (v *visitor) openWS(token, cid string) (*websocket.Conn, wire.Handshake) {
	v.t.Helper()
	c, _, err := v.dialWS(token, cid, v.base)
	require.NoError(v.t, err)
	frame := readFrame(v.t, c, 3*time.Second)
	env, err := wire.Unpack([]byte(frame), nil)
	require.NoError(v.t, err)
	hs, ok := wire.ParseHandshake(env.Payload)
	require.True(v.t, ok, "first frame is not a handshake: %s", frame)
	return c, hs
}

func readFrame(t *testing.T, c *websocket.Conn, within time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	return string(data)
}

func writeFrame(t *testing.T, c *websocket.Conn, frame string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	require.NoError(t, c.Write(ctx, websocket.MessageText, []byte(frame)))
}

func TestPageRendersTokenStateAndSecureHeaders(t *testing.T) {
	base, a := startServer(t, testConfig())
	v := newVisitor(t, base)
	p := v.load()

	require.NotNil(t, v.cookie, "no session cookie")
	require.True(t, v.cookie.HttpOnly, "session cookie must be HttpOnly")
	require.Equal(t, http.SameSiteLaxMode, v.cookie.SameSite)
	require.Equal(t, "/", v.cookie.Path)
	require.False(t, v.cookie.Secure, "plain HTTP without -secure-cookie")
	require.Len(t, v.cookie.Value, 43, "32 random bytes, base64url")

	req := httptest.NewRequest("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: v.cookie.Name, Value: v.cookie.Value})
	s, err := a.sessions.Lookup(req)
	require.NoError(t, err)
	require.NotNil(t, s)
	require.Equal(t, s.csrf, p.token, "the div carries the session's CSRF token")
	require.Len(t, p.token, 43)

	require.Equal(t, `{:name "Clojure", :count 10}`, p.state)
	v1, err := wire.Read([]byte(p.state), nil)
	require.NoError(t, err)
	m := v1.(*wire.Map)
	name, _ := m.Get(wire.Keyword("name"))
	count, _ := m.Get(wire.Keyword("count"))
	require.Equal(t, "Clojure", name)
	require.Equal(t, int64(10), count)

	h := p.resp.Header
	require.Equal(t, "no-store", h.Get("Cache-Control"))
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	require.Equal(t, "same-origin", h.Get("Referrer-Policy"))
	csp := h.Get("Content-Security-Policy")
	nonce := regexp.MustCompile(`style-src 'nonce-([^']+)'`).FindStringSubmatch(csp)
	require.NotNil(t, nonce, csp)
	require.Contains(t, p.body, `<style nonce="`+nonce[1]+`">`)
	require.Contains(t, csp, "script-src 'self'")
	require.Contains(t, csp, "connect-src 'self'")
	require.Contains(t, p.body, `<script type="module" src="/static/app.js">`)
}

func TestVisitCountGrowsPerSession(t *testing.T) {
	base, _ := startServer(t, testConfig())
	v := newVisitor(t, base)
	for _, want := range []string{"10", "11", "12"} {
		require.Equal(t, `{:name "Clojure", :count `+want+`}`, v.load().state)
	}
	other := newVisitor(t, base)
	require.Equal(t, `{:name "Clojure", :count 10}`, other.load().state, "another browser has its own session")

	// A cookie the client made up never becomes a session (no fixation).
	forged := newVisitor(t, base)
	forged.cookie = &http.Cookie{Name: "counter_session", Value: "attacker-chosen-id"}
	require.Equal(t, `{:name "Clojure", :count 10}`, forged.load().state)
	require.NotEqual(t, "attacker-chosen-id", forged.cookie.Value)
}

func TestSecureCookie(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secure bool // -secure-cookie
		tls    bool
	}{
		{"flag", true, false},
		{"tls", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.SecureCookies = tc.secure
			a, err := newApp(cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = a.shutdown(context.Background()) })
			req := httptest.NewRequest("GET", "/", nil)
			if tc.tls {
				req = httptest.NewRequest("GET", "https://example.test/", nil) // sets req.TLS
			}
			rec := httptest.NewRecorder()
			a.handler().ServeHTTP(rec, req)
			cookies := rec.Result().Cookies()
			require.Len(t, cookies, 1)
			require.True(t, cookies[0].Secure)
			require.True(t, cookies[0].HttpOnly)
		})
	}
}

// Every transport refuses a request whose token is not its session's.
func TestCSRFTokenCheckedOnEveryTransport(t *testing.T) {
	base, _ := startServer(t, testConfig())
	alice := newVisitor(t, base)
	aliceToken := alice.load().token
	bob := newVisitor(t, base)
	bobToken := bob.load().token
	noCookie := newVisitor(t, base)

	cases := []struct {
		name  string
		v     *visitor
		token string
	}{
		{"no token", alice, ""},
		{"wrong token", alice, "not-the-token"},
		{"another session's token", alice, bobToken},
		{"right token without the session cookie", noCookie, aliceToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := tc.v.ajaxGet(tc.token, "tab-1", true)
			require.Equal(t, http.StatusForbidden, code, "Ajax handshake")
			require.Equal(t, "Bad CSRF token", body)

			code, body = tc.v.ajaxPost(tc.token, "tab-1", `[[:components/commtest {:msg "hi"}] :ajax]`)
			require.Equal(t, http.StatusForbidden, code, "Ajax POST")
			require.Equal(t, "Bad CSRF token", body)

			_, resp, err := tc.v.dialWS(tc.token, "tab-1", base)
			require.Error(t, err, "WebSocket upgrade")
			require.NotNil(t, resp)
			require.Equal(t, http.StatusForbidden, resp.StatusCode)
		})
	}

	t.Run("right token", func(t *testing.T) {
		code, body := alice.ajaxGet(aliceToken, "tab-1", true)
		require.Equal(t, http.StatusOK, code, body)
		require.Contains(t, body, ":chsk/handshake")
		alice.openWS(aliceToken, "tab-2")
	})
}

// Only the page's own origin may open the socket, poll or post.
func TestOnlyThePagesOriginMayConnect(t *testing.T) {
	base, _ := startServer(t, testConfig())
	v := newVisitor(t, base)
	token := v.load().token
	evil := "http://evil.example"

	t.Run("cross-site WebSocket upgrade", func(t *testing.T) {
		_, resp, err := v.dialWS(token, "tab-1", evil)
		require.Error(t, err)
		require.NotNil(t, resp)
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	})
	t.Run("WebSocket upgrade without Origin", func(t *testing.T) {
		_, resp, err := v.dialWS(token, "tab-1", "")
		require.Error(t, err)
		require.NotNil(t, resp)
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	})

	ajax := []struct {
		name    string
		method  string
		headers http.Header
	}{
		{"GET with a cross-site Origin", "GET", http.Header{"Origin": {evil}}},
		{"GET with a cross-site Referer", "GET", http.Header{"Referer": {evil + "/"}}},
		{"GET with a look-alike Referer", "GET", http.Header{"Referer": {base + ".evil.example/"}}},
		{"GET with neither Origin nor Referer", "GET", http.Header{}},
		{"GET with a cross-site Origin and our Referer", "GET", http.Header{"Origin": {evil}, "Referer": {base + "/"}}},
		{"POST with a cross-site Origin", "POST", http.Header{"Origin": {evil}}},
	}
	for _, tc := range ajax {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.headers.Clone()
			h.Set("X-CSRF-Token", token)
			target := "/chsk?client-id=tab-1&handshake%3F=1"
			body := ""
			if tc.method == "POST" {
				target = "/chsk"
				h.Set("Content-Type", "application/x-www-form-urlencoded")
				body = url.Values{"client-id": {"tab-1"}, "ppstr": {`[[:counter/inc] :ajax]`}}.Encode()
			}
			code, _, resp := v.do(tc.method, target, h, body)
			require.Equal(t, http.StatusForbidden, code)
			require.Equal(t, "Unauthorized origin", resp)
		})
	}

	t.Run("same origin", func(t *testing.T) {
		code, body := v.ajaxGet(token, "tab-1", true)
		require.Equal(t, http.StatusOK, code, body)
		v.openWS(token, "tab-2")
	})
	require.Equal(t, `{:name "Clojure", :count 11}`, v.load().state, "the refused inc did not count")
}

// -origins replaces the page's own origin with the listed ones (a server
// behind a proxy knows its public origin better than its Host header).
func TestConfiguredOrigins(t *testing.T) {
	cfg := testConfig()
	cfg.Origins = []string{"https://app.example"}
	base, _ := startServer(t, cfg)
	v := newVisitor(t, base)
	token := v.load().token

	_, resp, err := v.dialWS(token, "tab-1", base)
	require.Error(t, err)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	_, _, err = v.dialWS(token, "tab-1", "https://app.example")
	require.NoError(t, err)
}

func TestCommtestReply(t *testing.T) {
	base, _ := startServer(t, testConfig())
	v := newVisitor(t, base)
	token := v.load().token

	t.Run("ajax", func(t *testing.T) {
		code, body := v.ajaxPost(token, "tab-1", `[[:components/commtest {:msg "Hello World!"}] :ajax]`)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, `[{:reply "Hello World! (from Go)", :transport "ajax"} nil]`, body)
	})
	t.Run("ws", func(t *testing.T) {
		c, _ := v.openWS(token, "tab-2")
		writeFrame(t, c, `[[:components/commtest {:msg "Hello World!"}] "a1b2c3"]`)
		require.Equal(t, `[{:reply "Hello World! (from Go)", :transport "ws"} "a1b2c3"]`, readFrame(t, c, 3*time.Second))
	})
	t.Run("bad data", func(t *testing.T) {
		code, body := v.ajaxPost(token, "tab-1", `[[:components/commtest [1 2]] :ajax]`)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, `[{:error "expected {:msg \"…\"}"} nil]`, body)
	})
}

// inc replies to its sender and pushes the count to every tab of the
// session, and to nobody else; a page load in one tab reaches the others.
func TestIncPushesToEveryTabOfTheSession(t *testing.T) {
	base, _ := startServer(t, testConfig())
	alice := newVisitor(t, base)
	token := alice.load().token
	tab1, hs1 := alice.openWS(token, "tab-1")
	tab2, hs2 := alice.openWS(token, "tab-2")
	bob := newVisitor(t, base)
	bobWS, hsBob := bob.openWS(bob.load().token, "tab-1")

	require.Equal(t, hs1.UID, hs2.UID, "tabs of one session share a uid")
	require.NotEqual(t, hs1.UID, hsBob.UID)
	require.Equal(t, `{:count 10}`, mustMarshal(t, hs1.Data), "the handshake carries the count")

	writeFrame(t, tab1, `[[:counter/inc] "cb0001"]`)
	got := []string{readFrame(t, tab1, 3*time.Second), readFrame(t, tab1, 3*time.Second)}
	require.ElementsMatch(t, []string{`[{:count 11} "cb0001"]`, `[[[:counter/count 11]] nil]`}, got)
	require.Equal(t, `[[[:counter/count 11]] nil]`, readFrame(t, tab2, 3*time.Second))

	_, body := alice.ajaxPost(token, "tab-3", `[[:counter/inc] :ajax]`)
	require.Equal(t, `[{:count 12} nil]`, body)
	require.Equal(t, `[[[:counter/count 12]] nil]`, readFrame(t, tab1, 3*time.Second))
	require.Equal(t, `[[[:counter/count 12]] nil]`, readFrame(t, tab2, 3*time.Second))

	require.Equal(t, `{:name "Clojure", :count 13}`, alice.load().state)
	require.Equal(t, `[[[:counter/count 13]] nil]`, readFrame(t, tab1, 3*time.Second))
	require.Equal(t, `[[[:counter/count 13]] nil]`, readFrame(t, tab2, 3*time.Second))

	// Bob's tab heard none of it.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, data, err := bobWS.Read(ctx)
	require.Error(t, err, "bob received %s", data)
}

func TestTicksReachEveryone(t *testing.T) {
	cfg := testConfig()
	cfg.TickEvery = 50 * time.Millisecond
	base, _ := startServer(t, cfg)
	var conns []*websocket.Conn
	for range 2 {
		v := newVisitor(t, base)
		c, _ := v.openWS(v.load().token, "tab-1")
		conns = append(conns, c)
	}
	for _, c := range conns {
		require.Eventually(t, func() bool {
			env, err := wire.Unpack([]byte(readFrame(t, c, 2*time.Second)), nil)
			require.NoError(t, err)
			evs, err := wire.ParseBatch(env.Payload)
			require.NoError(t, err)
			for _, ev := range evs {
				require.Equal(t, evTick, ev.ID)
				var d struct {
					Time  time.Time `edn:"time"`
					Users int       `edn:"users"`
				}
				require.NoError(t, wire.Decode(ev.Data, &d))
				require.WithinDuration(t, time.Now(), d.Time, 5*time.Second)
				if d.Users == 2 {
					return true
				}
			}
			return false
		}, 5*time.Second, time.Millisecond, "a tick counting both users")
	}
}

// A parked long-poll lives its full LongPollTimeout behind the configured
// http.Server timeouts and ends with :chsk/timeout, not a cut connection.
func TestLongPollOutlastsServerTimeouts(t *testing.T) {
	cfg := testConfig()
	cfg.LongPollTimeout = time.Second
	srv := newHTTPServer(http.NotFoundHandler(), cfg)
	require.Greater(t, srv.ReadTimeout, cfg.LongPollTimeout)
	require.Greater(t, srv.WriteTimeout, cfg.LongPollTimeout)
	require.NotZero(t, srv.ReadHeaderTimeout)
	require.NotZero(t, srv.IdleTimeout)

	base, _ := startServer(t, cfg)
	v := newVisitor(t, base)
	token := v.load().token
	code, _ := v.ajaxGet(token, "tab-1", true)
	require.Equal(t, http.StatusOK, code)
	start := time.Now()
	code, body := v.ajaxGet(token, "tab-1", false)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, `[:chsk/timeout nil]`, body)
	require.GreaterOrEqual(t, time.Since(start), cfg.LongPollTimeout-50*time.Millisecond)
}

// Shutdown answers parked polls, drops sockets, closes the listener and
// returns promptly.
func TestGracefulShutdown(t *testing.T) {
	a, err := newApp(testConfig())
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, a, ln) }()
	base := "http://" + ln.Addr().String()

	v := newVisitor(t, base)
	token := v.load().token
	ws, _ := v.openWS(token, "tab-ws")
	code, _ := v.ajaxGet(token, "tab-ajax", true)
	require.Equal(t, http.StatusOK, code)
	polled := make(chan string, 1)
	go func() {
		_, body := v.ajaxGet(token, "tab-ajax", false)
		polled <- body
	}()
	require.Eventually(t, func() bool { return a.chsk.Stats().Connections.Ajax == 1 }, 3*time.Second, time.Millisecond, "the poll parks")

	start := time.Now()
	cancel()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not return")
	}
	require.Less(t, time.Since(start), 3*time.Second)
	select {
	case body := <-polled:
		// chsk documents :chsk/timeout; its Shutdown can also close the parked
		// poll first, ending it with an empty response (reported to the lead).
		// Either way the poll ended at once and the client polls again.
		require.Contains(t, []string{`[:chsk/timeout nil]`, ""}, body)
	case <-time.After(3 * time.Second):
		t.Fatal("the parked poll was not answered")
	}
	rctx, rcancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer rcancel()
	_, _, err = ws.Read(rctx)
	require.Error(t, err)
	require.NotErrorIs(t, err, context.DeadlineExceeded, "the socket was dropped")
	_, err = net.DialTimeout("tcp", ln.Addr().String(), time.Second)
	require.Error(t, err, "the listener is closed")
}

func TestStaticFilesAndRoutes(t *testing.T) {
	base, _ := startServer(t, testConfig())
	v := newVisitor(t, base)
	for _, name := range []string{"sente/sente.js", "sente/edn.js", "static/app.js"} {
		t.Run(name, func(t *testing.T) {
			code, h, body := v.do("GET", "/"+name, nil, "")
			require.Equal(t, http.StatusOK, code)
			require.Contains(t, h.Get("Content-Type"), "javascript")
			require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
			want, err := os.ReadFile(strings.Replace(name, "sente/", "../../js/", 1))
			require.NoError(t, err)
			require.Equal(t, string(want), body)
		})
	}
	for _, tc := range []struct {
		method, target string
		code           int
	}{
		{"GET", "/static/", http.StatusNotFound},
		{"GET", "/static/sente.js", http.StatusNotFound},
		{"GET", "/sente/test/edn.test.js", http.StatusNotFound},
		{"GET", "/static/../main.go", http.StatusNotFound},
		{"GET", "/nope", http.StatusNotFound},
		{"POST", "/", http.StatusMethodNotAllowed},
		{"PUT", "/chsk", http.StatusMethodNotAllowed},
	} {
		code, _, _ := v.do(tc.method, tc.target, nil, "")
		require.Equal(t, tc.code, code, "%s %s", tc.method, tc.target)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := wire.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// pageURL names the address a browser should open.
func TestPageURL(t *testing.T) {
	for _, tc := range []struct {
		addr string
		tls  bool
		want string
	}{
		{"[::]:8080", false, "http://localhost:8080/"},
		{"0.0.0.0:8080", true, "https://localhost:8080/"},
		{"127.0.0.1:9000", false, "http://127.0.0.1:9000/"},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		require.NoError(t, err)
		require.Equal(t, tc.want, pageURL(addr, tc.tls))
	}
}
