package client

import (
	"context"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// The client's reconnect back-off on synctest's fake clock: attempts come
// exactly when Backoff says, NextReconnect announces them, and Dial gives up
// when its context ends, reporting the last attempt's error.
func TestTimerReconnectBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now: every attempt is refused at once

	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var waits []time.Duration // NextReconnect, relative to start, as announced
		o := testClientOptions(TransportWS)
		o.Backoff = func(attempt int) time.Duration { return time.Duration(attempt) * time.Second }
		o.OnState = func(_, s State) {
			if !s.NextReconnect.IsZero() {
				waits = append(waits, s.NextReconnect.Sub(start))
			}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		_, err := Dial(ctx, "http://"+addr+"/chsk", o)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorContains(t, err, "refused")
		require.Equal(t, 10*time.Second, time.Since(start))
		// Attempt 1 at 0s, then waits of 1s, 2s, 3s: attempts at 1s, 3s, 6s;
		// the wait of 4s before a fifth at 10s is cut by ctx.
		require.Equal(t, []time.Duration{time.Second, 3 * time.Second, 6 * time.Second, 10 * time.Second}, waits)
	})
}
