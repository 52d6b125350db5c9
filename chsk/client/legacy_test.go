package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// fakeSente is a scripted WebSocket server that writes frames byte for byte
// as a given Sente version does (see shared/golden), and records what the
// client sends.
type fakeSente struct {
	hs       *httptest.Server
	upgrades atomic.Int32
	frames   chan string // frames from the client

	handshake string   // the first frame
	after     []string // frames written right after the handshake
	// replyTo formats the reply to a [:test/echo] event with callback id cb;
	// empty means no replies.
	replyTo string
}

func newFakeSente(t *testing.T, handshake string, after ...string) *fakeSente {
	f := &fakeSente{handshake: handshake, after: after, frames: make(chan string, 1024)}
	f.hs = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.hs.Close)
	return f
}

func (f *fakeSente) url() string { return f.hs.URL + "/chsk" }

func (f *fakeSente) serve(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	f.upgrades.Add(1)
	ctx := r.Context()
	for _, frame := range append([]string{f.handshake}, f.after...) {
		if err := c.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
			return
		}
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return
		}
		select {
		case f.frames <- string(data):
		default:
		}
		env, err := wire.Unpack(data, nil)
		if err != nil || f.replyTo == "" {
			continue
		}
		ev, err := wire.ParseEvent(env.Payload)
		if cb, ok := env.CB.(string); ok && err == nil && ev.ID == "test/echo" {
			if err := c.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf(f.replyTo, cb))); err != nil {
				return
			}
		}
	}
}

// frame returns the next client frame that matches re, failing after d.
func (f *fakeSente) frame(t *testing.T, d time.Duration, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.After(d)
	for {
		select {
		case s := <-f.frames:
			if rx.MatchString(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("no client frame matching %s within %v", re, d)
			return ""
		}
	}
}

// The client reads what every Sente server generation writes (PROTOCOL
// §3.3, §5.1), frames taken from the golden transcripts.
func TestClientReadsEveryFormat(t *testing.T) {
	plan := wire.NewMap(wire.Keyword("plan"), wire.Keyword("free"))
	for _, tc := range []struct {
		name      string
		handshake string
		push      string
		reply     string
		version   ServerVersion
		uid       any
		data      any
	}{
		{"1.16", `-[:chsk/handshake ["old" nil]]`, `-[[:test/pushed 1] [:test/pushed 2]]`, `+[{:n 1} "%s"]`, Server117, "old", nil},
		{"1.17", `+[[:chsk/handshake ["probe-b" nil]]]`, `+[[[:test/pushed 1] [:test/pushed 2]]]`, `+[{:n 1} "%s"]`, Server117, "probe-b", nil},
		{"1.17 nil uid", `+[[:chsk/handshake [:taoensso.sente/nil-uid nil]]]`, `+[[[:test/pushed 1] [:test/pushed 2]]]`, `+[{:n 1} "%s"]`, Server117, nil, nil},
		{"1.18", `[[:chsk/handshake ["x" nil]]]`, `[[[:test/pushed 1] [:test/pushed 2]]]`, `[{:n 1} "%s"]`, Server121, "x", nil},
		{"1.21", `[[:chsk/handshake ["alice" nil {:plan :free}]] nil]`, `[[[:test/pushed 1] [:test/pushed 2]] nil]`, `[{:n 1} "%s"]`, Server121, "alice", plan},
		{"1.21 nil uid", `[[:chsk/handshake [:sente/nil-uid nil nil]] nil]`, `[[[:test/pushed 1] [:test/pushed 2]] nil]`, `[{:n 1} "%s"]`, Server121, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSente(t, tc.handshake, tc.push)
			f.replyTo = tc.reply
			rec := newClientRecorder()
			o := testClientOptions(TransportWS)
			o.ServerVersion = tc.version
			rec.options(o)
			c := dialTest(t, f.url(), o)
			st := c.State()
			require.True(t, st.Open)
			require.Equal(t, tc.uid, st.UID)
			require.True(t, wire.Equal(tc.data, st.HandshakeData))
			for i := range int64(2) {
				require.Equal(t, wire.Event{ID: "test/pushed", Data: i + 1}, rec.event(t, 2*time.Second))
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer cancel()
			reply, err := c.Request(ctx, wire.Event{ID: "test/echo", Data: int64(5)})
			require.NoError(t, err)
			require.True(t, wire.Equal(wire.NewMap(wire.Keyword("n"), int64(1)), reply))
		})
	}
}

// What the client writes: unprefixed HEAD frames by default, the legacy
// forms on request (PROTOCOL §3.5, §5.2).
func TestClientFrameShapes(t *testing.T) {
	for _, tc := range []struct {
		format        wire.Format
		send, request string
	}{
		{wire.Format121, `[[:test/a 1] nil]`, `^\[\[:test/echo 2\] "[0-9a-f]{6}"\]$`},
		{wire.Format118, `[[:test/a 1]]`, `^\[\[:test/echo 2\] "[0-9a-f]{6}"\]$`},
		{wire.Format117, `+[[:test/a 1]]`, `^\+\[\[:test/echo 2\] "[0-9a-f]{6}"\]$`},
		{wire.Format116, `-[:test/a 1]`, `^\+\[\[:test/echo 2\] "[0-9a-f]{6}"\]$`},
	} {
		t.Run(tc.format.String(), func(t *testing.T) {
			f := newFakeSente(t, `[[:chsk/handshake ["u" nil nil]] nil]`)
			f.replyTo = `[:ok "%s"]`
			o := testClientOptions(TransportWS)
			o.Packer = &wire.EDN{Format: tc.format}
			o.KeepAlive = -1
			c := dialTest(t, f.url(), o)
			require.NoError(t, c.Send(t.Context(), wire.Event{ID: "test/a", Data: int64(1)}))
			require.Equal(t, tc.send, f.frame(t, 2*time.Second, ``))
			reply, err := c.Request(t.Context(), wire.Event{ID: "test/echo", Data: int64(2)})
			require.NoError(t, err)
			require.Equal(t, wire.Keyword("ok"), reply)
			f.frame(t, 2*time.Second, tc.request)
		})
	}
}

// Against a 1.17 server the client pings as 1.17 clients do, without a
// callback, never answers the server's pings, and stays connected although
// no "pong" ever comes (PROTOCOL §6.4, §10.9).
func TestClientKeepAlive117(t *testing.T) {
	f := newFakeSente(t, `+[[:chsk/handshake ["probe-b" nil]]]`, `+[:chsk/ws-ping]`)
	o := testClientOptions(TransportWS)
	o.ServerVersion = Server117
	o.KeepAlive = 100 * time.Millisecond
	o.PingTimeout = 300 * time.Millisecond
	c := dialTest(t, f.url(), o)
	require.Equal(t, `[[:chsk/ws-ping] nil]`, f.frame(t, 2*time.Second, ``), "a 1.17-style ping is the first frame")
	deadline := time.After(700 * time.Millisecond)
	pings := 1
wait:
	for {
		select {
		case s := <-f.frames:
			require.Equal(t, `[[:chsk/ws-ping] nil]`, s, "nothing but callback-less pings, no pong")
			pings++
		case <-deadline:
			break wait
		}
	}
	require.GreaterOrEqual(t, pings, 2)
	require.Equal(t, int32(1), f.upgrades.Load(), "no reconnection")
	require.True(t, c.State().Open)
}

// Against a 1.21+ server the client answers pings with [:chsk/ws-pong],
// pings with a callback, and reconnects when no "pong" comes.
func TestClientKeepAlive121(t *testing.T) {
	f := newFakeSente(t, `[[:chsk/handshake ["alice" nil nil]] nil]`, `[:chsk/ws-ping nil]`)
	rec := newClientRecorder()
	o := testClientOptions(TransportWS)
	o.KeepAlive = 100 * time.Millisecond
	o.PingTimeout = 150 * time.Millisecond
	rec.options(o)
	dialTest(t, f.url(), o)
	require.Equal(t, `[[:chsk/ws-pong] nil]`, f.frame(t, 2*time.Second, ``))
	f.frame(t, 2*time.Second, `^\[\[:chsk/ws-ping\] "[0-9a-f]{6}"\]$`)
	st := rec.waitState(t, 2*time.Second, "ping timeout", func(s State) bool { return errors.Is(s.LastError, errPingTimeout) })
	require.False(t, st.Open)
	rec.waitState(t, 2*time.Second, "reopened", func(s State) bool { return s.Open })
	require.GreaterOrEqual(t, f.upgrades.Load(), int32(2))
}

// Against a gosente server both keep-alives work: the server's pings are
// answered, so its ping timeout never closes the socket, and the client's
// pings are answered "pong".
func TestClientKeepAliveGosente(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		serverKA, clientKA     time.Duration
		wantAtServer           string
		serverPingTimeout, run time.Duration
	}{
		{"server pings", 100 * time.Millisecond, -1, "chsk/ws-pong", 150 * time.Millisecond, 800 * time.Millisecond},
		{"client pings", time.Minute, 100 * time.Millisecond, "chsk/ws-ping", 0, 800 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := refOptions()
			opts.KeepAlive = tc.serverKA
			opts.PingTimeout = tc.serverPingTimeout
			a := newRefApp(t, opts)
			cookie, token := a.newSession()
			rec := newClientRecorder()
			o := testClientOptions(TransportWS)
			o.CSRFToken, o.Header = token, http.Header{"Cookie": {cookie}}
			o.KeepAlive = tc.clientKA
			o.PingTimeout = 200 * time.Millisecond
			rec.options(o)
			c := dialTest(t, a.hs.URL+"/chsk", o)
			rec.waitState(t, time.Second, "open", func(s State) bool { return s.Open })
			a.waitEvent(t, tc.wantAtServer, 2*time.Second)
			time.Sleep(tc.run) // nothing may happen meanwhile: no state to wait for
			select {
			case s := <-rec.states:
				t.Fatalf("unexpected state change: %+v -> %+v", s[0], s[1])
			default:
			}
			require.True(t, c.State().Open)
		})
	}
}

// A server that never handshakes is given up on; the client keeps trying.
func TestClientNoHandshake(t *testing.T) {
	f := newFakeSente(t, `[[[:test/pushed 1]] nil]`)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := Dial(ctx, f.url(), testClientOptions(TransportWS))
	require.ErrorIs(t, err, context.DeadlineExceeded)
}
