package chsk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// Adversarial inputs against a real test server (issue 7). Every case checks
// what must hold afterwards: the server still answers a healthy client, and
// (through TestMain's goleak) no goroutine outlives the test.

// assertHealthy opens a fresh WebSocket client and requires an echo reply.
func assertHealthy(t *testing.T, a *refApp) {
	t.Helper()
	ws, _ := a.openWS(t, rand.Text())
	ws.write(`[[:test/echo 1] "cb"]`)
	require.Equal(t, `[1 "cb"]`, ws.read())
}

// hostileWrite sends one message of type typ, ignoring a write error: the
// server may close the socket while a hostile frame is still being written.
func (w *testWS) hostileWrite(typ websocket.MessageType, data []byte) {
	ctx, cancel := context.WithTimeout(w.t.Context(), 5*time.Second)
	defer cancel()
	_ = w.c.Write(ctx, typ, data)
}

// hostileFrames are the hostile payloads sent both as WebSocket frames and
// as Ajax ppstr values.
var hostileFrames = []struct {
	name string
	data string
	// badPackage: the handler sees [:chsk/bad-package …]; otherwise the
	// frame is read as the echo event and answered.
	badPackage bool
}{
	{"deep nesting", strings.Repeat("[", 600) + strings.Repeat("]", 600), true},
	{"unknown tag", `[[:test/echo #foo/bar 1] "cb"]`, true},
	{"million-digit number", `[[:test/echo ` + strings.Repeat("7", 1_000_000) + `] "cb"]`, true},
	{"truncated", `[[:test/echo 1] "cb"`, true},
	{"lone bracket", `[`, true},
	{"unbalanced close", `]]]`, true},
	{"trailing data", `[[:test/echo 1] "cb"] [:x] ]]]`, false},
}

func hostileOptions() Options {
	opts := refOptions()
	opts.Logger = slog.New(slog.DiscardHandler)
	opts.MaxMessageBytes = 2 << 20 // room for the million-digit number
	return opts
}

func TestHostileWSFrames(t *testing.T) {
	for _, tc := range hostileFrames {
		t.Run(tc.name, func(t *testing.T) {
			a := newRefApp(t, hostileOptions())
			ws, _ := a.openWS(t, rand.Text())
			ws.write(tc.data)
			if tc.badPackage {
				a.waitEvent(t, "chsk/bad-package", 5*time.Second)
			} else {
				require.Equal(t, `[1 "cb"]`, ws.read())
			}
			// The attacking socket itself stays usable.
			ws.write(`[[:test/echo 2] "after"]`)
			require.Equal(t, `[2 "after"]`, ws.read())
			assertHealthy(t, a)
		})
	}
}

func TestHostileWSOversize(t *testing.T) {
	a := newRefApp(t, hostileOptions())
	ws, _ := a.openWS(t, rand.Text())
	start := time.Now()
	ws.hostileWrite(websocket.MessageText, []byte(strings.Repeat("[", 10<<20)))
	err := ws.ended(5 * time.Second)
	require.Error(t, err)
	require.Equal(t, websocket.StatusMessageTooBig, websocketCloseStatus(err), "err: %v", err)
	require.Less(t, time.Since(start), 5*time.Second)
	assertHealthy(t, a)
}

func TestHostileWSBinaryFrame(t *testing.T) {
	a := newRefApp(t, hostileOptions())
	ws, _ := a.openWS(t, rand.Text())
	ws.hostileWrite(websocket.MessageBinary, []byte(`[[:test/echo 1] "cb"]`))
	m := a.waitEvent(t, "chsk/bad-package", 5*time.Second)
	require.False(t, m.WantsReply())
	ws.hostileWrite(websocket.MessageBinary, []byte{0xff, 0x00, 0xfe}) // not UTF-8: dropped
	ws.silent(100 * time.Millisecond)
	ws.write(`[[:test/echo 2] "after"]`)
	require.Equal(t, `[2 "after"]`, ws.read())
	assertHealthy(t, a)
}

func TestHostileWSInvalidUTF8(t *testing.T) {
	a := newRefApp(t, hostileOptions())
	ws, _ := a.openWS(t, rand.Text())
	ws.hostileWrite(websocket.MessageText, []byte("[[:test/echo \"\xff\xfe\"] \"cb\"]"))
	// A text message that is not UTF-8 fails the connection with 1007
	// (RFC 6455 §8.1), before the handler sees it; other clients go on.
	err := ws.ended(5 * time.Second)
	require.Error(t, err)
	require.Equal(t, websocket.StatusInvalidFramePayloadData, websocketCloseStatus(err), "err: %v", err)
	assertHealthy(t, a)
}

func TestHostileAjaxPostBodies(t *testing.T) {
	a := newRefApp(t, hostileOptions())
	cookie, token := a.newSession()
	for _, tc := range hostileFrames {
		t.Run(tc.name, func(t *testing.T) {
			st, body := a.ajaxPost(t, cookie, token, rand.Text(), tc.data)
			require.Equal(t, http.StatusOK, st)
			if tc.badPackage {
				require.Equal(t, `[:chsk/dummy-cb-200 nil]`, body)
				a.waitEvent(t, "chsk/bad-package", 5*time.Second)
			} else {
				require.Equal(t, `[1 nil]`, body)
			}
		})
	}
	t.Run("oversize ppstr", func(t *testing.T) {
		st, body := a.ajaxPost(t, cookie, token, rand.Text(), strings.Repeat("[", 3<<20))
		require.Equal(t, http.StatusRequestEntityTooLarge, st, body)
	})
	post := func(t *testing.T, query, contentType, body string) (int, string) {
		t.Helper()
		st, _, b := a.do(t, http.MethodPost, "/chsk"+query, http.Header{
			"Cookie": {cookie}, "X-Csrf-Token": {token}, "Content-Type": {contentType},
		}, body)
		return st, b
	}
	const form = "application/x-www-form-urlencoded"
	echo := url.QueryEscape(`[[:test/echo 3] 0]`)
	for _, tc := range []struct {
		name, query, contentType, body string
		want                           int
		wantBody                       string // checked when not empty
	}{
		{"duplicated client-id", "", form, "client-id=a&client-id=b&ppstr=" + echo, http.StatusOK, `[3 nil]`},
		{"duplicated ppstr", "", form, "client-id=a&ppstr=" + echo + "&ppstr=%5B", http.StatusOK, `[3 nil]`},
		{"client-id in query and body", "?client-id=q", form, "client-id=b&ppstr=" + echo, http.StatusOK, `[3 nil]`},
		{"missing ppstr", "", form, "client-id=a", http.StatusOK, `[:chsk/dummy-cb-200 nil]`},
		{"text/plain body", "", "text/plain", "client-id=a&ppstr=" + echo, http.StatusOK, `[:chsk/dummy-cb-200 nil]`},
		{"multipart without boundary", "", "multipart/form-data", "client-id=a&ppstr=" + echo, http.StatusOK, `[:chsk/dummy-cb-200 nil]`},
		{"unparsable Content-Type", "", "a;;;=", "client-id=a&ppstr=" + echo, http.StatusBadRequest, ""},
		{"bogus percent-encoding in body", "", form, "client-id=a&ppstr=%zz", http.StatusBadRequest, ""},
		{"bogus percent-encoding in query", "?client-id=%zz", form, "ppstr=" + echo, http.StatusBadRequest, ""},
		// Refused at once, as on GET, instead of holding the request open.
		{"over-long client-id", "", form, "client-id=" + strings.Repeat("x", 300) + "&ppstr=" + echo, http.StatusBadRequest, "Bad client id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := post(t, tc.query, tc.contentType, tc.body)
			require.Equal(t, tc.want, st, body)
			if tc.wantBody != "" {
				require.Equal(t, tc.wantBody, body)
			}
		})
	}
	assertHealthy(t, a)
}

// hostileBody yields n bytes of '[' after prefix, counting what was read.
type hostileBody struct {
	prefix string
	left   int64
	read   int64
}

func (r *hostileBody) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && r.left > 0 {
		if r.prefix != "" {
			p[n] = r.prefix[0]
			r.prefix = r.prefix[1:]
		} else {
			p[n] = '['
		}
		n++
		r.left--
	}
	r.read += int64(n)
	return n, nil
}

// A 100 MB POST is refused with 413 after reading about MaxMessageBytes.
func TestHostileAjaxPostHugeBody(t *testing.T) {
	for _, query := range []string{"?client-id=a", "?client-id=a&binary%3F=true"} {
		t.Run(query, func(t *testing.T) {
			srv, err := New(&Options{MaxMessageBytes: 1 << 20, Logger: slog.New(slog.DiscardHandler), CSRFToken: func(*http.Request) string { return SkipCSRFCheck }})
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })
			body := &hostileBody{prefix: "ppstr=", left: 100 << 20}
			req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/chsk"+query, body)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			start := time.Now()
			srv.ServeHTTP(rec, req)
			require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
			require.Less(t, time.Since(start), 2*time.Second)
			require.LessOrEqual(t, body.read, int64(2<<20), "the server read %d bytes of the body", body.read)
		})
	}
}

func TestHostileAjaxGetQuery(t *testing.T) {
	a := newRefApp(t, hostileOptions())
	cookie, token := a.newSession()
	for _, tc := range []struct {
		name, query string
		want        int
	}{
		{"over-long client-id", "client-id=" + strings.Repeat("x", 300) + "&handshake%3F=true", http.StatusBadRequest},
		{"client-id at the limit", "client-id=" + strings.Repeat("y", 256) + "&handshake%3F=true", http.StatusOK},
		{"bogus percent-encoding", "client-id=%zz&handshake%3F=true", http.StatusBadRequest},
		{"bogus percent-encoding elsewhere", "client-id=a&x=%&handshake%3F=true", http.StatusBadRequest},
		{"duplicated client-id", "client-id=a&client-id=b&handshake%3F=true", http.StatusOK},
		{"empty client-id", "client-id=&handshake%3F=true", http.StatusInternalServerError},
		{"blank client-id", "client-id=%20%20&handshake%3F=true", http.StatusInternalServerError},
		{"semicolon separator", "client-id=a;b&handshake%3F=true", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _, body := a.do(t, http.MethodGet, "/chsk?"+tc.query, http.Header{"Cookie": {cookie}, "X-Csrf-Token": {token}}, "")
			require.Equal(t, tc.want, st, body)
		})
	}
	assertHealthy(t, a)
}

func TestHostileWrongMethods(t *testing.T) {
	srv, err := New(&Options{Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions, "BREW"} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), method, "/chsk?client-id=a", strings.NewReader("ppstr=x")))
		require.Equal(t, http.StatusMethodNotAllowed, rec.Code, method)
		require.Equal(t, "GET, POST", rec.Header().Get("Allow"), method)
	}
}

// A CSRF token from another session is refused on every transport.
func TestHostileForeignCSRFToken(t *testing.T) {
	a := newRefApp(t, hostileOptions())
	victimCookie, victimToken := a.newSession()
	_, attackerToken := a.newSession()

	ws, resp, err := a.dialWS(t, "client-id=a&csrf-token="+url.QueryEscape(attackerToken), http.Header{"Cookie": {victimCookie}})
	require.Error(t, err)
	require.Nil(t, ws)
	require.NotNil(t, resp)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	st, body := a.ajaxGet(t, victimCookie, attackerToken, "a", true)
	require.Equal(t, http.StatusForbidden, st)
	require.Equal(t, "Bad CSRF token", body)

	// The reference app's anti-forgery middleware refuses a foreign header
	// token itself; a foreign csrf-token form field behind a valid header
	// must be refused by chsk.
	form := url.Values{"client-id": {"a"}, "csrf-token": {attackerToken}, "ppstr": {`[[:test/echo 1] 0]`}}
	st, _, body = a.do(t, http.MethodPost, "/chsk", http.Header{
		"Cookie": {victimCookie}, "X-Csrf-Token": {victimToken},
		"Content-Type": {"application/x-www-form-urlencoded"},
	}, form.Encode())
	require.Equal(t, http.StatusForbidden, st)
	require.Equal(t, "Bad CSRF token", body)

	st, body = a.ajaxPost(t, victimCookie, attackerToken, "a", `[[:test/echo 1] 0]`)
	require.Equal(t, http.StatusForbidden, st, body)

	require.Empty(t, hostileConnected(a), "a refused client must not count as connected")
	assertHealthy(t, a)
}

// hostileConnected returns the uids the app's server has connected.
func hostileConnected(a *refApp) []any { return a.srv.Connected().Any }

// 200 concurrent connect/disconnect cycles leave nothing behind.
func TestHostileWSFlood(t *testing.T) {
	const n = 200
	opts := hostileOptions()
	opts.CloseGraceWS = 100 * time.Millisecond
	a := newRefApp(t, opts)
	cookie, token := a.newSession()
	u := "ws" + strings.TrimPrefix(a.hs.URL, "http") + "/chsk?csrf-token=" + url.QueryEscape(token) + "&client-id="
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, u+rand.Text(), &websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {cookie}}})
			if err != nil {
				errs <- err
				return
			}
			defer c.CloseNow()
			if _, _, err := c.Read(ctx); err != nil { // the handshake
				errs <- err
				return
			}
			_ = c.Close(websocket.StatusNormalClosure, "")
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("client: %v", err)
	}
	count := func(id string) int { return hostileCount(a, id) }
	waitUntil(t, 5*time.Second, func() bool { return len(hostileConnected(a)) == 0 && count("chsk/uidport-close") >= n }, func() string {
		return fmt.Sprintf("still connected: %v; uidport-close %d of %d", hostileConnected(a), count("chsk/uidport-close"), n)
	})
	require.Equal(t, n, count("chsk/uidport-open"))
	require.Equal(t, n, count("chsk/uidport-close"))
	assertHealthy(t, a)
}

// Concurrent sockets and long-polls that all claim one client-id leave
// nothing behind either, and every poll is answered within LongPollTimeout.
func TestHostileSameClientIDFlood(t *testing.T) {
	const n = 50
	opts := hostileOptions()
	opts.CloseGraceWS = 100 * time.Millisecond
	opts.CloseGraceAjax = 100 * time.Millisecond
	opts.LongPollTimeout = time.Second
	a := newRefApp(t, opts)
	cookie, token := a.newSession()
	const cid = "the-one-client"
	st, _ := a.ajaxGet(t, cookie, token, cid, true)
	require.Equal(t, http.StatusOK, st)
	wsURL := "ws" + strings.TrimPrefix(a.hs.URL, "http") + "/chsk?csrf-token=" + url.QueryEscape(token) + "&client-id=" + cid
	errs := make(chan error, 2*n)
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Cookie": {cookie}}})
			if err != nil {
				errs <- err
				return
			}
			defer c.CloseNow()
			_, _, _ = c.Read(ctx)
			_ = c.Close(websocket.StatusNormalClosure, "")
		})
		wg.Go(func() {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, a.hs.URL+"/chsk?udt=1&client-id="+cid, nil)
			if err != nil {
				errs <- err
				return
			}
			req.Header.Set("Cookie", cookie)
			req.Header.Set("X-Csrf-Token", token)
			resp, err := a.hs.Client().Do(req)
			if err != nil {
				errs <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- errors.New("poll: " + resp.Status)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("client: %v", err)
	}
	require.Less(t, time.Since(start), 5*time.Second)
	balanced := func() bool {
		return hostileCount(a, "chsk/uidport-open") == hostileCount(a, "chsk/uidport-close")
	}
	waitUntil(t, 5*time.Second, func() bool { return len(hostileConnected(a)) == 0 && balanced() }, func() string {
		return fmt.Sprintf("still connected: %v; uidport-open %d, uidport-close %d", hostileConnected(a),
			hostileCount(a, "chsk/uidport-open"), hostileCount(a, "chsk/uidport-close"))
	})
	require.Positive(t, hostileCount(a, "chsk/uidport-open"))
	assertHealthy(t, a)
}

// hostileCount counts the events with the given id in the app's event log.
func hostileCount(a *refApp, id string) int {
	k := 0
	for _, line := range a.eventLog() {
		if strings.Contains(line, ":id :"+id+" ") || strings.Contains(line, ":id :"+id+",") {
			k++
		}
	}
	return k
}
