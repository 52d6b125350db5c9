package main

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// kvEngines opens a kv on each engine: memory, Redis (redis-server) and NATS
// (in-process nats-server with JetStream).
var kvEngines = map[string]func(t *testing.T) kv{
	"memory": func(*testing.T) kv { return newMemKV(time.Hour, 100) },
	"redis": func(t *testing.T) kv {
		return newRedisKV(startRedis(t), "counter:session:", time.Hour)
	},
	"nats": func(t *testing.T) kv {
		k, err := openNATSKV(t.Context(), startNATS(t), "counter_sessions", time.Hour)
		require.NoError(t, err)
		return k
	},
}

// Every kv keeps what a session holds and counts it atomically.
func TestSessionKV(t *testing.T) {
	for name, open := range kvEngines {
		t.Run(name, func(t *testing.T) {
			k := open(t)
			ctx := t.Context()
			_, ok, err := k.get(ctx, "nope")
			require.NoError(t, err)
			require.False(t, ok)
			_, ok, err = k.incr(ctx, "nope")
			require.NoError(t, err)
			require.False(t, ok, "incr never creates a session")
			_, ok, err = k.get(ctx, "nope")
			require.NoError(t, err)
			require.False(t, ok)

			want := record{UID: "user-1", CSRF: "tok", Count: 10}
			require.NoError(t, k.put(ctx, "id1", want))
			got, ok, err := k.get(ctx, "id1")
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, want, got)

			var wg sync.WaitGroup
			for range 16 { // as if from several nodes: no lock of the store's
				wg.Go(func() {
					_, ok, err := k.incr(ctx, "id1")
					assert.NoError(t, err)
					assert.True(t, ok)
				})
			}
			wg.Wait()
			got, _, err = k.get(ctx, "id1")
			require.NoError(t, err)
			want.Count = 26
			require.Equal(t, want, got)
		})
	}
}

var stateCount = regexp.MustCompile(`:count (\d+)`)

// count returns the count shown by a page.
func (p page) count(t *testing.T) int64 {
	t.Helper()
	m := stateCount.FindStringSubmatch(p.state)
	require.NotNil(t, m, "no count in %q", p.state)
	n, err := strconv.ParseInt(m[1], 10, 64)
	require.NoError(t, err)
	return n
}

// Two nodes over one shared kv are one app for a session: the cookie set by
// node A is a session on node B, and both follow one count and one token.
func TestTwoNodesShareSessions(t *testing.T) {
	for _, name := range []string{"redis", "nats"} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			cfg.sessionKV = kvEngines[name](t)
			baseA, _ := startServer(t, cfg)
			baseB, _ := startServer(t, cfg)

			va := newVisitor(t, baseA)
			pa := va.load()
			require.Equal(t, int64(initialCount), pa.count(t))
			vb := newVisitor(t, baseB)
			vb.cookie = va.cookie
			pb := vb.load()
			require.Equal(t, int64(initialCount+1), pb.count(t), "node B counts A's session")
			require.Equal(t, pa.token, pb.token, "one CSRF token on both nodes")
			require.Equal(t, int64(initialCount+2), va.load().count(t), "node A sees B's count")

			// A session unknown to the kv is a new session on either node.
			vc := newVisitor(t, baseB)
			require.Equal(t, int64(initialCount), vc.load().count(t))
			require.NotEqual(t, va.cookie.Value, vc.cookie.Value)
		})
	}
}

// runNode serves run(cfg) on a loopback port, as main does with the flags
// in cfg, until the end of the test.
func runNode(t *testing.T, cfg config) string {
	t.Helper()
	return serveInTest(t, func(ctx context.Context, ln net.Listener) error { return run(ctx, cfg, ln) })
}

// The -redis and -nats flags put the sessions of every node started with
// them in the engine.
func TestEngineFlagsShareSessions(t *testing.T) {
	for name, engine := range engineFlags {
		t.Run(name, func(t *testing.T) {
			cfg := engineConfig(t, engine(t))
			va, vb := newVisitor(t, runNode(t, cfg)), newVisitor(t, runNode(t, cfg))
			require.Equal(t, int64(initialCount), va.load().count(t))
			vb.cookie = va.cookie
			require.Equal(t, int64(initialCount+1), vb.load().count(t))
			require.Equal(t, int64(initialCount+2), va.load().count(t))
		})
	}
	_, err := openEngine(t.Context(), "redis://127.0.0.1:1/0", "nats://127.0.0.1:1", time.Hour)
	require.ErrorContains(t, err, "exclude each other")
}

// The engine going away fails the requests that need a session with a clear
// status, never a crash or a wrong count.
func TestEngineOutageFailsClearly(t *testing.T) {
	rdb := startRedis(t)
	cfg := testConfig()
	cfg.RedisURL = "redis://" + rdb.Options().Addr + "/0?max_retries=-1" // fail at once, not after retries
	base := runNode(t, cfg)
	v := newVisitor(t, base)
	p := v.load()

	_ = rdb.ShutdownNoSave(t.Context()).Err() // the server exits: its reply is a closed connection
	code, _, _ := v.do("GET", "/", nil, "")
	require.Equal(t, http.StatusInternalServerError, code, "the page cannot count")
	code, _ = v.ajaxGet(p.token, "cid-1", true)
	require.Equal(t, http.StatusServiceUnavailable, code, "/chsk cannot find the session")
}
