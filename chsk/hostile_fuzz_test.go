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

const fuzzToken = "fuzz-token"

// fuzzServer is a server for the HTTP fuzz targets, with short timers and
// small limits, shut down (and checked for leftovers) when the fuzz ends.
func fuzzServer(f *testing.F) *Server {
	srv, err := New(&Options{
		Handler: HandlerFunc(func(m *Message) {
			if m.WantsReply() {
				_ = m.Reply(m.Event.Data)
			}
		}),
		UserID:          func(_ *http.Request, cid string) any { return cid },
		CSRFToken:       func(*http.Request) string { return fuzzToken },
		AllowedOrigins:  []string{"https://app.example"},
		LongPollTimeout: 20 * time.Millisecond,
		CloseGraceAjax:  10 * time.Millisecond,
		SendBufferAjax:  time.Millisecond,
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
	return srv
}

// FuzzServeGet sends fuzzed query strings, Origin headers and upgrade
// requests to the GET side (handshake, poll, WebSocket upgrade): it must
// never panic, and must answer with a status from the known set.
func FuzzServeGet(f *testing.F) {
	srv := fuzzServer(f)
	q := "client-id=g1&csrf-token=" + fuzzToken
	for _, seed := range []struct {
		query, origin string
		upgrade       bool
	}{
		{q + "&handshake%3F=true", "https://app.example", false},
		{q, "https://app.example", false},
		{q, "https://app.example", true},
		{q + "&handshake%3F=true", "https://evil.example", false},
		{"client-id=a&client-id=b&csrf-token=" + fuzzToken, "", false},
		{"client-id=" + strings.Repeat("x", 300) + "&csrf-token=" + fuzzToken, "https://app.example", true},
		{"%zz", "null", false},
		{"", "", true},
	} {
		f.Add(seed.query, seed.origin, seed.upgrade)
	}
	known := map[int]bool{
		http.StatusOK: true, http.StatusBadRequest: true, http.StatusForbidden: true,
		http.StatusTooManyRequests: true, http.StatusUpgradeRequired: true,
		http.StatusNotImplemented:      true, // a recorder cannot be hijacked
		http.StatusInternalServerError: true, // no client-id: Sente's status and message
	}
	f.Fuzz(func(t *testing.T, query, origin string, upgrade bool) {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/chsk", nil)
		req.URL.RawQuery = query
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		if upgrade {
			req.Header.Set("Connection", "Upgrade")
			req.Header.Set("Upgrade", "websocket")
			req.Header.Set("Sec-WebSocket-Version", "13")
			req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if !known[rec.Code] {
			t.Fatalf("GET ?%q Origin %q upgrade %v: status %d (%q)", query, origin, upgrade, rec.Code, rec.Body.String())
		}
	})
}

// FuzzServePost posts fuzzed bodies and query strings straight to
// Server.ServeHTTP: it must never panic, and must answer with a status from
// the known set.
func FuzzServePost(f *testing.F) {
	srv := fuzzServer(f)
	q := "client-id=c1&csrf-token=" + fuzzToken
	for _, seed := range []struct{ query, body string }{
		{q, "ppstr=%5B%5B%3Atest%2Fecho+1%5D+0%5D"},                      // [[:test/echo 1] 0]
		{q, "ppstr=%5B%5B%3Atest%2Fecho+1%5D%5D"},                        // no callback
		{q, "ppstr=" + strings.Repeat("%5B", 600)},                       // deep nesting
		{q, "ppstr=%5B%5B%3Ax+%23foo%2Fbar+1%5D+0%5D"},                   // unknown tag
		{q, "ppstr=" + strings.Repeat("9", 5000)},                        // over MaxMessageBytes
		{q + "&binary%3F=true", `[[:test/echo "b"] 0]`},                  // raw body
		{"client-id=a&client-id=b&csrf-token=" + fuzzToken, "ppstr=%zz"}, // bad escape
		{"client-id=" + strings.Repeat("x", 300), "csrf-token=" + fuzzToken + "&ppstr=%5B%3Ax%5D"},
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
