package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gosente/gosente/chsk/client"
	"github.com/gosente/gosente/chsk/wire"
)

// fanoutConfig is the load of the fanout subcommand.
type fanoutConfig struct {
	Clients  int           `json:"clients"`
	Rounds   int           `json:"rounds"`
	Payload  int           `json:"payload_bytes"`
	Src      int           `json:"src_addrs"`
	Interval time.Duration `json:"-"` // pause between rounds
	Timeout  time.Duration `json:"-"` // how long one round may take
}

// fanoutResult is one fan-out run.
type fanoutResult struct {
	Target    string `json:"target"` // chsk-ws or raw-ws
	Clients   int    `json:"clients"`
	Rounds    int    `json:"rounds"`
	Delivered int64  `json:"delivered"` // deliveries counted, of Clients×Rounds
	Complete  int    `json:"complete_rounds"`
	// Last is the time from the send until the last client received, over
	// the rounds; Delivery the latency of every single delivery.
	Last     latencies `json:"last"`
	Delivery latencies `json:"delivery"`
	// DeliveriesPerSec is the median over rounds of Clients / Last.
	DeliveriesPerSec float64 `json:"deliveries_per_s"`
}

// fanoutReport is a gosente fan-out and its baseline.
type fanoutReport struct {
	Chsk     fanoutResult  `json:"chsk"`
	Baseline *fanoutResult `json:"baseline,omitempty"`
	// Ratios of gosente's time over the baseline's.
	LastP50Ratio float64 `json:"last_p50_ratio,omitempty"`
	LastP99Ratio float64 `json:"last_p99_ratio,omitempty"`
}

// fanoutData is the data of [:chskbench/fanout …] and of the pushes it
// causes: the send time, the round, and padding.
func fanoutData(round int, pad string) *wire.Map {
	return wire.NewMap(wire.Keyword("t"), time.Now().UnixNano(), wire.Keyword("round"), int64(round), wire.Keyword("pad"), pad)
}

// fanoutRecorder keeps the latency of every delivery.
type fanoutRecorder struct {
	n, rounds int
	lat       []atomic.Int64 // [round*n + client], 0 = not yet
	count     []atomic.Int64 // per round
	done      []chan struct{}
}

func newFanoutRecorder(n, rounds int) *fanoutRecorder {
	r := &fanoutRecorder{n: n, rounds: rounds, lat: make([]atomic.Int64, n*rounds),
		count: make([]atomic.Int64, rounds), done: make([]chan struct{}, rounds)}
	for i := range r.done {
		r.done[i] = make(chan struct{})
	}
	return r
}

// frame handles one frame of client i: every chskbench/push event in it is
// a delivery.
func (r *fanoutRecorder) frame(i int, data []byte) {
	now := time.Now().UnixNano()
	env, err := wire.Unpack(data, nil)
	if err != nil || env.HasCB() {
		return
	}
	evs, err := wire.ParseBatch(env.Payload)
	if err != nil {
		return
	}
	for _, ev := range evs {
		m, ok := ev.Data.(*wire.Map)
		if ev.ID != evPush || !ok {
			continue
		}
		t, _ := m.Get(wire.Keyword("t"))
		round, _ := m.Get(wire.Keyword("round"))
		ts, ok1 := t.(int64)
		rd, ok2 := round.(int64)
		if !ok1 || !ok2 || rd < 0 || rd >= int64(r.rounds) {
			continue
		}
		if r.lat[int(rd)*r.n+i].CompareAndSwap(0, max(now-ts, 1)) && r.count[rd].Add(1) == int64(r.n) {
			close(r.done[rd])
		}
	}
}

// fanoutPasses is how many times the gosente and the raw fan-out take
// turns, each with its share of the rounds and freshly connected clients,
// so that both see the same machine even when other work on it comes and
// goes. (Both at once would need twice the client sockets.)
const fanoutPasses = 2

// runFanout runs the gosente fan-out and, with baseline, the raw one.
func runFanout(ctx context.Context, ep endpoints, cfg fanoutConfig, baseline bool) (fanoutReport, error) {
	var rep fanoutReport
	if cfg.Clients < 1 || cfg.Rounds < 1 {
		return rep, errors.New("fanout needs at least one client and one round")
	}
	passes := 1
	if baseline {
		passes = max(1, min(fanoutPasses, cfg.Rounds))
	}
	var chskAcc, rawAcc fanoutPass
	var firstErr error
	for k := range passes {
		pc := cfg
		pc.Rounds = cfg.Rounds / passes
		if k == passes-1 {
			pc.Rounds = cfg.Rounds - k*(cfg.Rounds/passes)
		}
		p, err := fanoutChsk(ctx, ep, pc)
		chskAcc.add(p)
		if err != nil {
			firstErr = err
			break
		}
		if baseline {
			p, err := fanoutRaw(ctx, ep, pc)
			rawAcc.add(p)
			if err != nil {
				firstErr = fmt.Errorf("raw baseline: %w", err)
				break
			}
		}
	}
	rep.Chsk = chskAcc.result("chsk-ws", cfg)
	if baseline {
		raw := rawAcc.result("raw-ws", cfg)
		rep.Baseline = &raw
		rep.LastP50Ratio = ratio(rep.Chsk.Last.P50, raw.Last.P50)
		rep.LastP99Ratio = ratio(rep.Chsk.Last.P99, raw.Last.P99)
	}
	return rep, firstErr
}

// fanoutPass is what one or more passes of rounds measured.
type fanoutPass struct {
	complete  int
	delivered int64
	last      []time.Duration // per complete round: until the last client received
	all       []time.Duration // every delivery
	rates     []float64       // per complete round: clients / last
}

func (a *fanoutPass) add(p fanoutPass) {
	a.complete += p.complete
	a.delivered += p.delivered
	a.last = append(a.last, p.last...)
	a.all = append(a.all, p.all...)
	a.rates = append(a.rates, p.rates...)
}

func (a *fanoutPass) result(target string, cfg fanoutConfig) fanoutResult {
	res := fanoutResult{
		Target: target, Clients: cfg.Clients, Rounds: cfg.Rounds,
		Delivered: a.delivered, Complete: a.complete,
		Last: summarize(a.last), Delivery: summarize(a.all),
	}
	if len(a.rates) > 0 {
		slices.Sort(a.rates)
		res.DeliveriesPerSec = a.rates[len(a.rates)/2]
	}
	return res
}

// fanoutChsk connects light Sente clients, and a client.Client that sends
// [:chskbench/fanout …] each round.
func fanoutChsk(ctx context.Context, ep endpoints, cfg fanoutConfig) (fanoutPass, error) {
	return fanoutNodes(ctx, []endpoints{ep}, cfg)
}

// fanoutNodes is fanoutChsk over several nodes of one cluster: client i
// connects to node i mod len(nodes), the sender to the first.
func fanoutNodes(ctx context.Context, nodes []endpoints, cfg fanoutConfig) (fanoutPass, error) {
	hcs := make([]*http.Client, len(nodes)) // one cookie jar per node: cookies ignore ports
	tokens := make([]string, len(nodes))
	defer func() {
		for _, hc := range hcs {
			if hc != nil {
				closeHTTPClient(hc)
			}
		}
	}()
	for k, ep := range nodes {
		hcs[k] = newHTTPClient(newSrcDialer(cfg.Src), 16)
		bctx, cancel := context.WithTimeout(ctx, connectTimeout)
		token, err := client.Bootstrap(bctx, ep.page, hcs[k])
		cancel()
		if err != nil {
			return fanoutPass{}, err
		}
		tokens[k] = token
	}
	rec := newFanoutRecorder(cfg.Clients, cfg.Rounds)
	conns, err := dialFanout(ctx, "fanout chsk", cfg.Clients, rec, func(i int) (*http.Client, string) {
		k := i % len(nodes)
		return hcs[k], senteWSURL(nodes[k].chsk, tokens[k])
	}, true)
	defer closeLight(conns)
	if err != nil {
		return fanoutPass{}, err
	}
	dctx, cancel := context.WithTimeout(ctx, connectTimeout)
	sender, err := client.Dial(dctx, nodes[0].chsk, &client.Options{Type: client.TransportWS, CSRFToken: tokens[0], HTTPClient: hcs[0], Logger: quietLogger})
	cancel()
	if err != nil {
		return fanoutPass{}, fmt.Errorf("sender: %w", err)
	}
	defer sender.Close()
	pad := strings.Repeat("x", cfg.Payload)
	send := func(ctx context.Context, round int) error {
		return sender.Send(ctx, wire.Event{ID: evFanout, Data: fanoutData(round, pad)})
	}
	return fanoutRounds(ctx, "fanout chsk", cfg, rec, send)
}

// fanoutRaw is the baseline: raw clients of the raw hub, and one more raw
// client that writes the same push frame a Sente server would.
func fanoutRaw(ctx context.Context, ep endpoints, cfg fanoutConfig) (fanoutPass, error) {
	hc := newHTTPClient(newSrcDialer(cfg.Src), 16)
	defer closeHTTPClient(hc)
	rec := newFanoutRecorder(cfg.Clients, cfg.Rounds)
	conns, err := dialFanout(ctx, "fanout raw", cfg.Clients, rec, func(int) (*http.Client, string) { return hc, ep.rawHub }, false)
	defer closeLight(conns)
	if err != nil {
		return fanoutPass{}, err
	}
	sender, err := dialLight(ctx, hc, ep.rawHub, false, nil)
	if err != nil {
		return fanoutPass{}, fmt.Errorf("sender: %w", err)
	}
	defer sender.close()
	pad := strings.Repeat("x", cfg.Payload)
	send := func(ctx context.Context, round int) error {
		frame, err := wire.EDN{}.Pack(nil, wire.Vector{wire.Event{ID: evPush, Data: fanoutData(round, pad)}}, nil)
		if err != nil {
			return err
		}
		return sender.write(ctx, frame)
	}
	return fanoutRounds(ctx, "fanout raw", cfg, rec, send)
}

// dialFanout connects n light clients that report to rec; target says
// where client i connects, with which HTTP client.
func dialFanout(ctx context.Context, label string, n int, rec *fanoutRecorder, target func(i int) (*http.Client, string), sente bool) ([]*lightConn, error) {
	conns := make([]*lightConn, n)
	var dialed atomic.Int64
	p := startProgress(label, func() string { return fmt.Sprintf("connected %d/%d", dialed.Load(), n) })
	defer p.stop()
	err := dialParallel(ctx, n, 64, &dialed, func(ctx context.Context, i int) error {
		hc, u := target(i)
		c, err := dialLight(ctx, hc, u, sente, func(b []byte) { rec.frame(i, b) })
		conns[i] = c
		return err
	})
	return conns, err
}

// fanoutRounds sends cfg.Rounds rounds, each after the previous one reached
// every client or timed out, and collects the deliveries.
func fanoutRounds(ctx context.Context, label string, cfg fanoutConfig, rec *fanoutRecorder, send func(context.Context, int) error) (fanoutPass, error) {
	var res fanoutPass
	var round atomic.Int64
	p := startProgress(label, func() string {
		r := round.Load()
		return fmt.Sprintf("round %d/%d: %d/%d delivered", r+1, cfg.Rounds, rec.count[min(r, int64(cfg.Rounds-1))].Load(), cfg.Clients)
	})
	defer p.stop()
	var firstErr error
	for r := range cfg.Rounds {
		round.Store(int64(r))
		if err := send(ctx, r); err != nil {
			return res, fmt.Errorf("round %d: send: %w", r, err)
		}
		t := time.NewTimer(cfg.Timeout)
		select {
		case <-rec.done[r]:
			res.complete++
		case <-t.C:
			if firstErr == nil {
				firstErr = fmt.Errorf("round %d reached %d of %d clients in %v", r, rec.count[r].Load(), cfg.Clients, cfg.Timeout)
			}
		case <-ctx.Done():
			t.Stop()
			return res, ctx.Err()
		}
		t.Stop()
		if cfg.Interval > 0 && !sleepCtx(ctx, cfg.Interval) {
			return res, ctx.Err()
		}
	}
	for r := range cfg.Rounds {
		var worst time.Duration
		for i := range cfg.Clients {
			if d := time.Duration(rec.lat[r*cfg.Clients+i].Load()); d > 0 {
				res.all = append(res.all, d)
				worst = max(worst, d)
			}
		}
		res.delivered += rec.count[r].Load()
		if rec.count[r].Load() == int64(cfg.Clients) {
			res.last = append(res.last, worst)
			res.rates = append(res.rates, float64(cfg.Clients)/worst.Seconds())
		}
	}
	return res, firstErr
}
