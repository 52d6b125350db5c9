package chskprom_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/chskprom"
)

// The collector reports the server's live figures: they move with real
// traffic (an Ajax handshake, an event with a reply, a refused request).
func TestCollector(t *testing.T) {
	srv, err := chsk.New(&chsk.Options{
		Handler:   chsk.HandlerFunc(func(m *chsk.Message) { _ = m.Reply(m.Data()) }),
		UserID:    func(_ *http.Request, cid string) any { return cid },
		CSRFToken: func(*http.Request) string { return "token" },
	})
	require.NoError(t, err)
	defer func() { require.NoError(t, srv.Shutdown(context.Background())) }()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(chskprom.NewCollector(srv, &chskprom.Options{ConstLabels: prometheus.Labels{"node": "a"}})))

	count, err := testutil.GatherAndCount(reg)
	require.NoError(t, err)
	require.Equal(t, 26, count, "every series is there from the start")
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP chsk_clients Clients (browser tabs) registered now, including those within their close grace period.
# TYPE chsk_clients gauge
chsk_clients{node="a",transport="ajax"} 0
chsk_clients{node="a",transport="ws"} 0
`), "chsk_clients"))

	serve := func(method, target, body string) int {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Code
	}
	require.Equal(t, 200, serve(http.MethodGet, "/chsk?client-id=c1&csrf-token=token&handshake%3F=true", ""))
	form := url.Values{"client-id": {"c1"}, "csrf-token": {"token"}, "ppstr": {`[[:test/echo 5] "cb"]`}}
	require.Equal(t, 200, serve(http.MethodPost, "/chsk", form.Encode()))
	require.Equal(t, 403, serve(http.MethodGet, "/chsk?client-id=c2&csrf-token=wrong", ""))

	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP chsk_clients Clients (browser tabs) registered now, including those within their close grace period.
# TYPE chsk_clients gauge
chsk_clients{node="a",transport="ajax"} 1
chsk_clients{node="a",transport="ws"} 0
# HELP chsk_connected_uids Users with a client now.
# TYPE chsk_connected_uids gauge
chsk_connected_uids{node="a"} 1
# HELP chsk_events_received_total Client events received.
# TYPE chsk_events_received_total counter
chsk_events_received_total{node="a",transport="ajax"} 1
chsk_events_received_total{node="a",transport="ws"} 0
# HELP chsk_replies_total Replies to client events sent by handlers.
# TYPE chsk_replies_total counter
chsk_replies_total{node="a"} 1
`), "chsk_clients", "chsk_connected_uids", "chsk_events_received_total", "chsk_replies_total"))
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP chsk_rejections_total Refused requests, by kind.
# TYPE chsk_rejections_total counter
chsk_rejections_total{kind="bad-request",node="a"} 0
chsk_rejections_total{kind="client-id",node="a"} 0
chsk_rejections_total{kind="csrf",node="a"} 1
chsk_rejections_total{kind="limit",node="a"} 0
chsk_rejections_total{kind="origin",node="a"} 0
chsk_rejections_total{kind="reject-hook",node="a"} 0
`), "chsk_rejections_total"), "one series per kind: bounded")
}
