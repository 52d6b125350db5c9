package js_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/wire"
	"github.com/gosente/gosente/internal/cdp"
	"github.com/gosente/gosente/js"
)

// browserToken is the test page's CSRF token (a fixed test value).
const browserToken = "test-token-Ab+/="

// browserPage loads the client as an app would, from js.Handler, and hands
// its modules to the test.
const browserPage = `<!doctype html><meta charset="utf-8"><title>sente.js</title>
<div id="sente-csrf-token" data-csrf-token="` + browserToken + `"></div>
<script type="module">
import * as sente from '/sente/sente.js';
import * as edn from '/sente/edn.js';
Object.assign(window, { sente, edn, ready: true });
</script>`

// TestChromium runs the client, as js.Handler serves it, in headless
// Chromium against a gosente server, over WebSocket and Ajax: it connects
// with the page's token, a request's data survives the round trip through
// the Go codec, a server push arrives, and fetchPageCsrfToken reads the
// page's token with the browser's DOMParser.
func TestChromium(t *testing.T) {
	bin := cdp.FindChromium(t)
	router := chsk.NewRouter()
	router.HandleFunc("test/echo", func(m *chsk.Message) { _ = m.Reply(m.Event.Data) })
	srv, err := chsk.New(&chsk.Options{
		Handler: router, AllowedOrigins: []string{chsk.SameOrigin},
		Logger: slog.New(slog.DiscardHandler), // a push to the closed first tab is dropped at shutdown, with a warning
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("GET /sente/", http.StripPrefix("/sente/", js.Handler()))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(browserPage))
	})
	mux.Handle("/chsk", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := chsk.WithCSRFToken(chsk.WithUID(r.Context(), "u1"), browserToken)
		srv.ServeHTTP(w, r.WithContext(ctx))
	}))
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		hs.Close()
	})
	b := cdp.Launch(t, bin)

	for _, transport := range []string{"ws", "ajax"} {
		t.Run(transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			bc, err := b.NewContext(ctx)
			require.NoError(t, err)
			tb, err := b.NewTab(ctx, bc, transport)
			require.NoError(t, err)
			fail := func(step string, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v\nconsole:\n  %s", step, err, strings.Join(tb.Console(), "\n  "))
				}
			}
			fail("load the page", tb.Navigate(ctx, hs.URL+"/"))
			fail("load the modules", tb.WaitFor(ctx, "modules loaded", `window.ready === true`, 5*time.Second))
			fail("connect", tb.Eval(ctx, `(() => {
				window.pushes = [];
				window.c = sente.connect('/chsk', {type: `+strconv.Quote(transport)+`,
					onEvent: (ev) => pushes.push(edn.stringify(ev))});
			})()`, nil))
			fail("open", tb.WaitFor(ctx, "the client is open", `c.state.open && c.state.type === `+strconv.Quote(transport), 5*time.Second))
			var uid string
			fail("read the uid", tb.Eval(ctx, `c.state.uid`, &uid))
			require.Equal(t, "u1", uid)

			var echo struct {
				Equal bool
				Text  string
			}
			fail("request", tb.Eval(ctx, `(async () => {
				const sent = {s: 'héllo "quoted"\n', n: [1, 2.5, -3, 9007199254740991], k: edn.kw('a/b'),
					nested: {v: [null, true, edn.sym('x')], set: new Set([1, 'two'])},
					d: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), u: edn.uuid('2b3c6f1e-0a4f-4d7e-9c3a-6c1f2d3e4f5a')};
				const reply = await c.request(['test/echo', sent], 5000);
				return {Equal: edn.equals(reply, sent), Text: edn.stringify(reply)};
			})()`, &echo))
			require.True(t, echo.Equal, "the reply differs from the request's data: %s", echo.Text)

			require.NoError(t, srv.Send("u1", wire.Event{ID: "test/push", Data: wire.NewMap(wire.Keyword("n"), 1)}))
			fail("push", tb.WaitFor(ctx, "the push", `pushes.includes('[:test/push {:n 1}]')`, 5*time.Second))

			var token string
			fail("fetch the page's token", tb.Eval(ctx, `sente.fetchPageCsrfToken()`, &token))
			require.Equal(t, browserToken, token)

			fail("disconnect", tb.Eval(ctx, `c.disconnect()`, nil))
			for _, line := range tb.Console() {
				if strings.HasPrefix(line, "exception:") || strings.Contains(line, "[sente]") {
					t.Errorf("console: %s", line)
				}
			}
			_ = tb.CloseTab(ctx)
		})
	}
}
