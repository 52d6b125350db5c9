package chsk

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzServePost posts fuzzed bodies and query strings straight to
// Server.ServeHTTP: it must never panic, and must answer with a status from
// the known set.
func FuzzServePost(f *testing.F) {
	const token = "fuzz-token"
	srv, err := New(&Options{
		Handler: HandlerFunc(func(m *Message) {
			if m.WantsReply() {
				_ = m.Reply(m.Event.Data)
			}
		}),
		UserID:          func(_ *http.Request, cid string) any { return cid },
		CSRFToken:       func(*http.Request) string { return token },
		LongPollTimeout: 50 * time.Millisecond,
		CloseGraceAjax:  10 * time.Millisecond,
		MaxMessageBytes: 4096,
		Logger:          slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			f.Errorf("shutdown: %v", err)
		}
	})
	q := "client-id=c1&csrf-token=" + token
	for _, seed := range []struct{ query, body string }{
		{q, "ppstr=%5B%5B%3Atest%2Fecho+1%5D+0%5D"},                  // [[:test/echo 1] 0]
		{q, "ppstr=%5B%5B%3Atest%2Fecho+1%5D%5D"},                    // no callback
		{q, "ppstr=" + strings.Repeat("%5B", 600)},                   // deep nesting
		{q, "ppstr=%5B%5B%3Ax+%23foo%2Fbar+1%5D+0%5D"},               // unknown tag
		{q, "ppstr=" + strings.Repeat("9", 5000)},                    // over MaxMessageBytes
		{q + "&binary%3F=true", `[[:test/echo "b"] 0]`},              // raw body
		{"client-id=a&client-id=b&csrf-token=" + token, "ppstr=%zz"}, // bad escape
		{"client-id=" + strings.Repeat("x", 300), "csrf-token=" + token + "&ppstr=%5B%3Ax%5D"},
		{"", ""},
		{"%", "csrf-token=wrong"},
	} {
		f.Add(seed.query, seed.body)
	}
	known := map[int]bool{
		http.StatusOK: true, http.StatusBadRequest: true, http.StatusForbidden: true,
		http.StatusRequestEntityTooLarge: true, http.StatusInternalServerError: true,
	}
	f.Fuzz(func(t *testing.T, query, body string) {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/chsk", strings.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if !known[rec.Code] {
			t.Fatalf("POST ?%q body %q: status %d (%q)", query, body, rec.Code, rec.Body.String())
		}
		if rec.Code == http.StatusOK && rec.Body.Len() == 0 {
			t.Fatalf("POST ?%q body %q: 200 with an empty body", query, body)
		}
	})
}
