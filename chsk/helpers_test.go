package chsk

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gosente/gosente/chsk/adapter"
	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/internal/refapp"
)

// testWS is a WebSocket client that sees frames exactly as the server sent them.
type testWS struct {
	t      *testing.T
	c      *websocket.Conn
	frames chan wsFrame // filled by a reader goroutine, closed when the socket ends
}

type wsFrame struct {
	typ  websocket.MessageType
	data []byte
	err  error
}

// dialWS opens a socket to the app's /chsk with the given query and headers,
// and returns the connection and the HTTP response of the upgrade.
func (a *refApp) dialWS(t *testing.T, query string, h http.Header) (*testWS, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(a.hs.URL, "http") + "/chsk?" + query
	c, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		return nil, resp, err
	}
	c.SetReadLimit(64 << 20)
	w := &testWS{t: t, c: c, frames: make(chan wsFrame, 1024)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(w.frames)
		for {
			typ, b, err := c.Read(context.Background())
			w.frames <- wsFrame{typ, b, err}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = c.CloseNow()
		<-done
	})
	return w, resp, nil
}

// openWS opens an authorized socket for client-id cid and returns it after
// reading the handshake.
func (a *refApp) openWS(t *testing.T, cid string) (*testWS, string) {
	t.Helper()
	cookie, token := a.newSession()
	ws, _, err := a.dialWS(t, "client-id="+url.QueryEscape(cid)+"&csrf-token="+url.QueryEscape(token), http.Header{"Cookie": {cookie}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return ws, ws.read()
}

// read returns the next text frame, failing the test after 5s.
func (w *testWS) read() string {
	w.t.Helper()
	return w.readWithin(5 * time.Second)
}

func (w *testWS) readWithin(d time.Duration) string {
	w.t.Helper()
	select {
	case f, ok := <-w.frames:
		if !ok || f.err != nil {
			w.t.Fatalf("read: socket ended: %v", f.err)
		}
		if f.typ != websocket.MessageText {
			w.t.Fatalf("got a %v frame", f.typ)
		}
		return string(f.data)
	case <-time.After(d):
		w.t.Fatalf("no frame within %v", d)
		return ""
	}
}

// silent asserts that no frame arrives within d.
func (w *testWS) silent(d time.Duration) {
	w.t.Helper()
	select {
	case f := <-w.frames:
		w.t.Fatalf("expected silence, got %q (err %v)", f.data, f.err)
	case <-time.After(d):
	}
}

// ended waits for the socket to end and returns the error that ended it.
func (w *testWS) ended(d time.Duration) error {
	w.t.Helper()
	timeout := time.After(d)
	for {
		select {
		case f, ok := <-w.frames:
			if !ok {
				return nil
			}
			if f.err != nil {
				return f.err
			}
		case <-timeout:
			w.t.Fatalf("socket still open after %v", d)
			return nil
		}
	}
}

func (w *testWS) write(frame string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(w.t.Context(), 5*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// do sends an HTTP request to the app and returns the status and body.
func (a *refApp) do(t *testing.T, method, target string, h http.Header, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, a.hs.URL+target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := a.hs.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// waitEvent returns the next event with the given id, failing after d.
func (a *refApp) waitEvent(t *testing.T, id string, d time.Duration) *Message {
	t.Helper()
	return refapp.Wait(t, a.events, func(m *Message) bool { return string(m.Event.ID) == id }, d, id+" event")
}

// ajaxPost posts ppstr as a Sente Ajax client does.
func (a *refApp) ajaxPost(t *testing.T, cookie, token, cid, ppstr string) (int, string) {
	t.Helper()
	form := url.Values{"udt": {"1700000000100"}, "client-id": {cid}, "ppstr": {ppstr}}
	st, _, body := a.do(t, http.MethodPost, "/chsk", http.Header{
		"Cookie":       {cookie},
		"X-Csrf-Token": {token},
		"Content-Type": {"application/x-www-form-urlencoded;charset=utf-8"},
	}, form.Encode())
	return st, body
}

// ajaxGet sends a Sente Ajax GET (a handshake when handshake is true).
func (a *refApp) ajaxGet(t *testing.T, cookie, token, cid string, handshake bool) (int, string) {
	t.Helper()
	q := "udt=1700000000000&client-id=" + url.QueryEscape(cid)
	if handshake {
		q += "&handshake%3F=true"
	}
	st, _, body := a.do(t, http.MethodGet, "/chsk?"+q, http.Header{"Cookie": {cookie}, "X-Csrf-Token": {token}}, "")
	return st, body
}

func websocketCloseStatus(err error) websocket.StatusCode { return websocket.CloseStatus(err) }

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

func mustRequest(t *testing.T, method, target string) *http.Request {
	t.Helper()
	return httptest.NewRequestWithContext(t.Context(), method, target, nil)
}

// waitTab waits until client cid (uid cid) of transport kind is registered
// and cond holds for it; cond runs with the client's lock held. This is
// where tests look into a client's state.
func waitTab(t *testing.T, s *Server, kind adapter.Transport, cid, what string, cond func(*tab) bool) {
	t.Helper()
	key, err := UIDKey(cid)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		c := s.reg.lookup(kind, key, cid)
		if c == nil {
			return false
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return cond(c)
	}, 10*time.Second, time.Millisecond, "%v client %s: never %s", kind, cid, what)
}

// waitPolling waits until Ajax client cid (uid cid) has a poll parked on the
// server.
func waitPolling(t *testing.T, s *Server, cid string) {
	t.Helper()
	waitTab(t, s, adapter.Ajax, cid, "a parked poll", func(c *tab) bool { return c.conn != nil })
}

// poll waits for a state that nothing signals: see refapp.Poll.
var poll = refapp.Poll

// waitUntil waits until cond holds, checking it every millisecond, and fails
// the test with what() (evaluated then, so it can show the latest state)
// when d passes first.
func waitUntil(t testing.TB, d time.Duration, cond func() bool, what func() string) {
	t.Helper()
	if !poll(d, time.Millisecond, cond) {
		t.Fatal(what())
	}
}
