package main

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gosente/gosente/chsk/client"
	"github.com/gosente/gosente/chsk/wire"
	"github.com/stretchr/testify/require"
)

// urlWriter collects a node's log and closes found when the log names the
// URL the node serves on.
type urlWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	url   string
	found chan struct{}
}

var servingURL = regexp.MustCompile(`msg="counter: serving" url=(http://\S+)/`)

func (w *urlWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.url == "" {
		if m := servingURL.FindSubmatch(w.buf.Bytes()); m != nil {
			w.url = string(m[1])
			close(w.found)
		}
	}
	return len(p), nil
}

// startNodeProcess starts the counter binary with args on a loopback port
// and returns its base URL and process; the test's end kills it.
func startNodeProcess(t *testing.T, bin string, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-tick", "100ms"}, args...)...)
	log := &urlWriter{found: make(chan struct{})}
	cmd.Stderr = log
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	select {
	case <-log.found:
	case <-time.After(30 * time.Second):
		log.mu.Lock()
		defer log.mu.Unlock()
		t.Fatalf("node did not start serving; its log:\n%s", log.buf.String())
	}
	return log.url, cmd
}

// tab is a Go Sente client on one node in the session of a visitor.
type tab struct {
	c      *client.Client
	counts chan int64 // [:counter/count n] pushes
	ticks  chan int64 // the users count of [:counter/tick …] pushes
}

func dialTab(t *testing.T, base string, v *visitor, token string) *tab {
	t.Helper()
	tb := &tab{counts: make(chan int64, 64), ticks: make(chan int64, 64)}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, base+"/chsk", &client.Options{
		CSRFToken: token,
		Header: http.Header{
			"Cookie": {v.cookie.Name + "=" + v.cookie.Value},
			"Origin": {base},
		},
		OnEvent: func(ev wire.Event) {
			switch ev.ID {
			case evCount:
				if n, ok := ev.Data.(int64); ok {
					tb.counts <- n
				}
			case evTick:
				var d tickData
				if wire.Decode(ev.Data, &d) == nil {
					select {
					case tb.ticks <- int64(d.Users):
					default: // a tab that is not watching ticks
					}
				}
			}
		},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	tb.c = c
	return tb
}

// inc sends [:counter/inc] and returns the count of the reply.
func (tb *tab) inc(t *testing.T) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	reply, err := tb.c.Request(ctx, wire.Event{ID: evInc})
	require.NoError(t, err)
	m, ok := reply.(*wire.Map)
	require.True(t, ok, "reply %v", reply)
	n, _ := m.Get(wire.Keyword("count"))
	require.IsType(t, int64(0), n)
	return n.(int64)
}

// waitCount waits for the push of count n, skipping earlier ones.
func (tb *tab) waitCount(t *testing.T, n int64) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-tb.counts:
			if got == n {
				return
			}
			require.Less(t, got, n, "counts go forward")
		case <-timeout:
			t.Fatalf("no push of count %d", n)
		}
	}
}

// waitTick waits for a tick push.
func (tb *tab) waitTick(t *testing.T) { tb.waitUsers(t, -1) }

// waitUsers waits for a tick push that counts users sessions (any, for -1).
func (tb *tab) waitUsers(t *testing.T, users int64) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case got := <-tb.ticks:
			if users < 0 || got == users {
				return
			}
		case <-timeout:
			t.Fatalf("no tick counting %d users", users)
		}
	}
}

// Three counter processes on one engine (Redis, then NATS), a tab of one
// session on each; one process is killed with SIGKILL: the other two keep
// serving their tabs, and the killed node's tab, redialed to a survivor, gets
// its pushes there.
func TestMultiProcessSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "counter")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	for name, engine := range engineFlags {
		t.Run(name, func(t *testing.T) { multiProcessSIGKILL(t, bin, engine(t)) })
	}
}

func multiProcessSIGKILL(t *testing.T, bin string, flag []string) {
	var bases [3]string
	var procs [3]*exec.Cmd
	for i := range bases {
		bases[i], procs[i] = startNodeProcess(t, bin, flag...)
	}
	v := newVisitor(t, bases[0])
	p := v.load()
	var tabs [3]*tab
	for i, base := range bases {
		tabs[i] = dialTab(t, base, v, p.token)
	}
	// One count across the processes: each node's inc goes on from the last,
	// and its push reaches the session's tabs on the other nodes (the broker).
	want := int64(initialCount)
	for i, tb := range tabs {
		want++
		require.Equal(t, want, tb.inc(t))
		for j, other := range tabs {
			if j != i {
				other.waitCount(t, want)
			}
		}
	}

	require.NoError(t, procs[2].Process.Signal(syscall.SIGKILL))
	_ = procs[2].Wait()

	// The survivors keep serving: their tabs get ticks and counts, and each
	// other's pushes.
	for i, tb := range tabs[:2] {
		tb.waitTick(t)
		want++
		require.Equal(t, want, tb.inc(t))
		tabs[1-i].waitCount(t, want)
	}
	// The killed node's tab redials a survivor and gets its pushes there.
	_ = tabs[2].c.Close()
	moved := dialTab(t, bases[0], v, p.token)
	moved.waitTick(t)
	want++
	require.Equal(t, want, tabs[0].inc(t))
	moved.waitCount(t, want)
	want++
	require.Equal(t, want, moved.inc(t))
	tabs[0].waitCount(t, want)
}
