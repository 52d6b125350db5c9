package client

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk"
)

// A Go client sends the server's own origin unless told otherwise, so a
// server restricted to chsk.SameOrigin accepts it on both transports; an explicit
// Origin header wins (and is refused here).
func TestClientSendsOwnOrigin(t *testing.T) {
	for _, tc := range clientTransports[:2] {
		t.Run(tc.name, func(t *testing.T) {
			opts := refOptions()
			opts.AllowedOrigins = []string{chsk.SameOrigin}
			a := newRefApp(t, opts)
			c := dialRef(t, a, a.hs.URL, tc.typ, nil)
			require.True(t, c.State().Open)

			cookie, token := a.newSession()
			o := testClientOptions(tc.typ)
			o.CSRFToken = token
			o.Header = http.Header{"Cookie": {cookie}, "Origin": {"https://evil.example"}}
			ctx := t.Context()
			bad, err := Dial(ctx, a.hs.URL+"/chsk", o)
			if err == nil {
				_ = bad.Close()
			}
			require.Error(t, err, "an explicit Origin is sent as given")
		})
	}
}

// A 403 says nothing about the transport: an auto client whose token is
// refused does not fall back to Ajax; Dial reports the WebSocket's 403.
func TestClientForbiddenIsNoFallback(t *testing.T) {
	a := newRefApp(t, refOptions())
	cookie, _ := a.newSession()
	o := testClientOptions(TransportAuto)
	o.CSRFToken = "not-the-session-token"
	o.Header = http.Header{"Cookie": {cookie}}
	c, err := Dial(t.Context(), a.hs.URL+"/chsk", o)
	if err == nil {
		_ = c.Close()
	}
	var se *StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, http.StatusForbidden, se.Status)
	require.Equal(t, TransportWS.String(), se.Transport.String(), "refused on the WebSocket, never retried over Ajax")
}

// The token travels in the query; no error the client returns or records
// shows it.
func TestClientErrorsHideToken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now: connection refused
	for _, tc := range clientTransports[:2] {
		t.Run(tc.name, func(t *testing.T) {
			const token = "s3cr3t+token/with=chars"
			o := testClientOptions(tc.typ)
			o.CSRFToken = token
			ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
			defer cancel()
			c, err := Dial(ctx, "http://"+addr+"/chsk", o)
			if c != nil {
				last := c.State().LastError
				_ = c.Close()
				require.Error(t, last)
				require.NotContains(t, last.Error(), "s3cr3t")
			}
			require.Error(t, err)
			require.NotContains(t, err.Error(), "s3cr3t")
			require.NotContains(t, err.Error(), url.QueryEscape(token))
		})
	}
}
