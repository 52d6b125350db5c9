package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/sessions"
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

// testStore is a store over a memKV on a fake clock.
type testStore struct {
	*sessionStore
	mem *memKV
}

// Len returns the number of records in the store's memKV.
func (st testStore) Len() int { return st.mem.Len() }

func newTestStore(ttl time.Duration, max int) (testStore, *fakeClock) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	mem := newMemKV(ttl, max)
	mem.now = clock.now
	return testStore{newSessionStore("sid", mem, false, 10), mem}, clock
}

// count returns s's count, failing t when the session is gone.
func count(t *testing.T, s *session) int64 {
	t.Helper()
	n, err := s.Count(t.Context())
	require.NoError(t, err)
	return n
}

// newSession creates a session through GetOrCreate and returns it with a
// request that carries its cookie.
func newSession(t *testing.T, st testStore) (*session, *http.Request) {
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
		require.Equal(t, int64(10), count(t, s))
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	st, clock := newTestStore(time.Hour, 100)
	s, req := newSession(t, st)

	clock.advance(59 * time.Minute)
	require.Equal(t, s, lookup(t, st, req), "used before its expiry")
	clock.advance(59 * time.Minute)
	require.Equal(t, s, lookup(t, st, req), "the last use moved the expiry")
	clock.advance(time.Hour)
	require.Nil(t, lookup(t, st, req), "idle for the TTL")
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
	require.NotNil(t, lookup(t, st, reqA)) // A is now the most recently used; B the least

	_, reqD := newSession(t, st)
	require.Equal(t, 3, st.Len())
	require.Nil(t, lookup(t, st, reqB), "B was least recently used")
	for _, r := range []*http.Request{reqA, reqC, reqD} {
		require.NotNil(t, lookup(t, st, r))
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
		require.Nil(t, lookup(t, st, req), "%q", v)
	}
	require.Nil(t, lookup(t, st, httptest.NewRequest("GET", "/", nil)))
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
			_, err := s.Inc(t.Context(), func(n int64) {
				mu.Lock()
				seen = append(seen, n)
				mu.Unlock()
			})
			require.NoError(t, err)
		})
	}
	wg.Wait()
	require.Len(t, seen, 64)
	for i, n := range seen {
		require.Equal(t, int64(11+i), n)
	}
	require.Equal(t, int64(74), count(t, s))
}

// The store works as any gorilla sessions.Store: a saved new session sets
// one cookie carrying only its id, and the next request reads its values
// back from the kv.
func TestSessionStoreIsGorillaStore(t *testing.T) {
	st, _ := newTestStore(time.Hour, 10)
	var gst sessions.Store = st.sessionStore
	req := httptest.NewRequest("GET", "/", nil)
	gs, err := gst.Get(req, "sid")
	require.NoError(t, err)
	require.True(t, gs.IsNew)
	gs.Values[valUID], gs.Values[valCSRF], gs.Values[valCount] = "user-x", "token", int64(3)
	rec := httptest.NewRecorder()
	require.NoError(t, gs.Save(req, rec))
	cookies := rec.Result().Cookies()
	require.Len(t, cookies, 1)
	require.Equal(t, gs.ID, cookies[0].Value)
	require.True(t, cookies[0].HttpOnly)
	require.Equal(t, http.SameSiteLaxMode, cookies[0].SameSite)

	req2 := httptest.NewRequest("GET", "/", nil)
	req2.AddCookie(cookies[0])
	gs2, err := gst.Get(req2, "sid")
	require.NoError(t, err)
	require.False(t, gs2.IsNew)
	require.Equal(t, "user-x", gs2.Values[valUID])
	require.Equal(t, int64(3), gs2.Values[valCount])
}

// lookup returns the session of req's cookie, or nil.
func lookup(t *testing.T, st testStore, req *http.Request) *session {
	t.Helper()
	s, err := st.Lookup(req)
	require.NoError(t, err)
	return s
}
