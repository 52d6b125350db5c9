package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeClock is a settable clock for the store.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestStore(ttl time.Duration, max int) (*sessionStore, *fakeClock) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	st := newSessionStore("sid", ttl, max, false, 10)
	st.now = clock.now
	return st, clock
}

// newSession creates a session through GetOrCreate and returns it with a
// request that carries its cookie.
func newSession(t *testing.T, st *sessionStore) (*session, *http.Request) {
	t.Helper()
	rec := httptest.NewRecorder()
	s, created, err := st.GetOrCreate(rec, httptest.NewRequest("GET", "/", nil))
	require.NoError(t, err)
	require.True(t, created)
	req := httptest.NewRequest("GET", "/", nil)
	for _, c := range rec.Result().Cookies() {
		req.AddCookie(c)
	}
	return s, req
}

func TestSessionTokensAreRandomAndDistinct(t *testing.T) {
	st, _ := newTestStore(time.Hour, 100)
	seen := map[string]bool{}
	for range 50 {
		s, _ := newSession(t, st)
		for _, v := range []string{s.id, s.csrf} {
			require.Len(t, v, 43)
			require.False(t, seen[v], "token repeated")
			seen[v] = true
		}
		require.Regexp(t, `^user-[0-9a-f]{24}$`, s.uid)
		require.False(t, seen[s.uid])
		seen[s.uid] = true
		require.NotEqual(t, s.id, s.csrf)
		require.Equal(t, int64(10), s.Count())
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	st, clock := newTestStore(time.Hour, 100)
	s, req := newSession(t, st)

	clock.advance(59 * time.Minute)
	require.Same(t, s, st.Get(req), "used before its expiry")
	clock.advance(59 * time.Minute)
	require.Same(t, s, st.Get(req), "the last use moved the expiry")
	clock.advance(time.Hour)
	require.Nil(t, st.Get(req), "idle for the TTL")
	require.Equal(t, 0, st.Len(), "an expired session is removed when seen")

	// GetOrCreate replaces an expired session with a fresh one.
	rec := httptest.NewRecorder()
	s2, created, err := st.GetOrCreate(rec, req)
	require.NoError(t, err)
	require.True(t, created)
	require.NotEqual(t, s.id, s2.id)
	require.Len(t, rec.Result().Cookies(), 1)
}

func TestSessionCapEvictsLeastRecentlyUsed(t *testing.T) {
	st, clock := newTestStore(time.Hour, 3)
	_, reqA := newSession(t, st)
	clock.advance(time.Second)
	_, reqB := newSession(t, st)
	clock.advance(time.Second)
	_, reqC := newSession(t, st)
	clock.advance(time.Second)
	require.NotNil(t, st.Get(reqA)) // A is now the most recently used; B the least

	_, reqD := newSession(t, st)
	require.Equal(t, 3, st.Len())
	require.Nil(t, st.Get(reqB), "B was least recently used")
	for _, r := range []*http.Request{reqA, reqC, reqD} {
		require.NotNil(t, st.Get(r))
	}
}

func TestSessionCreateSweepsExpired(t *testing.T) {
	st, clock := newTestStore(time.Minute, 100)
	for range 5 {
		newSession(t, st)
	}
	clock.advance(2 * time.Minute)
	newSession(t, st)
	require.Equal(t, 1, st.Len())
}

func TestSessionCookieValues(t *testing.T) {
	st, _ := newTestStore(time.Hour, 10)
	for _, v := range []string{"", "unknown", strings.Repeat("a", 65)} {
		req := httptest.NewRequest("GET", "/", nil)
		req.AddCookie(&http.Cookie{Name: "sid", Value: v})
		require.Nil(t, st.Get(req), "%q", v)
	}
	require.Nil(t, st.Get(httptest.NewRequest("GET", "/", nil)))
}

// Concurrent increments notify in counting order, so pushes to the tabs
// never go back in time.
func TestSessionIncNotifiesInOrder(t *testing.T) {
	st, _ := newTestStore(time.Hour, 10)
	s, _ := newSession(t, st)
	var (
		mu   sync.Mutex
		seen []int64
		wg   sync.WaitGroup
	)
	for range 64 {
		wg.Go(func() {
			s.Inc(func(n int64) {
				mu.Lock()
				seen = append(seen, n)
				mu.Unlock()
			})
		})
	}
	wg.Wait()
	require.Len(t, seen, 64)
	for i, n := range seen {
		require.Equal(t, int64(11+i), n)
	}
	require.Equal(t, int64(74), s.Count())
}
