package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosente/gosente/chsk/client"
	"github.com/gosente/gosente/chsk/wire"
)

// echoConfig is the load of the echo subcommand.
type echoConfig struct {
	Clients   int           `json:"clients"`
	Transport string        `json:"transport"` // ws or ajax
	Duration  time.Duration `json:"-"`
	Payload   int           `json:"payload_bytes"`
	Src       int           `json:"src_addrs"`
	Packer    string        `json:"packer,omitempty"` // the clients' packer; the server's must be the same
}

// echoResult is one echo run.
type echoResult struct {
	Target       string    `json:"target"` // chsk-ws, chsk-ajax or raw-ws
	Clients      int       `json:"clients"`
	PayloadBytes int       `json:"payload_bytes"`
	Seconds      float64   `json:"seconds"`
	RoundTrips   int64     `json:"round_trips"`
	Errors       int64     `json:"errors"`
	RTPerSec     float64   `json:"rt_per_s"`
	Latency      latencies `json:"latency"`
}

// echoReport is a gosente echo run and its baseline.
type echoReport struct {
	Chsk     echoResult  `json:"chsk"`
	Baseline *echoResult `json:"baseline,omitempty"`
	// RTRatio is gosente's round trips per second over the baseline's;
	// P50Ratio and P99Ratio are gosente's latency over the baseline's.
	RTRatio  float64 `json:"rt_ratio,omitempty"`
	P50Ratio float64 `json:"p50_ratio,omitempty"`
	P99Ratio float64 `json:"p99_ratio,omitempty"`
}

// maxEchoErrors stops a run that fails over and over.
const maxEchoErrors = 1000

// requestTimeout bounds one round trip.
const requestTimeout = 10 * time.Second

// echoSlices is how many turns the gosente and the raw load take each: they
// alternate, so that both see the same machine even when other work on it
// comes and goes.
const echoSlices = 5

// runEcho runs the gosente echo load and, with baseline, the raw one, in
// alternating slices of the same total duration each.
func runEcho(ctx context.Context, ep endpoints, cfg echoConfig, baseline bool) (echoReport, error) {
	var rep echoReport
	chskW, closeChsk, err := echoChskWorkers(ctx, ep, cfg)
	defer closeChsk()
	if err != nil {
		return rep, err
	}
	var rawW []func(context.Context) error
	if baseline {
		var closeRaw func()
		rawW, closeRaw, err = echoRawWorkers(ctx, ep, cfg)
		defer closeRaw()
		if err != nil {
			return rep, fmt.Errorf("raw baseline: %w", err)
		}
	}
	slices := 1
	if baseline {
		slices = echoSlices
	}
	slice := max(cfg.Duration/time.Duration(slices), 50*time.Millisecond)
	var chskAcc, rawAcc echoAcc
	for k := range slices {
		chskAcc.add(roundTripLoad(ctx, fmt.Sprintf("echo %s (%d/%d)", cfg.Transport, k+1, slices), slice, chskW))
		if baseline {
			rawAcc.add(roundTripLoad(ctx, fmt.Sprintf("echo raw (%d/%d)", k+1, slices), slice, rawW))
		}
		if ctx.Err() != nil {
			break
		}
	}
	rep.Chsk, err = chskAcc.result("chsk-"+cfg.Transport, len(chskW), cfg.Payload)
	if err != nil {
		return rep, err
	}
	if baseline {
		raw, err := rawAcc.result("raw-ws", len(rawW), cfg.Payload)
		rep.Baseline = &raw
		if err != nil {
			return rep, fmt.Errorf("raw baseline: %w", err)
		}
		rep.RTRatio = ratio(rep.Chsk.RTPerSec, raw.RTPerSec)
		rep.P50Ratio = ratio(rep.Chsk.Latency.P50, raw.Latency.P50)
		rep.P99Ratio = ratio(rep.Chsk.Latency.P99, raw.Latency.P99)
	}
	return rep, nil
}

// echoChskWorkers connects cfg.Clients chsk.Clients and returns one round
// trip of [:chskbench/echo "<payload>"] for each.
func echoChskWorkers(ctx context.Context, ep endpoints, cfg echoConfig) ([]func(context.Context) error, func(), error) {
	kind := client.TransportWS
	if cfg.Transport == "ajax" {
		kind = client.TransportAjax
	}
	hc := newHTTPClient(newSrcDialer(cfg.Src), 2*cfg.Clients+16)
	clients := make([]*client.Client, cfg.Clients)
	closeAll := func() {
		var wg sync.WaitGroup
		for _, c := range clients {
			if c != nil {
				wg.Go(func() { _ = c.Close() })
			}
		}
		wg.Wait()
		closeHTTPClient(hc)
	}
	packer, err := packerByName(cfg.Packer)
	if err != nil {
		return nil, closeAll, err
	}
	bctx, cancel := context.WithTimeout(ctx, connectTimeout)
	token, err := client.Bootstrap(bctx, ep.page, hc)
	cancel()
	if err != nil {
		return nil, closeAll, err
	}
	var dialed atomic.Int64
	p := startProgress("echo "+cfg.Transport, func() string { return fmt.Sprintf("connected %d/%d", dialed.Load(), cfg.Clients) })
	err = dialParallel(ctx, cfg.Clients, 16, &dialed, func(ctx context.Context, i int) error {
		dctx, cancel := context.WithTimeout(ctx, connectTimeout)
		defer cancel()
		c, err := client.Dial(dctx, ep.chsk, &client.Options{
			Type: kind, CSRFToken: token, HTTPClient: hc, Logger: quietLogger, EventBuffer: 16, Packer: packer,
		})
		clients[i] = c
		return err
	})
	p.stop()
	if err != nil {
		return nil, closeAll, err
	}
	data := strings.Repeat("x", cfg.Payload)
	ev := wire.Event{ID: evEcho, Data: data}
	workers := make([]func(ctx context.Context) error, len(clients))
	for i, c := range clients {
		workers[i] = func(ctx context.Context) error {
			rctx, cancel := context.WithTimeout(ctx, requestTimeout)
			defer cancel()
			v, err := c.Request(rctx, ev)
			if err != nil {
				return err
			}
			if s, ok := v.(string); !ok || s != data {
				return fmt.Errorf("echo replied %.40v", v)
			}
			return nil
		}
	}
	return workers, closeAll, nil
}

// echoRawWorkers is the baseline: the same round trips of bare payload
// bytes over coder/websocket to the raw echo server.
func echoRawWorkers(ctx context.Context, ep endpoints, cfg echoConfig) ([]func(context.Context) error, func(), error) {
	hc := newHTTPClient(newSrcDialer(cfg.Src), 16)
	conns := make([]*lightConn, cfg.Clients)
	replies := make([]chan []byte, cfg.Clients)
	closeAll := func() {
		closeLight(conns)
		closeHTTPClient(hc)
	}
	var dialed atomic.Int64
	err := dialParallel(ctx, cfg.Clients, 16, &dialed, func(ctx context.Context, i int) error {
		ch := make(chan []byte, 1)
		replies[i] = ch
		c, err := dialLight(ctx, hc, ep.rawEcho, false, func(b []byte) { ch <- b })
		conns[i] = c
		return err
	})
	if err != nil {
		return nil, closeAll, err
	}
	data := bytes.Repeat([]byte("x"), cfg.Payload)
	workers := make([]func(ctx context.Context) error, len(conns))
	for i, c := range conns {
		workers[i] = func(context.Context) error {
			// Not the slice's context: coder/websocket closes a socket
			// whose write is canceled. The round trip ends on its own.
			if err := c.write(context.Background(), data); err != nil {
				return err
			}
			t := time.NewTimer(requestTimeout)
			defer t.Stop()
			select {
			case b := <-replies[i]:
				if !bytes.Equal(b, data) {
					return errors.New("raw echo replied other bytes")
				}
				return nil
			case <-c.done:
				return errors.New("raw echo connection lost")
			case <-t.C:
				return errors.New("raw echo timed out")
			}
		}
	}
	return workers, closeAll, nil
}

// echoSlice is one slice of a round-trip load.
type echoSlice struct {
	count, errs int64
	elapsed     time.Duration
	samples     []time.Duration
	err         error // the first error
}

// echoAcc adds up the slices of one load.
type echoAcc struct {
	count, errs int64
	elapsed     time.Duration
	samples     []time.Duration
	err         error
}

func (a *echoAcc) add(s echoSlice) {
	a.count += s.count
	a.errs += s.errs
	a.elapsed += s.elapsed
	a.samples = append(a.samples, s.samples...)
	if a.err == nil {
		a.err = s.err
	}
}

// result summarizes the load; it fails when too many round trips failed
// or none succeeded.
func (a *echoAcc) result(target string, clients, payload int) (echoResult, error) {
	res := echoResult{
		Target:       target,
		Clients:      clients,
		PayloadBytes: payload,
		Seconds:      a.elapsed.Seconds(),
		RoundTrips:   a.count,
		Errors:       a.errs,
		RTPerSec:     ratio(float64(a.count), a.elapsed.Seconds()),
		Latency:      summarize(a.samples),
	}
	if a.errs >= maxEchoErrors {
		return res, fmt.Errorf("%s: %d errors, the first: %w", target, a.errs, a.err)
	}
	if a.count == 0 {
		return res, fmt.Errorf("%s: no round trip completed (first error: %v)", target, a.err)
	}
	return res, nil
}

// roundTripLoad runs every worker in a loop, each on its own goroutine,
// for d, and measures the round trips.
func roundTripLoad(ctx context.Context, label string, d time.Duration, workers []func(context.Context) error) echoSlice {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		count, errs atomic.Int64
		wg          sync.WaitGroup
		mu          sync.Mutex
		out         echoSlice
	)
	start := time.Now()
	p := startProgress(label, func() string {
		n := count.Load()
		return fmt.Sprintf("%d round trips, %.0f rt/s, %d errors", n, float64(n)/time.Since(start).Seconds(), errs.Load())
	})
	for _, rt := range workers {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 1024)
			for ctx.Err() == nil {
				t0 := time.Now()
				err := rt(ctx)
				if err != nil {
					if ctx.Err() != nil {
						break // the slice ended during this round trip
					}
					mu.Lock()
					if out.err == nil {
						out.err = err
					}
					mu.Unlock()
					if errs.Add(1) >= maxEchoErrors {
						cancel()
					}
					continue
				}
				lat = append(lat, time.Since(t0))
				count.Add(1)
			}
			mu.Lock()
			out.samples = append(out.samples, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	p.stop()
	out.elapsed = time.Since(start)
	out.count, out.errs = count.Load(), errs.Load()
	return out
}
