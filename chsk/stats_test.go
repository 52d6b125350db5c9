package chsk

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

// Stats follows real traffic on both transports: connections and clients
// as they come and go, events in, replies and pushes out, rejections.
func TestStats(t *testing.T) {
	opts := refOptions()
	opts.CloseGraceWS, opts.CloseGraceAjax = 50*time.Millisecond, 50*time.Millisecond
	a := newRefApp(t, opts)
	require.Zero(t, a.srv.Stats().Connections)

	ws, _ := a.openWS(t, "s1")
	ws.write(`[[:test/echo 1] "cb"]`)
	require.Equal(t, `[1 "cb"]`, ws.read())
	cookie, token := a.newSession()
	st, _ := a.ajaxGet(t, cookie, token, "a1", true)
	require.Equal(t, http.StatusOK, st)
	polled := make(chan string, 1)
	go func() {
		_, body := a.ajaxGet(t, cookie, token, "a1", false)
		polled <- body
	}()
	waitPolling(t, a.srv, "a1")

	s := a.srv.Stats()
	require.Equal(t, ByTransport{WS: 1, Ajax: 1}, s.Connections)
	require.Equal(t, ByTransport{WS: 1, Ajax: 1}, s.Clients)
	require.Equal(t, 2, s.UIDs)
	require.Equal(t, uint64(1), s.EventsIn.WS)
	require.Equal(t, uint64(len(`[[:test/echo 1] "cb"]`)), s.BytesIn.WS)
	require.Equal(t, uint64(1), s.Replies)
	require.Positive(t, s.BytesOut.WS) // the handshake and the reply
	require.Positive(t, s.BytesOut.Ajax)
	require.GreaterOrEqual(t, s.HandlerCalls, uint64(3)) // two uidport-opens and the echo
	require.Positive(t, s.HandlerTime)

	// A push to both users' clients, in one batch each.
	require.NoError(t, a.srv.Broadcast(wire.Event{ID: "t/all", Data: int64(7)}))
	require.Equal(t, `[[[:t/all 7]] nil]`, ws.read())
	require.Equal(t, `[[[:t/all 7]] nil]`, <-polled)
	require.Eventually(t, func() bool { return a.srv.Stats().PushBatches == 2 }, 5*time.Second, time.Millisecond)
	s = a.srv.Stats()
	require.Equal(t, uint64(2), s.Pushes)
	require.GreaterOrEqual(t, s.QueueHighWater, 1)
	require.Equal(t, uint64(1), s.EventsIn.WS, "an Ajax GET is no event")

	// An Ajax event, and a refused one.
	st, body := a.ajaxPost(t, cookie, token, "a1", `[[:test/echo 2] "cb"]`)
	require.Equal(t, http.StatusOK, st)
	require.Equal(t, `[2 nil]`, body)
	st, _, _ = a.do(t, http.MethodGet, "/chsk?client-id=x&csrf-token=wrong", http.Header{"Cookie": {cookie}}, "")
	require.Equal(t, http.StatusForbidden, st)
	s = a.srv.Stats()
	require.Equal(t, uint64(1), s.EventsIn.Ajax)
	require.Equal(t, uint64(2), s.Replies)
	require.Equal(t, uint64(1), s.Rejections[RejectCSRF])
	require.Equal(t, uint64(0), s.Rejections[RejectOrigin])

	// Connections end, clients leave after their grace.
	_ = ws.c.CloseNow()
	hardWaitDetached(t, a, adapter.WebSocket, "s1")
	require.Eventually(t, func() bool {
		s := a.srv.Stats()
		return s.Connections == ByTransport{} && s.Clients == ByTransport{} && s.UIDs == 0
	}, 5*time.Second, time.Millisecond, "%+v", a.srv.Stats())
}
