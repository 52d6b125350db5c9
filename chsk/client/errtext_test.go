package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Every error a user gets says "client: " once, at the start, and still
// unwraps to its causes.
func TestErrorsHaveOnePrefix(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		a := newRefApp(t, refOptions())
		cookie, _ := a.newSession()
		for _, typ := range []Transport{TransportWS, TransportAjax} {
			o := testClientOptions(typ)
			o.CSRFToken, o.Header = "wrong-token", http.Header{"Cookie": {cookie}}
			_, err := Dial(t.Context(), a.hs.URL+"/chsk", o)
			require.Error(t, err)
			var se *StatusError
			require.ErrorAs(t, err, &se)
			require.Equal(t, http.StatusForbidden, se.Status)
			require.Equal(t, 1, strings.Count(err.Error(), "client: "), "%v", err)
			require.True(t, strings.HasPrefix(err.Error(), "client: dial "), "%v", err)
			require.NotContains(t, err.Error(), "wrong-token")
		}
	})
	t.Run("gave up", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		defer cancel()
		_, err = Dial(ctx, "http://"+addr+"/chsk", testClientOptions(TransportWS))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, 1, strings.Count(err.Error(), "client: "), "%v", err)
	})
	t.Run("nested", func(t *testing.T) {
		inner := fmt.Errorf("client: WebSocket lost: %w", errPingTimeout)
		err := onePrefix(fmt.Errorf("client: dial x: %w (last attempt: %w)", context.Canceled, inner))
		require.Equal(t, "client: dial x: context canceled (last attempt: WebSocket lost: no pong to the keep-alive ping)", err.Error())
		require.ErrorIs(t, err, errPingTimeout)
		require.ErrorIs(t, err, context.Canceled)
		plain := errors.New("no prefix here")
		require.Same(t, plain, onePrefix(plain))
	})
}
