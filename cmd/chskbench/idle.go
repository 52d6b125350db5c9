package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosente/gosente/chsk/client"
)

// idleConfig is the load of the idle subcommand.
type idleConfig struct {
	Steps []int `json:"steps"`
	Polls int   `json:"polls"`
	Src   int   `json:"src_addrs"`
	// Grace is how long a series waits, on a server a previous series used,
	// for gosente to forget the clients that left (CloseGraceWS is 5s).
	Grace time.Duration `json:"-"`
	// Quiet is how long each step waits after its last connection before it
	// reads the memory: gosente parks a socket's reader once the socket has
	// been quiet for Options.ParkAfter (1s).
	Quiet time.Duration `json:"-"`
}

// idleStep is the memory with Conns idle connections. Per-connection
// figures are the growth over the run's base, divided by Conns, in KiB.
type idleStep struct {
	Conns             int      `json:"conns"`
	Server            memStats `json:"server"`
	HeapKiB           float64  `json:"heap_alloc_kib_per_conn"` // live heap
	HeapInuseKiB      float64  `json:"heap_inuse_kib_per_conn"` // heap spans in use
	StackKiB          float64  `json:"stack_inuse_kib_per_conn"`
	RSSKiB            float64  `json:"rss_kib_per_conn"`
	GoroutinesPerConn float64  `json:"goroutines_per_conn"`
	// ClientKiB is the growth of this process's (the clients') live heap
	// and stacks per connection; it is noisy when a previous load of the
	// same process left memory to reuse. ClientRSS is this process's
	// resident size at the step.
	ClientKiB float64 `json:"client_kib_per_conn"`
	ClientRSS uint64  `json:"client_rss"`
}

// idleResult is one series of steps.
type idleResult struct {
	Target string     `json:"target"` // chsk-ws, raw-ws or chsk-ajax-poll
	Base   memStats   `json:"base"`
	Steps  []idleStep `json:"steps"`
	Note   string     `json:"note,omitempty"`
}

// idleRatio compares gosente and raw at one step.
type idleRatio struct {
	Conns int     `json:"conns"`
	Heap  float64 `json:"heap_ratio"`
	RSS   float64 `json:"rss_ratio"`
}

// idleReport is the idle run: gosente sockets, raw sockets, parked polls.
type idleReport struct {
	Chsk   idleResult  `json:"chsk"`
	Raw    *idleResult `json:"baseline,omitempty"`
	Ratios []idleRatio `json:"ratios,omitempty"`
	Polls  *idleResult `json:"polls,omitempty"`
}

// fdReserve is how many descriptors a process keeps for other uses
// (listener, epoll, pipes, stdio, the /debug/mem connection).
const fdReserve = 48

// settleTimeout bounds the wait for the server to count the connections.
const settleTimeout = 15 * time.Second

// idleServer gives the server of one idle series: its endpoints and a
// function to call when the series is done. Against a fresh server for each
// series every base is clean; against one server each series starts from
// what the previous one left (freed heap spans, cached stacks).
type idleServer func(series string) (endpoints, func(), error)

// sameServer is an idleServer that always returns ep.
func sameServer(ep endpoints) idleServer {
	return func(string) (endpoints, func(), error) { return ep, func() {}, nil }
}

// runIdle measures idle connections: raw ones first (they leave little
// behind), then gosente ones, then parked long-polls.
func runIdle(ctx context.Context, cfg idleConfig, baseline bool, server idleServer) (idleReport, error) {
	var rep idleReport
	if baseline {
		raw, err := idleSeries(ctx, cfg, "raw", server)
		rep.Raw = &raw
		if err != nil {
			return rep, fmt.Errorf("raw baseline: %w", err)
		}
	}
	var err error
	rep.Chsk, err = idleSeries(ctx, cfg, "chsk", server)
	if err != nil {
		return rep, err
	}
	if rep.Raw != nil {
		for i, s := range rep.Chsk.Steps {
			if i < len(rep.Raw.Steps) && rep.Raw.Steps[i].Conns == s.Conns {
				r := rep.Raw.Steps[i]
				rep.Ratios = append(rep.Ratios, idleRatio{Conns: s.Conns, Heap: ratio(s.HeapKiB, r.HeapKiB), RSS: ratio(s.RSSKiB, r.RSSKiB)})
			}
		}
	}
	if cfg.Polls > 0 {
		polls, err := idleSeries(ctx, cfg, "polls", server)
		rep.Polls = &polls
		if err != nil {
			return rep, fmt.Errorf("polls: %w", err)
		}
	}
	return rep, nil
}

// idleSeries runs one series (raw, chsk or polls) on the server server
// gives for it.
func idleSeries(ctx context.Context, cfg idleConfig, series string, server idleServer) (idleResult, error) {
	ep, done, err := server(series)
	if err != nil {
		return idleResult{Target: series}, err
	}
	defer done()
	memHC := newHTTPClient(newSrcDialer(1), 2)
	defer closeHTTPClient(memHC)
	_, memErr := fetchMem(ctx, memHC, ep.mem)
	mem := func() (memStats, bool) {
		if memErr != nil {
			return memStats{}, false
		}
		m, err := fetchMem(ctx, memHC, ep.mem)
		return m, err == nil
	}
	limit := clientConnLimit()
	if m, ok := mem(); ok && m.NoFile > fdReserve {
		limit = min(limit, int(m.NoFile)-fdReserve)
	}
	// Whatever the previous series left must be gone: its sockets, and
	// gosente's memory of its clients.
	if m, ok := mem(); ok && (m.Conns > 0 || series == "polls") {
		waitDrained(ctx, mem, 0, cfg.Grace)
	}
	hc := newHTTPClient(newSrcDialer(cfg.Src), 16)
	defer closeHTTPClient(hc)
	switch series {
	case "raw":
		return idleSteps(ctx, "idle raw", "raw-ws", cfg.Steps, limit, cfg.Quiet, mem, func(ctx context.Context) (*lightConn, error) {
			return dialLight(ctx, hc, ep.rawEcho, false, nil)
		})
	case "chsk":
		bctx, cancel := context.WithTimeout(ctx, connectTimeout)
		token, err := client.Bootstrap(bctx, ep.page, hc)
		cancel()
		if err != nil {
			return idleResult{Target: "chsk-ws"}, err
		}
		return idleSteps(ctx, "idle chsk", "chsk-ws", cfg.Steps, limit, cfg.Quiet, mem, func(ctx context.Context) (*lightConn, error) {
			return dialLight(ctx, hc, senteWSURL(ep.chsk, token), true, nil)
		})
	default:
		return idlePolls(ctx, ep, cfg, min(cfg.Polls, limit/2), mem)
	}
}

// clientConnLimit is how many sockets this process can open.
func clientConnLimit() int {
	n := int(noFile())
	if n <= fdReserve {
		return 1
	}
	return n - fdReserve
}

// idleSteps opens idle connections up to each step and reads the memory
// at each, then closes them.
func idleSteps(ctx context.Context, label, target string, steps []int, limit int, quiet time.Duration, mem func() (memStats, bool), dial func(context.Context) (*lightConn, error)) (idleResult, error) {
	res := idleResult{Target: target}
	base, hasMem := mem()
	res.Base = base
	clientBase := clientMem()
	top := 0
	for _, s := range steps {
		top = max(top, s)
	}
	if top > limit {
		res.Note = fmt.Sprintf("steps capped at %d connections by the file descriptor limits (client %d, server %d)", limit, noFile(), base.NoFile)
		fmt.Fprintf(os.Stderr, "chskbench %s: %s\n", label, res.Note)
	}
	conns := make([]*lightConn, min(top, limit))
	defer func() { closeLight(conns) }()
	var dialed atomic.Int64
	p := startProgress(label, func() string { return fmt.Sprintf("connected %d/%d", dialed.Load(), len(conns)) })
	defer p.stop()
	have := 0
	for _, s := range steps {
		s = min(s, limit)
		if s <= have {
			continue
		}
		from := have
		err := dialParallel(ctx, s-from, 64, &dialed, func(ctx context.Context, i int) error {
			c, err := dial(ctx)
			conns[from+i] = c
			return err
		})
		if err != nil {
			return res, fmt.Errorf("at %d connections: %w", dialed.Load(), err)
		}
		have = s
		if !sleepCtx(ctx, quiet) {
			return res, ctx.Err()
		}
		step := idleStep{Conns: s, ClientKiB: kib(clientMem()-clientBase) / float64(s), ClientRSS: vmRSS()}
		if hasMem {
			step.setServer(settle(ctx, mem, int64(s)), base)
		}
		res.Steps = append(res.Steps, step)
		fmt.Fprintf(os.Stderr, "chskbench %s: %d conns: server heap %.1f KiB/conn, rss %.1f KiB/conn; client %.1f KiB/conn\n",
			label, s, step.HeapKiB, step.RSSKiB, step.ClientKiB)
	}
	return res, nil
}

// idlePolls parks cfg.Polls Ajax long-polls of chsk.Clients and reads the
// server's memory.
func idlePolls(ctx context.Context, ep endpoints, cfg idleConfig, n int, mem func() (memStats, bool)) (idleResult, error) {
	quiet := cfg.Quiet
	res := idleResult{Target: "chsk-ajax-poll"}
	if n < cfg.Polls {
		res.Note = fmt.Sprintf("polls capped at %d by the file descriptor limits", n)
	}
	hc := newHTTPClient(newSrcDialer(cfg.Src), 2*n+16)
	defer closeHTTPClient(hc)
	bctx, cancel := context.WithTimeout(ctx, connectTimeout)
	token, err := client.Bootstrap(bctx, ep.page, hc)
	cancel()
	if err != nil {
		return res, err
	}
	base, hasMem := mem()
	res.Base = base
	clientBase := clientMem()
	clients := make([]*client.Client, n)
	defer func() {
		var wg sync.WaitGroup
		for _, c := range clients {
			if c != nil {
				wg.Go(func() { _ = c.Close() })
			}
		}
		wg.Wait()
	}()
	var dialed atomic.Int64
	p := startProgress("idle polls", func() string { return fmt.Sprintf("connected %d/%d", dialed.Load(), n) })
	err = dialParallel(ctx, n, 64, &dialed, func(ctx context.Context, i int) error {
		dctx, cancel := context.WithTimeout(ctx, connectTimeout)
		defer cancel()
		c, err := client.Dial(dctx, ep.chsk, &client.Options{
			Type: client.TransportAjax, CSRFToken: token, HTTPClient: hc, Logger: quietLogger, EventBuffer: 1,
		})
		clients[i] = c
		return err
	})
	p.stop()
	if err != nil {
		return res, err
	}
	step := idleStep{Conns: n, ClientKiB: kib(clientMem()-clientBase) / float64(n), ClientRSS: vmRSS()}
	if !sleepCtx(ctx, max(quiet, 500*time.Millisecond)) { // the polls follow their handshakes
		return res, ctx.Err()
	}
	if hasMem {
		step.setServer(settle(ctx, mem, int64(n)), base)
	}
	res.Steps = append(res.Steps, step)
	fmt.Fprintf(os.Stderr, "chskbench idle polls: %d parked: server heap %.1f KiB/poll, rss %.1f KiB/poll\n", n, step.HeapKiB, step.RSSKiB)
	return res, nil
}

// setServer records the server's memory m and its growth over base per
// connection.
func (st *idleStep) setServer(m, base memStats) {
	n := float64(st.Conns)
	st.Server = m
	st.HeapKiB = kib(m.HeapAlloc-base.HeapAlloc) / n
	st.HeapInuseKiB = kib(m.HeapInuse-base.HeapInuse) / n
	st.StackKiB = kib(m.StackInuse-base.StackInuse) / n
	st.RSSKiB = kib(m.RSS-base.RSS) / n
	st.GoroutinesPerConn = float64(m.Goroutines-base.Goroutines) / n
}

// settle waits until the server counts at least want connections, or
// settleTimeout, and returns its memory. (Connections open at the base may
// be idle keep-alives that the clients reuse, so want does not add them.)
func settle(ctx context.Context, mem func() (memStats, bool), want int64) memStats {
	deadline := time.Now().Add(settleTimeout)
	for {
		m, _ := mem()
		if m.Conns >= want || time.Now().After(deadline) || ctx.Err() != nil {
			return m
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitDrained waits until the server is back to at most base connections
// (bounded by settleTimeout), then for grace more.
func waitDrained(ctx context.Context, mem func() (memStats, bool), base int64, grace time.Duration) {
	deadline := time.Now().Add(settleTimeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if m, ok := mem(); !ok || m.Conns <= base {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	select {
	case <-time.After(grace):
	case <-ctx.Done():
	}
}

// clientMem is this process's live heap and stack in use after
// collections.
func clientMem() uint64 {
	// Twice: what finalizers and cleanups (of sockets) keep alive goes
	// only in the second collection.
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc + ms.StackInuse
}

// kib converts a byte difference (which may have wrapped below zero) to
// KiB.
func kib(d uint64) float64 { return float64(int64(d)) / 1024 }

// sleepCtx sleeps for d; it reports false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
