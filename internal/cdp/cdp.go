// Package cdp is a minimal Chrome DevTools Protocol client for tests that
// drive headless Chromium: JSON-RPC over the browser's WebSocket, with
// flattened sessions for tabs. It does what the browser tests of js and
// examples/counter need (isolated browser contexts, tabs, navigation,
// evaluation, mouse clicks, screenshots, console capture) and nothing else.
package cdp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// ChromiumBin is where Debian's chromium package puts the browser
// (.ci/run installs it: apt-get install -y chromium). CHSK_E2E_CHROMIUM
// overrides it.
const ChromiumBin = "/usr/bin/chromium"

// FindChromium returns the browser to drive, or skips the test, loudly, when
// there is none; under CI=true a missing browser fails the test instead.
func FindChromium(t *testing.T) string {
	t.Helper()
	bin := ChromiumBin
	if env := os.Getenv("CHSK_E2E_CHROMIUM"); env != "" {
		bin = env
	}
	ci := os.Getenv("CI") == "true"
	fi, err := os.Stat(bin)
	if err == nil && (fi.IsDir() || fi.Mode()&0o111 == 0) {
		err = fmt.Errorf("%s is not an executable file", bin)
	}
	if err != nil {
		msg := "\n" + strings.Repeat("*", 72) +
			"\n* THE BROWSER END-TO-END TEST DID NOT RUN: no Chromium at " + bin +
			"\n* (" + err.Error() + ")" +
			"\n* Install Debian's chromium:  apt-get update && apt-get install -y chromium" +
			"\n" + strings.Repeat("*", 72)
		if ci {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if testing.Short() && !ci {
		t.Skip("browser end-to-end test skipped in -short mode")
	}
	return bin
}

// chromiumFlags start a quiet, isolated headless browser.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
	"--disable-background-timer-throttling", "--disable-renderer-backgrounding",
	"--disable-backgrounding-occluded-windows", "--window-size=1000,1000",
	"--remote-debugging-port=0",
}

// cdpError is an error answer of the browser to a command.
type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data"`
}

func (e *cdpError) Error() string {
	return fmt.Sprintf("cdp error %d: %s %s", e.Code, e.Message, e.Data)
}

// cdpMessage is every message on the wire: commands, answers and events.
type cdpMessage struct {
	ID        int64           `json:"id,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *cdpError       `json:"error,omitempty"`
}

// Browser is one running Chromium and its DevTools connection.
type Browser struct {
	cmd    *exec.Cmd
	exited chan struct{}
	stderr *cappedBuffer
	conn   *websocket.Conn

	nextID  atomic.Int64
	mu      sync.Mutex
	pending map[int64]chan cdpMessage
	logs    map[string][]string // console output and exceptions, by session id
	readErr error
	done    chan struct{} // closed when the read loop ends
}

// Launch starts bin headless with a fresh profile and connects to it.
// Everything ends in t's cleanup.
func Launch(t *testing.T, bin string) *Browser {
	t.Helper()
	profile := t.TempDir()
	b := &Browser{
		exited:  make(chan struct{}),
		stderr:  &cappedBuffer{max: 64 << 10},
		pending: make(map[int64]chan cdpMessage),
		logs:    make(map[string][]string),
		done:    make(chan struct{}),
	}
	args := append(append([]string{}, chromiumFlags...), "--user-data-dir="+profile, "about:blank")
	b.cmd = exec.Command(bin, args...)
	b.cmd.Stderr = b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		_ = b.cmd.Wait()
		close(b.exited)
	}()
	// Registered after t.TempDir, so it runs first: the browser is gone
	// before its profile is removed.
	t.Cleanup(b.close)

	wsURL, err := b.devtoolsURL(profile, 20*time.Second)
	if err != nil {
		t.Fatalf("%v\nbrowser stderr:\n%s", err, b.stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b.conn, _, err = websocket.Dial(ctx, wsURL, nil)
	if err != nil {
		t.Fatalf("connect to DevTools at %s: %v", wsURL, err)
	}
	b.conn.SetReadLimit(128 << 20) // screenshots are large
	go b.readLoop()
	return b
}

// devtoolsURL waits for the DevToolsActivePort file the browser writes into
// its profile: the port on the first line, the browser target's path on the
// second.
func (b *Browser) devtoolsURL(profile string, within time.Duration) (string, error) {
	file := filepath.Join(profile, "DevToolsActivePort")
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-b.exited:
			return "", errors.New("the browser exited before it opened its DevTools port")
		default:
		}
		if data, err := os.ReadFile(file); err == nil {
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			if len(lines) == 2 {
				if _, err := strconv.Atoi(strings.TrimSpace(lines[0])); err == nil {
					return "ws://127.0.0.1:" + strings.TrimSpace(lines[0]) + strings.TrimSpace(lines[1]), nil
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "", fmt.Errorf("no %s after %v", file, within)
}

func (b *Browser) readLoop() {
	defer close(b.done)
	for {
		_, data, err := b.conn.Read(context.Background())
		if err != nil {
			b.mu.Lock()
			b.readErr = err
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m cdpMessage
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				delete(b.pending, m.ID)
				ch <- m
			}
		} else if line := consoleLine(m); line != "" && len(b.logs[m.SessionID]) < 500 {
			b.logs[m.SessionID] = append(b.logs[m.SessionID], line)
		}
		b.mu.Unlock()
	}
}

// consoleLine renders console output and uncaught exceptions; "" for other events.
func consoleLine(m cdpMessage) string {
	switch m.Method {
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		_ = json.Unmarshal(m.Params, &p)
		parts := []string{"console." + p.Type + ":"}
		for _, a := range p.Args {
			if a.Value != nil {
				parts = append(parts, fmt.Sprint(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		return strings.Join(parts, " ")
	case "Runtime.exceptionThrown":
		var p struct {
			Details struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		_ = json.Unmarshal(m.Params, &p)
		return "exception: " + p.Details.Text + " " + p.Details.Exception.Description
	case "Log.entryAdded":
		var p struct {
			Entry struct {
				Level, Text, URL string
			} `json:"entry"`
		}
		_ = json.Unmarshal(m.Params, &p)
		return "log." + p.Entry.Level + ": " + p.Entry.Text + " " + p.Entry.URL
	}
	return ""
}

// call sends a command (to the browser when session is "", else to that
// tab) and decodes its result into result, when non-nil.
func (b *Browser) call(ctx context.Context, session, method string, params, result any) error {
	if params == nil {
		params = struct{}{}
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return err
	}
	id := b.nextID.Add(1)
	msg, err := json.Marshal(cdpMessage{ID: id, SessionID: session, Method: method, Params: raw})
	if err != nil {
		return err
	}
	ch := make(chan cdpMessage, 1)
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		return fmt.Errorf("%s: DevTools connection lost: %w", method, b.readErr)
	}
	b.pending[id] = ch
	b.mu.Unlock()
	forget := func() {
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
	}
	if err := b.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		forget()
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: DevTools connection lost", method)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %w", method, m.Error)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-ctx.Done():
		forget()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// close asks the browser to quit, and kills it when it does not in time.
func (b *Browser) close() {
	if b.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_ = b.call(ctx, "", "Browser.close", nil, nil)
		cancel()
	}
	select {
	case <-b.exited:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.exited
	}
	if b.conn != nil {
		_ = b.conn.CloseNow()
		<-b.done
	}
}

// NewContext returns an isolated browser context: its own cookies, so its
// own session on the server.
func (b *Browser) NewContext(ctx context.Context) (string, error) {
	var r struct {
		ID string `json:"browserContextId"`
	}
	err := b.call(ctx, "", "Target.createBrowserContext", map[string]any{"disposeOnDetach": true}, &r)
	return r.ID, err
}

// Tab is one page target with its flattened session.
type Tab struct {
	b         *Browser
	Name      string // for messages
	targetID  string
	sessionID string
}

// NewTab opens a blank tab in the browser context and attaches to it.
func (b *Browser) NewTab(ctx context.Context, browserContext, name string) (*Tab, error) {
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget",
		map[string]any{"url": "about:blank", "browserContextId": browserContext}, &created); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget",
		map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	tb := &Tab{b: b, Name: name, targetID: created.TargetID, sessionID: attached.SessionID}
	for _, domain := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		if err := tb.call(ctx, domain, nil, nil); err != nil {
			return nil, err
		}
	}
	return tb, nil
}

func (tb *Tab) call(ctx context.Context, method string, params, result any) error {
	return tb.b.call(ctx, tb.sessionID, method, params, result)
}

// Navigate loads url in the tab.
func (tb *Tab) Navigate(ctx context.Context, url string) error {
	var r struct {
		ErrorText string `json:"errorText"`
	}
	if err := tb.call(ctx, "Page.navigate", map[string]any{"url": url}, &r); err != nil {
		return err
	}
	if r.ErrorText != "" {
		return fmt.Errorf("Navigate to %s: %s", url, r.ErrorText)
	}
	return nil
}

// Eval evaluates a JavaScript expression in the page, awaiting a promise,
// and decodes its value into out (when non-nil).
func (tb *Tab) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := tb.call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expr, "awaitPromise": true, "returnByValue": true,
	}, &r)
	if err != nil {
		return err
	}
	if d := r.ExceptionDetails; d != nil {
		return fmt.Errorf("evaluate %q: %s %s", expr, d.Text, d.Exception.Description)
	}
	if out == nil || len(r.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// WaitFor evaluates cond every 50ms until it is true, for at most within.
func (tb *Tab) WaitFor(ctx context.Context, what, cond string, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	var lastErr error
	for {
		var ok bool
		err := tb.Eval(ctx, "Boolean("+cond+")", &ok)
		if err == nil && ok {
			return nil
		}
		if err != nil && ctx.Err() == nil {
			lastErr = err // e.g. the page is between documents; try again
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("%s: not within %v (last error: %v)", what, within, lastErr)
			}
			return fmt.Errorf("%s: not within %v", what, within)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Click presses and releases the left mouse button over the middle of the
// element that selector finds, as a user would: the element must be on
// screen and enabled.
func (tb *Tab) Click(ctx context.Context, selector string) error {
	var pos *struct {
		X, Y     float64
		Disabled bool
	}
	expr := `(() => { const el = document.querySelector(` + strconv.Quote(selector) + `);
		if (!el) return null; el.scrollIntoView({block: 'center'});
		const r = el.getBoundingClientRect();
		return {X: r.x + r.width / 2, Y: r.y + r.height / 2, Disabled: Boolean(el.disabled)}; })()`
	if err := tb.Eval(ctx, expr, &pos); err != nil {
		return err
	}
	if pos == nil {
		return fmt.Errorf("click: no element %s", selector)
	}
	if pos.Disabled {
		return fmt.Errorf("click: %s is disabled", selector)
	}
	for _, typ := range []string{"mousePressed", "mouseReleased"} {
		if err := tb.call(ctx, "Input.dispatchMouseEvent", map[string]any{
			"type": typ, "x": pos.X, "y": pos.Y, "button": "left", "clickCount": 1,
		}, nil); err != nil {
			return err
		}
	}
	return nil
}

// Text returns the textContent of the element selector finds ("" when none).
func (tb *Tab) Text(ctx context.Context, selector string) (string, error) {
	var s string
	err := tb.Eval(ctx, `document.querySelector(`+strconv.Quote(selector)+`)?.textContent ?? ''`, &s)
	return s, err
}

// Screenshot returns a PNG of the tab's viewport.
func (tb *Tab) Screenshot(ctx context.Context) ([]byte, error) {
	var r struct {
		Data string `json:"data"`
	}
	if err := tb.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png"}, &r); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(r.Data)
}

// Console returns what the page logged so far.
func (tb *Tab) Console() []string {
	tb.b.mu.Lock()
	defer tb.b.mu.Unlock()
	return append([]string(nil), tb.b.logs[tb.sessionID]...)
}

// CloseTab closes the tab.
func (tb *Tab) CloseTab(ctx context.Context) error {
	return tb.b.call(ctx, "", "Target.closeTarget", map[string]any{"targetId": tb.targetID}, nil)
}

// cappedBuffer keeps the first max bytes written to it (the browser's
// stderr, for failure messages).
type cappedBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *cappedBuffer) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Drop the noise of a container without D-Bus.
	var out strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(c.buf.Bytes()))
	for sc.Scan() {
		if line := sc.Text(); !strings.Contains(line, "dbus") {
			out.WriteString(line + "\n")
		}
	}
	return out.String()
}
