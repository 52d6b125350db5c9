package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/gosente/gosente/chsk/client"
	"github.com/gosente/gosente/chsk/wire"
)

// clusterReport is what `chskbench cluster` measured: a broadcast to every
// client of one node without an engine, the same broadcast with the
// clients spread over several node processes on one engine, and Send from
// one node to a client of another at a fixed rate.
type clusterReport struct {
	Machine machine   `json:"machine"`
	Command []string  `json:"command"`
	Started time.Time `json:"started"`
	Engine  string    `json:"engine"` // redis or nats
	Nodes   int       `json:"nodes"`

	Single  fanoutResult `json:"single_node"` // one node, no engine
	Cluster fanoutResult `json:"cluster"`     // Nodes nodes on the engine
	// Cluster over single: time until the last client, and deliveries/s.
	LastP50Ratio, LastP99Ratio, DeliveriesRatio float64

	Send   sendResult `json:"cross_node_send"`
	Errors []string   `json:"errors,omitempty"`
}

// sendResult is the cross-node Send load: one client on the first node
// asks for pushes to one client on the last node, at a fixed rate.
type sendResult struct {
	Rate     int       `json:"rate_per_s"`
	Sent     int64     `json:"sent"`
	Received int64     `json:"received"`
	Latency  latencies `json:"latency"`
}

// cmdCluster runs the cluster load: node processes of `chskbench serve` on
// a Redis or NATS engine that it starts itself (redis-server from PATH, an
// in-process nats-server with JetStream), against one node without one.
func cmdCluster(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	engine := fs.String("engine", "nats", "the engine: nats or redis")
	nodes := fs.Int("nodes", 3, "node processes on the engine")
	jsonPath := fs.String("json", "", "write the results as JSON to this file")
	var cfg fanoutConfig
	fs.IntVar(&cfg.Clients, "clients", 900, "WebSocket clients in all (spread over the nodes; all on one node for the single-node run)")
	fs.IntVar(&cfg.Rounds, "rounds", 10, "broadcasts")
	fs.IntVar(&cfg.Payload, "payload", 100, "bytes of padding in the pushed event")
	fs.IntVar(&cfg.Src, "src", defaultSrc(), "spread client sockets over source addresses 127.0.0.1…127.0.0.N")
	fs.DurationVar(&cfg.Interval, "interval", 100*time.Millisecond, "pause between rounds")
	fs.DurationVar(&cfg.Timeout, "round-timeout", 30*time.Second, "how long one round may take")
	rate := fs.Int("send-rate", 200, "cross-node Sends per second")
	sendFor := fs.Duration("send-duration", 5*time.Second, "how long the cross-node Sends go on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *nodes < 2 {
		return errors.New("cluster needs at least 2 nodes")
	}
	rep := &clusterReport{
		Machine: machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU(),
			GoVersion: runtime.Version(), CPUModel: cpuModel(), NoFile: noFile()},
		Command: os.Args, Started: time.Now().UTC(), Engine: *engine, Nodes: *nodes,
	}
	var errs []error
	note := func(phase string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", phase, err))
			rep.Errors = append(rep.Errors, phase+": "+err.Error())
		}
	}
	url, stopEngine, err := startEngine(*engine)
	if err != nil {
		return err
	}
	defer stopEngine()

	// One node, no engine: every client on it.
	single, err := startChild(ctx, "")
	if err != nil {
		return err
	}
	ep, err := newEndpoints(single.url+"/chsk", "")
	if err == nil {
		var p fanoutPass
		p, err = fanoutChsk(ctx, ep, cfg)
		rep.Single = p.result("single-node", cfg)
	}
	note("single node", err)
	note("single node server", single.stop())

	// The cluster: nodes on the engine, the clients spread over them.
	var eps []endpoints
	var children []*child
	stopNodes := func() {
		for _, c := range children {
			note("node", c.stop()) // stop is idempotent
		}
	}
	defer stopNodes() // on an early return
	for range *nodes {
		c, err := startChild(ctx, "", "-"+*engine, url)
		if err != nil {
			return err
		}
		children = append(children, c)
		ep, err := newEndpoints(c.url+"/chsk", "")
		if err != nil {
			return err
		}
		eps = append(eps, ep)
	}
	p, err := fanoutNodes(ctx, eps, cfg)
	rep.Cluster = p.result(fmt.Sprintf("%d-nodes-%s", *nodes, *engine), cfg)
	note("cluster", err)
	rep.LastP50Ratio = ratio(rep.Cluster.Last.P50, rep.Single.Last.P50)
	rep.LastP99Ratio = ratio(rep.Cluster.Last.P99, rep.Single.Last.P99)
	rep.DeliveriesRatio = ratio(rep.Cluster.DeliveriesPerSec, rep.Single.DeliveriesPerSec)

	rep.Send, err = crossNodeSend(ctx, eps[0], eps[len(eps)-1], *rate, *sendFor)
	note("cross-node send", err)
	stopNodes() // before the report: a node that fails to stop is in it

	printCluster(stdout, rep)
	if *jsonPath != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// printCluster writes the report's lines.
func printCluster(w io.Writer, r *clusterReport) {
	line := func(f fanoutResult) {
		fmt.Fprintf(w, "cluster %-16s clients %d  rounds %d/%d  last p50 %8.2f ms  p99 %8.2f ms  %10.0f deliveries/s\n",
			f.Target, f.Clients, f.Complete, f.Rounds, f.Last.P50, f.Last.P99, f.DeliveriesPerSec)
	}
	line(r.Single)
	line(r.Cluster)
	fmt.Fprintf(w, "  ratio cluster/single: last p50 %.2f×, last p99 %.2f×, deliveries/s %.2f×\n", r.LastP50Ratio, r.LastP99Ratio, r.DeliveriesRatio)
	fmt.Fprintf(w, "cluster cross-node Send at %d/s: %d sent, %d received, p50 %.2f ms, p99 %.2f ms\n",
		r.Send.Rate, r.Send.Sent, r.Send.Received, r.Send.Latency.P50, r.Send.Latency.P99)
}

// crossNodeSend connects a receiver to node to and a sender to node from;
// the sender asks its node, rate times a second for d, to Send a push to the
// receiver's user, which only node to has: each push crosses the engine.
func crossNodeSend(ctx context.Context, from, to endpoints, rate int, d time.Duration) (sendResult, error) {
	res := sendResult{Rate: rate}
	var mu sync.Mutex
	var lats []time.Duration
	got := make(chan struct{}, 1)
	recv, closeRecv, err := dialBench(ctx, to, func(ev wire.Event) {
		m, ok := ev.Data.(*wire.Map)
		if ev.ID != evPush || !ok {
			return
		}
		t, _ := m.Get(wire.Keyword("t"))
		if ts, ok := t.(int64); ok {
			mu.Lock()
			lats = append(lats, time.Duration(time.Now().UnixNano()-ts))
			mu.Unlock()
			select {
			case got <- struct{}{}:
			default:
			}
		}
	})
	defer closeRecv()
	if err != nil {
		return res, fmt.Errorf("receiver: %w", err)
	}
	sender, closeSender, err := dialBench(ctx, from, nil)
	defer closeSender()
	if err != nil {
		return res, fmt.Errorf("sender: %w", err)
	}
	tick := time.NewTicker(time.Second / time.Duration(max(rate, 1)))
	defer tick.Stop()
	end := time.After(d)
loop:
	for {
		select {
		case <-tick.C:
			ev := wire.Event{ID: evSend, Data: wire.NewMap(wire.Keyword("to"), recv.ClientID(), wire.Keyword("t"), time.Now().UnixNano())}
			if err := sender.Send(ctx, ev); err != nil {
				return res, err
			}
			res.Sent++
		case <-end:
			break loop
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	// The last pushes are on their way: wait until a second passes without one.
	for quiet := false; !quiet; {
		select {
		case <-got:
		case <-time.After(time.Second):
			quiet = true
		}
	}
	mu.Lock()
	defer mu.Unlock()
	res.Received = int64(len(lats))
	res.Latency = summarize(lats)
	if res.Received < res.Sent {
		return res, fmt.Errorf("%d of %d pushes arrived", res.Received, res.Sent)
	}
	return res, nil
}

// dialBench bootstraps a session on ep's node and connects a client to it.
func dialBench(ctx context.Context, ep endpoints, onEvent func(wire.Event)) (*client.Client, func(), error) {
	hc := newHTTPClient(newSrcDialer(1), 4)
	closeAll := func() { closeHTTPClient(hc) }
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	token, err := client.Bootstrap(cctx, ep.page, hc)
	if err != nil {
		return nil, closeAll, err
	}
	c, err := client.Dial(cctx, ep.chsk, &client.Options{Type: client.TransportWS, CSRFToken: token, HTTPClient: hc,
		Logger: quietLogger, OnEvent: onEvent})
	if err != nil {
		return nil, closeAll, err
	}
	return c, func() { _ = c.Close(); closeHTTPClient(hc) }, nil
}

// startEngine starts the engine the nodes share, on a loopback port, and
// returns its URL and what stops it.
func startEngine(name string) (url string, stop func(), err error) {
	switch name {
	case "nats":
		dir, err := os.MkdirTemp("", "chskbench-nats-")
		if err != nil {
			return "", nil, err
		}
		ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
		if err != nil {
			return "", nil, err
		}
		go ns.Start()
		if !ns.ReadyForConnections(10 * time.Second) {
			ns.Shutdown()
			return "", nil, errors.New("nats-server did not start")
		}
		return ns.ClientURL(), func() { ns.Shutdown(); ns.WaitForShutdown(); _ = os.RemoveAll(dir) }, nil
	case "redis":
		path, err := exec.LookPath("redis-server")
		if err != nil {
			return "", nil, fmt.Errorf("redis-server is not installed (apt-get install redis-server): %w", err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		cmd := exec.Command(path, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
		cmd.SysProcAttr = childProcAttr()
		out, err := cmd.StdoutPipe()
		if err != nil {
			return "", nil, err
		}
		if err := cmd.Start(); err != nil {
			return "", nil, err
		}
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "Ready to accept connections") {
					close(ready)
					break
				}
			}
			_, _ = io.Copy(io.Discard, out)
		}()
		stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
		select {
		case <-ready:
			return fmt.Sprintf("redis://127.0.0.1:%d/0", port), stop, nil
		case <-time.After(10 * time.Second):
			stop()
			return "", nil, errors.New("redis-server did not start")
		}
	}
	return "", nil, fmt.Errorf("unknown engine %q: nats or redis", name)
}
