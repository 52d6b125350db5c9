package chsk

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// A Go client sends the server's own origin unless told otherwise, so a
// server restricted to SameOrigin accepts it on both transports; an explicit
// Origin header wins (and is refused here).
func TestClientSendsOwnOrigin(t *testing.T) {
	for _, tc := range clientTransports[:2] {
		t.Run(tc.name, func(t *testing.T) {
			opts := refOptions()
			opts.AllowedOrigins = []string{SameOrigin}
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
