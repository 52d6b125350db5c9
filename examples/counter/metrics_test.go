package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// -metrics-addr serves /metrics on a listener of its own, with live values
// after a page load and an event: what `curl 127.0.0.1:9090/metrics` shows.
func TestMetricsEndpoint(t *testing.T) {
	cfg := testConfig()
	mln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg.metricsLn = mln
	base, _ := startServer(t, cfg)

	v := newVisitor(t, base)
	token := v.load().token
	c, _ := v.openWS(token, "tab-m")
	writeFrame(t, c, `[[:components/commtest {:msg "hi"}] "cb1"]`)
	require.Contains(t, readFrame(t, c, 3*time.Second), `"cb1"]`)

	resp, err := http.Get("http://" + mln.Addr().String() + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	metrics := string(body)
	for _, line := range []string{
		`chsk_connections{transport="ws"} 1`,
		`chsk_clients{transport="ws"} 1`,
		`chsk_connected_uids 1`,
		`chsk_events_received_total{transport="ws"} 1`,
		`chsk_replies_total 1`,
		`chsk_handler_seconds_count 2`, // uidport-open and the event
		`chsk_rejections_total{kind="csrf"} 0`,
		`chsk_slow_disconnects_total 0`,
	} {
		require.Contains(t, metrics, line+"\n")
	}
	require.Contains(t, metrics, "go_goroutines ")
	require.NotContains(t, metrics, token, "no token, ever")
	for _, l := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(l, "chsk_") {
			require.NotContains(t, l, "tab-m", "no client-id as a label")
		}
	}

	// The app's own listener does not serve them.
	st, _, _ := v.do(http.MethodGet, "/metrics", nil, "")
	require.Equal(t, http.StatusNotFound, st)
}
