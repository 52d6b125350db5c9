package client

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/internal/refapp"
	"github.com/gosente/gosente/chsk/wire"
)

// A server restarted with fresh in-memory sessions refuses the client's
// token with 403; a client with a TokenSource gets a new session and token
// from the page and is connected again within seconds, on the same
// transport, and its next request is answered. No error, state or log line
// shows a token.
func TestClientRecoversFromRestartWithNewSession(t *testing.T) {
	for _, tc := range clientTransports[:2] {
		t.Run(tc.name, func(t *testing.T) {
			s := &restartable{t: t, addr: "127.0.0.1:0", sessions: true}
			s.start()
			defer func() { s.stop() }()
			base := "http://" + s.addr
			var logs refapp.LogBuffer
			rec := newClientRecorder()
			o := testClientOptions(tc.typ)
			o.TokenSource = PageToken(base + "/") // and no CSRFToken: Dial gets the first one
			o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			rec.options(o)
			c := dialTest(t, base+"/chsk", o)
			reply, err := c.Request(t.Context(), wire.Event{ID: "test/echo", Data: "before"})
			require.NoError(t, err)
			require.Equal(t, "before", reply)

			s.stop()
			rec.waitState(t, 3*time.Second, "closed", func(s State) bool { return !s.Open })
			s.start()
			st := rec.waitState(t, 5*time.Second, "reopened", func(s State) bool { return s.Open })
			require.Equal(t, tc.typ, st.Type, "a 403 causes no fallback")
			reply, err = c.Request(t.Context(), wire.Event{ID: "test/echo", Data: "after"})
			require.NoError(t, err)
			require.Equal(t, "after", reply)

			s.mu.Lock()
			tokens := append([]string(nil), s.tokens...)
			s.mu.Unlock()
			require.GreaterOrEqual(t, len(tokens), 2)
			require.NotEqual(t, tokens[0], c.csrfToken(), "a new token")
			var seen []string
			for {
				select {
				case ch := <-rec.states:
					if ch[1].LastError != nil {
						seen = append(seen, ch[1].LastError.Error())
					}
					continue
				default:
				}
				break
			}
			seen = append(seen, logs.String())
			require.Contains(t, logs.String(), "CSRF token refused", "the 403 did happen")
			for _, text := range seen {
				for _, tok := range tokens {
					require.NotContains(t, text, tok)
					require.NotContains(t, text, escapeComponent(tok))
				}
			}
		})
	}
}
