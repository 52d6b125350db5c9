package chsk

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/gosente/gosente/chsk/internal/refapp"
	"github.com/stretchr/testify/require"
)

// A handler that panics, behind a Router or not, is logged through
// Options.Logger, with the event id, and the server goes on serving.
func TestHandlerPanicIsLoggedAndServed(t *testing.T) {
	var logs refapp.LogBuffer
	rt := NewRouter()
	rt.HandleFunc("t/boom", func(*Message) { panic("boom") })
	rt.HandleFunc("test/echo", func(m *Message) { _ = m.Reply(m.Data()) })
	srv, err := New(&Options{
		Handler:   rt,
		UserID:    func(_ *http.Request, cid string) any { return cid },
		CSRFToken: func(*http.Request) string { return SkipCSRFCheck },
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
	})
	require.NoError(t, err)
	defer func() { require.NoError(t, srv.Shutdown(t.Context())) }()
	post := func(ppstr string) string {
		form := url.Values{"udt": {"1"}, "client-id": {"p"}, "ppstr": {ppstr}}
		req := httptest.NewRequest(http.MethodPost, "/chsk", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Body.String()
	}
	require.Equal(t, `[:chsk/dummy-cb-200 nil]`, post(`[[:t/boom 1]]`)) // the handler runs after the answer
	require.Contains(t, logs.String(), `msg="chsk: event handler panicked" id=t/boom panic=boom`)
	require.Equal(t, `[2 nil]`, post(`[[:test/echo 2] "cb"]`))
}
