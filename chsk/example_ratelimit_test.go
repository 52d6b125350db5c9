package chsk_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk"
)

// rateLimiter is a token bucket per remote IP: each IP may make burst
// requests at once, then rate requests per second. It keeps at most
// maxKeys buckets, so that requests from many addresses cannot grow it
// without bound.
type rateLimiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	maxKeys int
	now     func() time.Time
	buckets map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

func newRateLimiter(rate float64, burst, maxKeys int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), maxKeys: maxKeys, now: time.Now,
		buckets: make(map[string]*tokenBucket)}
}

// allow takes a token from key's bucket, if it has one.
func (l *rateLimiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.maxKeys {
			for k, old := range l.buckets { // forget buckets that refilled: they are as good as new
				if old.tokens+now.Sub(old.last).Seconds()*l.rate >= l.burst {
					delete(l.buckets, k)
				}
			}
			if len(l.buckets) >= l.maxKeys {
				return false // too many clients at once: refuse newcomers rather than grow
			}
		}
		b = &tokenBucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// reject is an Options.Reject: it refuses a request over its IP's rate
// with 429 Too Many Requests.
func (l *rateLimiter) reject(r *http.Request) *chsk.Rejection {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	if l.allow(ip) {
		return nil
	}
	return &chsk.Rejection{Status: http.StatusTooManyRequests, Body: "Too many requests",
		Reason: "rate limit exceeded for " + ip}
}

// Rate-limit the channel socket per client IP with Options.Reject, which
// runs before every other check on every request: WebSocket upgrades, Ajax
// handshakes, long-polls and posts. OnReject sees why a request was refused.
func ExampleOptions_reject() {
	limiter := newRateLimiter(0.1, 3, 10_000) // bursts of 3, then one request every 10s
	rejections := make(chan *chsk.Rejection, 16)
	srv, err := chsk.New(&chsk.Options{
		UserID:    func(*http.Request, string) any { return "alice" },
		CSRFToken: func(*http.Request) string { return "demo-token" },
		Reject:    limiter.reject,
		OnReject:  func(_ *http.Request, rej *chsk.Rejection) { rejections <- rej },
	})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	for i := 1; i <= 5; i++ {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"?client-id=tab-1&handshake%3F=true", nil)
		req.Header.Set("X-CSRF-Token", "demo-token")
		resp, err := ts.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println("handshake", i, resp.Status)
		if resp.StatusCode == http.StatusTooManyRequests {
			rej := <-rejections // OnReject runs once the response is written
			fmt.Println("  refused by", rej.Kind+":", rej.Reason)
		}
	}
	// Output:
	// handshake 1 200 OK
	// handshake 2 200 OK
	// handshake 3 200 OK
	// handshake 4 429 Too Many Requests
	//   refused by reject-hook: rate limit exceeded for 127.0.0.1
	// handshake 5 429 Too Many Requests
	//   refused by reject-hook: rate limit exceeded for 127.0.0.1
}

// The limiter of ExampleOptions_reject, driven just past its limit by Ajax
// POSTs and WebSocket upgrades, on a clock the test moves.
func TestRateLimitReject(t *testing.T) {
	const burst = 3
	now := time.Unix(1_700_000_000, 0)
	var clockMu sync.Mutex
	limiter := newRateLimiter(1, burst, 100)
	limiter.now = func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	advance := func(d time.Duration) { clockMu.Lock(); now = now.Add(d); clockMu.Unlock() }
	var (
		mu         sync.Mutex
		rejections []*chsk.Rejection
	)
	srv, err := chsk.New(&chsk.Options{
		UserID:    func(_ *http.Request, cid string) any { return cid },
		CSRFToken: func(*http.Request) string { return "t" },
		Reject:    limiter.reject,
		OnReject: func(_ *http.Request, rej *chsk.Rejection) {
			mu.Lock()
			rejections = append(rejections, rej)
			mu.Unlock()
		},
		Handler: chsk.HandlerFunc(func(m *chsk.Message) { _ = m.Reply(m.Data()) }),
	})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		require.NoError(t, srv.Shutdown(context.Background()))
	})
	lastRejection := func() *chsk.Rejection {
		t.Helper()
		var rej *chsk.Rejection
		require.Eventually(t, func() bool { // OnReject runs after the response
			mu.Lock()
			defer mu.Unlock()
			if len(rejections) > 0 {
				rej = rejections[len(rejections)-1]
				rejections = nil
			}
			return rej != nil
		}, 5*time.Second, time.Millisecond)
		return rej
	}
	requireRefused := func(t *testing.T, st int) {
		t.Helper()
		require.Equal(t, http.StatusTooManyRequests, st)
		rej := lastRejection()
		require.Equal(t, chsk.RejectHook, rej.Kind)
		require.Equal(t, http.StatusTooManyRequests, rej.Status)
		require.Equal(t, "rate limit exceeded for 127.0.0.1", rej.Reason)
	}

	t.Run("ajax posts", func(t *testing.T) {
		post := func() (int, string) {
			form := url.Values{"client-id": {"p"}, "ppstr": {`[[:t/echo 1] 0]`}}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, ts.URL, strings.NewReader(form.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-CSRF-Token", "t")
			resp, err := ts.Client().Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			return resp.StatusCode, string(b)
		}
		for range burst {
			st, body := post()
			require.Equal(t, http.StatusOK, st)
			require.Equal(t, "[1 nil]", body)
		}
		st, body := post()
		requireRefused(t, st)
		require.Equal(t, "Too many requests", body)
		advance(time.Second) // one token back
		st, _ = post()
		require.Equal(t, http.StatusOK, st)
		st, _ = post()
		requireRefused(t, st)
	})
	t.Run("websocket upgrades", func(t *testing.T) {
		advance(time.Hour) // a full bucket
		dial := func(cid string) (*websocket.Conn, int) {
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"?csrf-token=t&client-id="+cid, nil)
			if err != nil {
				require.NotNil(t, resp, "%v", err)
				return nil, resp.StatusCode
			}
			t.Cleanup(func() { _ = c.CloseNow() })
			return c, resp.StatusCode
		}
		for i := range burst {
			c, st := dial(fmt.Sprint("w", i))
			require.Equal(t, http.StatusSwitchingProtocols, st)
			require.NotNil(t, c)
		}
		c, st := dial("w-over")
		require.Nil(t, c)
		requireRefused(t, st)
		require.Len(t, srv.Connected().WS, burst, "the refused upgrade registered no client")
	})
	t.Run("buckets are bounded", func(t *testing.T) {
		l := newRateLimiter(1, 1, 10)
		l.now = limiter.now
		for i := range 10 {
			require.True(t, l.allow(fmt.Sprint("10.0.0.", i)))
		}
		require.False(t, l.allow("10.0.1.1"), "a newcomer while every bucket is in use")
		advance(time.Second) // every bucket refilled: they make room
		require.True(t, l.allow("10.0.1.1"))
		require.LessOrEqual(t, len(l.buckets), 10)
	})
}

// tooMany is a Rejection an application may well keep in a variable and
// return from Reject for every refused request.
var tooMany = &chsk.Rejection{Status: http.StatusTooManyRequests, Body: "Too many requests", Reason: "closed for maintenance"}

// A Reject hook that returns one shared *Rejection for every refused
// request, from many requests at once: the server must not write to it
// (under -race, a write there is a data race).
func TestRejectSharedRejection(t *testing.T) {
	srv, err := chsk.New(&chsk.Options{
		Reject:   func(*http.Request) *chsk.Rejection { return tooMany },
		OnReject: func(*http.Request, *chsk.Rejection) {},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/chsk?client-id=a", nil))
			if rec.Code != http.StatusTooManyRequests {
				t.Errorf("status %d", rec.Code)
			}
		})
	}
	wg.Wait()
}
