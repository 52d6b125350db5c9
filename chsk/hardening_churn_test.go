package chsk

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// hardChurnCycles is how many connect/disconnect cycles TestHardeningChurn
// runs (issue 7 asks for 10,000).
const hardChurnCycles = 10_000

// The cycles alternate between two pools of users: a few busy uids whose
// clients overlap (a uid gains a client while others of it come and go),
// and many quiet ones that connect and disconnect about ten times each.
const hardChurnBusyUIDs, hardChurnQuietUIDs = 16, 512

// 10,000 connect/disconnect cycles from parallel clients, mixing clean
// closes, closes without a close frame, TCP resets (some before the
// handshake was read) and Ajax handshakes whose next poll is abandoned
// mid-flight. Afterwards every uid has as many uidport-close as
// uidport-open events, no client is connected, and no goroutine is left.
func TestHardeningChurn(t *testing.T) {
	hardBaseline(t, 16<<20)
	opts := hardOptions()
	opts.CloseGraceWS = 20 * time.Millisecond
	opts.CloseGraceAjax = 20 * time.Millisecond
	opts.UserID = func(_ *http.Request, cid string) any { // cid is uid.n
		uid, _, _ := strings.Cut(cid, ".")
		return uid
	}
	// The last OnUIDChange of each uid, which a Presence would keep.
	var (
		lastMu sync.Mutex
		last   = map[any]UIDChange{}
	)
	opts.OnUIDChange = func(ch UIDChange) {
		lastMu.Lock()
		last[ch.UID] = ch
		lastMu.Unlock()
	}
	a := newRefApp(t, opts)
	cookie, token := a.newSession()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	running := hardSettledGoroutines() // the server, idle

	var (
		next    atomic.Int64
		kinds   [5]atomic.Int64
		errMu   sync.Mutex
		errs    []string
		workers = 16
	)
	fail := func(format string, args ...any) {
		errMu.Lock()
		defer errMu.Unlock()
		if len(errs) < 20 {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= hardChurnCycles || ctx.Err() != nil {
					return
				}
				cid := fmt.Sprintf("busy%d.%d", i/2%hardChurnBusyUIDs, i)
				if i%2 == 1 {
					cid = fmt.Sprintf("quiet%d.%d", i/2%hardChurnQuietUIDs, i)
				}
				kind := int(i / 2 % 10)
				switch {
				case kind < 8:
					kind = kind % 4
				default:
					kind = 4
				}
				kinds[kind].Add(1)
				if err := hardChurnCycle(ctx, a, hc, cookie, token, cid, kind); err != nil {
					fail("cycle %d (kind %d): %v", i, kind, err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	require.Empty(t, errs)
	require.NoError(t, ctx.Err(), "the cycles did not finish in time")
	t.Logf("%d cycles in %v (%.0f/s): clean %d, no close frame %d, reset after handshake %d, reset at once %d, ajax %d",
		hardChurnCycles, elapsed.Round(time.Millisecond), hardChurnCycles/elapsed.Seconds(),
		kinds[0].Load(), kinds[1].Load(), kinds[2].Load(), kinds[3].Load(), kinds[4].Load())

	p := hardWaitIdle(t, a, 10*time.Second)
	tr.CloseIdleConnections()
	hardGoroutinesAtMost(t, running, 5*time.Second)
	require.Len(t, p.opens, hardChurnBusyUIDs+hardChurnQuietUIDs, "every uid connected at least once")
	total := 0
	for _, n := range p.opens {
		total += n
	}
	t.Logf("uidport-open/close pairs: %d; uids whose events interleave out of order: %d", total, p.unordered)
	lastMu.Lock()
	var stale []string
	for uid, ch := range last {
		if ch.WS || ch.Ajax {
			stale = append(stale, fmt.Sprintf("%v: %+v", uid, ch))
		}
	}
	lastMu.Unlock()
	require.Empty(t, stale, "no client is connected, yet the last OnUIDChange of these uids says otherwise")
	// TestHardeningUIDEventOrder forces the interleaving; here it happens
	// only sometimes.
	require.Zero(t, p.unordered, "uids whose uidport-open and uidport-close events do not alternate")
	hardAssertServes(t, a)
}

// hardChurnCycle runs one connect/disconnect cycle of the given kind:
// 0 clean close, 1 TCP close without a close frame, 2 TCP reset after the
// handshake, 3 TCP reset right after the upgrade, 4 Ajax handshake and an
// abandoned poll.
func hardChurnCycle(ctx context.Context, a *refApp, hc *http.Client, cookie, token, cid string, kind int) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if kind == 4 {
		return hardAbandonedPoll(ctx, a, hc, cookie, token, cid)
	}
	w, err := rawOpen(ctx, a.hs.URL, cookie, token, cid, 0)
	if err != nil {
		return err
	}
	if kind == 3 {
		w.closeAbrupt()
		return nil
	}
	hs, err := w.readText(5 * time.Second)
	if err != nil {
		w.closeAbrupt()
		return fmt.Errorf("handshake: %w", err)
	}
	if !strings.HasPrefix(hs, "[[:chsk/handshake") {
		w.closeAbrupt()
		return fmt.Errorf("first frame %q", hs)
	}
	switch kind {
	case 0:
		w.closeClean(5 * time.Second)
	case 1:
		_ = w.conn.Close()
	case 2:
		w.closeAbrupt()
	}
	return nil
}

// hardAbandonedPoll handshakes over Ajax, then abandons the long-poll that
// follows while the server holds it.
func hardAbandonedPoll(ctx context.Context, a *refApp, hc *http.Client, cookie, token, cid string) error {
	get := func(ctx context.Context, q string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.hs.URL+"/chsk?udt=1&client-id="+url.QueryEscape(cid)+q, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-Csrf-Token", token)
		return hc.Do(req)
	}
	resp, err := get(ctx, "&handshake%3F=true")
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "[[:chsk/handshake") {
		return fmt.Errorf("handshake: %d %q", resp.StatusCode, body)
	}
	// Abandon the poll once it was sent: the server holds it by then.
	pctx, pcancel := context.WithCancel(ctx)
	defer pcancel()
	pctx = httptrace.WithClientTrace(pctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { time.AfterFunc(time.Millisecond, pcancel) },
	})
	resp, err = get(pctx, "")
	if err == nil { // answered before the client gave up: fine too
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return nil
}

// A uid whose last client expires while a new client of it connects: the
// expiry's OnUIDChange and uidport-close used to run after the registry lock
// was released, so the new client's could overtake them, and the application
// (and a Presence) ended up believing the connected user gone. They now run
// in order, per uid. The expiry's callback is held here to make the
// interleaving certain; in TestHardeningChurn it happens by itself.
func TestHardeningUIDEventOrder(t *testing.T) {
	hardBaseline(t, 8<<20)
	opts := hardOptions()
	entered, release := make(chan struct{}), make(chan struct{})
	var (
		mu      sync.Mutex
		changes []UIDChange
		held    bool
	)
	opts.OnUIDChange = func(ch UIDChange) {
		mu.Lock()
		hold := !ch.WS && !held
		held = held || hold
		mu.Unlock()
		if hold { // the expiry of the first client: slow, like a Presence update
			close(entered)
			select {
			case <-release:
			case <-time.After(5 * time.Second):
			}
		}
		mu.Lock()
		changes = append(changes, ch)
		mu.Unlock()
	}
	a := newRefApp(t, opts)
	ws, _ := a.openWS(t, "o")
	_ = ws.c.CloseNow()
	select {
	case <-entered:
	case <-time.After(5 * time.Second):
		t.Fatal("the first client did not expire")
	}
	ws2, _ := a.openWS(t, "o") // the user is back
	close(release)
	ws2.write(`[[:test/echo 1] "cb"]`)
	require.Equal(t, `[1 "cb"]`, ws2.read())
	require.Equal(t, []any{"o"}, a.srv.Connected().WS)
	require.Eventually(t, func() bool { return len(hardPortEvents(t, a).closes) == 1 }, 5*time.Second, 10*time.Millisecond)

	mu.Lock()
	final := changes[len(changes)-1]
	t.Logf("OnUIDChange calls in order: %+v", changes)
	mu.Unlock()
	var order []string
	for _, line := range a.eventLog() {
		if strings.Contains(line, ":chsk/uidport-") {
			order = append(order, line[strings.Index(line, ":chsk/uidport-")+len(":chsk/uidport-"):][:4])
		}
	}
	t.Logf("uidport events in the order the handler saw them: %v", order)
	require.True(t, final.WS, "the user is connected, but the last OnUIDChange says %+v", final)
	require.Equal(t, []string{"open", "clos", "open"}, order)
}
