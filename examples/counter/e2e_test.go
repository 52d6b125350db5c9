package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosente/gosente/internal/cdp"
)

// TestE2EChromium drives the example in headless Chromium, over WebSocket
// and over Ajax (?type=ajax): the page renders the CSRF div and its state,
// connects, gets a reply to Send Message, counts inc, counts reloads,
// receives the server's ticks, and a second tab of the same session follows
// the first one's count.
func TestE2EChromium(t *testing.T) {
	bin := cdp.FindChromium(t)
	cfg := testConfig()
	cfg.TickEvery = 300 * time.Millisecond
	cfg.ParkAfter = 50 * time.Millisecond // polls and sockets park between ticks
	base, a := startServer(t, cfg)
	b := cdp.Launch(t, bin)

	for _, tc := range []struct{ transport, query string }{
		{"ws", ""},
		{"ajax", "?type=ajax"},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
			defer cancel()
			e := &e2e{t: t, ctx: ctx, b: b, app: a, url: base + "/" + tc.query, transport: tc.transport}
			e.run()
			if tc.transport == "ajax" && a.chsk.Stats().PollsTakenOver == 0 {
				t.Error("no poll was taken over between ticks")
			}
		})
	}
}

// e2e is one run of the browser scenario over one transport.
type e2e struct {
	t         *testing.T
	ctx       context.Context
	b         *cdp.Browser
	app       *app
	url       string
	transport string // "ws" or "ajax": what the page must end up using
	tabs      []*cdp.Tab
	secrets   []string // CSRF tokens: replaced by <token> in anything the test prints
}

func (e *e2e) run() {
	ctx := e.ctx
	bc, err := e.b.NewContext(ctx) // its own cookie jar: a fresh session, counting from 10
	e.must("create a browser context", err)

	tab1 := e.open(bc, "tab1")

	var page struct {
		Token, State, Cookie, UID string
	}
	e.must("read the page", tab1.Eval(ctx, `({
		Token: document.getElementById('sente-csrf-token')?.dataset.csrfToken ?? '',
		State: atob(document.getElementById('app').dataset.state),
		Cookie: document.cookie,
		UID: document.getElementById('app').dataset.uid ?? ''})`, &page))
	if len(page.Token) < 40 {
		e.fail("find the CSRF token div", fmt.Errorf("data-csrf-token is %q", page.Token))
	}
	if want := `{:name "Clojure", :count 10}`; page.State != want {
		e.fail("decode data-state", fmt.Errorf("got %q, want %q", page.State, want))
	}
	if strings.Contains(page.Cookie, "counter_session") {
		e.fail("keep the session cookie from scripts", fmt.Errorf("document.cookie shows it: HttpOnly is missing"))
	}
	e.must("server sees the client", e.serverSees(page.UID))
	e.expectCount(tab1, "10")

	e.sendMessage(tab1)

	e.must("click inc", tab1.Click(ctx, "#inc"))
	e.expectCount(tab1, "11")

	e.must("mark the old document", tab1.Eval(ctx, `window.__e2eOld = true`, nil))
	e.must("reload", tab1.Navigate(ctx, e.url))
	e.waitOpen(tab1, "!window.__e2eOld && ")
	e.expectCount(tab1, "12") // the reload counted as a visit

	e.must("receive a tick push", tab1.WaitFor(ctx, "a [:counter/tick …] push",
		`Number(document.getElementById('ticks').textContent) >= 1 && document.getElementById('last-tick').textContent !== '–'`,
		5*time.Second))

	tab2 := e.open(bc, "tab2") // same browser context: same session
	e.expectCount(tab2, "13")
	e.expectCount(tab1, "13") // pushed to tab1 when tab2 loaded
	var uid2 string
	e.must("read tab2's uid", tab2.Eval(ctx, `document.getElementById('app').dataset.uid`, &uid2))
	if uid2 != page.UID {
		e.fail("share the session between tabs", fmt.Errorf("tab2 has uid %q, tab1 %q", uid2, page.UID))
	}
	e.must("click inc in tab1", tab1.Click(ctx, "#inc"))
	e.expectCount(tab2, "14")
	e.expectCount(tab1, "14")

	e.sendMessage(tab2)

	// No uncaught exception, no error (a CSP violation is one), and no
	// warning from the Sente client in any tab, reloads included.
	for _, tb := range e.tabs {
		for _, line := range tb.Console() {
			if strings.HasPrefix(line, "exception:") || strings.HasPrefix(line, "log.error:") ||
				strings.HasPrefix(line, "console.error:") || strings.Contains(line, "[sente]") {
				e.fail("keep the console clean", fmt.Errorf("%s logged: %s", tb.Name, line))
			}
		}
	}

	if dir := os.Getenv("CHSK_E2E_ARTIFACTS"); dir != "" {
		e.saveScreenshot(tab2, dir, "counter-"+e.transport+".png")
	}
	for _, tb := range e.tabs {
		_ = tb.CloseTab(ctx)
	}
}

// open opens the page in a new tab of the browser context and waits until
// it is connected over the expected transport.
func (e *e2e) open(browserContext, name string) *cdp.Tab {
	tb, err := e.b.NewTab(e.ctx, browserContext, name)
	e.must("open "+name, err)
	e.tabs = append(e.tabs, tb)
	e.must("load the page in "+name, tb.Navigate(e.ctx, e.url))
	e.waitOpen(tb, "")
	return tb
}

// waitOpen waits until the page in tb reports an open connection over the
// expected transport; extra is a further condition prefix.
func (e *e2e) waitOpen(tb *cdp.Tab, extra string) {
	e.must(tb.Name+" connects", tb.WaitFor(e.ctx, tb.Name+" connected",
		extra+`document.readyState === 'complete' && document.getElementById('app')?.dataset.open === 'true'`,
		10*time.Second))
	var transport string
	e.must("read the transport", tb.Eval(e.ctx, `document.getElementById('app').dataset.transport`, &transport))
	if transport != e.transport {
		e.fail(tb.Name+" uses the right transport", fmt.Errorf("connected over %q, want %q", transport, e.transport))
	}
}

// sendMessage clicks Send Message in tb and waits for the reply.
func (e *e2e) sendMessage(tb *cdp.Tab) {
	e.t.Helper()
	e.must(tb.Name+": click Send Message", tb.Click(e.ctx, "#send"))
	want := "Hello World! (from Go) [via " + e.transport + "]"
	e.must(tb.Name+": see the reply", tb.WaitFor(e.ctx, "the reply "+want,
		`document.getElementById('reply').textContent === `+strconv.Quote(want), 5*time.Second))
}

// expectCount waits until tb shows the count want.
func (e *e2e) expectCount(tb *cdp.Tab, want string) {
	err := tb.WaitFor(e.ctx, tb.Name+" shows count "+want,
		`document.getElementById('count').textContent === `+strconv.Quote(want), 5*time.Second)
	if err != nil {
		got, _ := tb.Text(e.ctx, "#count")
		err = fmt.Errorf("%w (it shows %q)", err, got)
	}
	e.must(tb.Name+" shows count "+want, err)
}

// serverSees checks that gosente lists uid as connected over the transport.
func (e *e2e) serverSees(uid string) error {
	tick := time.NewTicker(20 * time.Millisecond) // the registry has no event to wait on from here
	defer tick.Stop()
	deadline := time.After(3 * time.Second)
	for {
		c := e.app.chsk.Connected()
		list := c.WS
		if e.transport == "ajax" {
			list = c.Ajax
		}
		if slices.ContainsFunc(list, func(v any) bool { return v == any(uid) }) {
			return nil
		}
		select {
		case <-tick.C:
		case <-deadline:
			return fmt.Errorf("uid %q is not connected over %s on the server (ws %v, ajax %v)", uid, e.transport, c.WS, c.Ajax)
		}
	}
}

func (e *e2e) must(step string, err error) {
	e.t.Helper()
	if err != nil {
		e.fail(step, err)
	}
}

// fail saves a screenshot and the console of every tab, then fails the
// test. Screenshots go to $CHSK_E2E_ARTIFACTS when set, else to a new
// directory under the system's temp dir that outlives the test (a
// t.TempDir would be deleted with the test).
func (e *e2e) fail(step string, err error) {
	e.t.Helper()
	dir := os.Getenv("CHSK_E2E_ARTIFACTS")
	if dir == "" {
		dir, _ = os.MkdirTemp("", "counter-e2e-")
	}
	for _, tb := range e.tabs {
		e.saveScreenshot(tb, dir, fmt.Sprintf("FAILED-%s-%s-%s.png", e.transport, tb.Name, fileSafe(step)))
		lines := tb.Console()
		if len(lines) == 0 {
			lines = []string{"(nothing logged)"}
		}
		e.t.Logf("console of %s:\n  %s", tb.Name, e.redact(strings.Join(lines, "\n  ")))
	}
	e.t.Fatalf("step %q failed (%s): %s", step, e.transport, e.redact(err.Error()))
}

// redact replaces the tokens the test knows with <token>: the browser's own
// messages about a failed WebSocket quote its URL, token included.
func (e *e2e) redact(s string) string {
	for _, tok := range e.secrets {
		if tok != "" {
			s = strings.ReplaceAll(s, tok, "<token>")
		}
	}
	return s
}

func (e *e2e) saveScreenshot(tb *cdp.Tab, dir, name string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	png, err := tb.Screenshot(ctx)
	if err == nil {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			path := filepath.Join(dir, name)
			if err = os.WriteFile(path, png, 0o644); err == nil {
				e.t.Logf("screenshot of %s: %s", tb.Name, path)
				return
			}
		}
	}
	e.t.Logf("no screenshot of %s: %v", tb.Name, err)
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func fileSafe(s string) string { return strings.Trim(unsafeChars.ReplaceAllString(s, "-"), "-") }
