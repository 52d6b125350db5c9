// Command chskbench is gosente's load tool: how many messages, how many
// connections, how much memory, each figure next to a baseline measured in
// the same run on the same machine.
//
//	chskbench serve  [-addr 127.0.0.1:8080] [-cpuprofile f] [-packer edn] [-redis URL | -nats URL]
//	chskbench echo   [-url http://127.0.0.1:8080/chsk] [-transport ws|ajax] [-clients 50] [-duration 10s] [-payload 100] [-packer edn]
//	chskbench fanout [-url …] [-clients 10000] [-rounds 20]
//	chskbench idle   [-url …] [-steps 1000,10000,20000] [-polls 1000]
//	chskbench all    [-json chskbench.json]
//	chskbench cluster [-engine nats|redis] [-nodes 3] [-clients 900] [-rounds 10] [-send-rate 200]
//	chskbench plot   -json chskbench.json [-out DIR]
//
// serve runs a gosente server with the bench events ([:chskbench/echo x]
// replies x; [:chskbench/fanout m] broadcasts [:chskbench/push m]), a page
// with the CSRF token at /, the raw coder/websocket baselines at /raw/echo
// and /raw/hub, and /debug/mem. The load subcommands work against any
// Sente server that implements the two events; the baselines and the
// server's memory need serve's server. all runs serve as a child process
// and every load against it. With -json, the results go to that file and
// SVG charts beside it (latency by percentile for echo and fan-out, server
// memory per connection against connections); plot renders those charts
// again from a JSON file. cluster starts an engine (an in-process
// nats-server, or redis-server from PATH) and node processes of serve on it,
// and compares a broadcast on one node with the same on the cluster, then
// measures Send from one node to a client of another.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage(os.Stderr)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	lim, err := raiseNoFile()
	fmt.Fprintf(os.Stderr, "chskbench %s: RLIMIT_NOFILE %d", os.Args[1], lim)
	if err != nil {
		fmt.Fprintf(os.Stderr, " (raising it: %v)", err)
	}
	fmt.Fprintln(os.Stderr)
	err = run(ctx, os.Args[1], os.Args[2:], os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "chskbench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: chskbench serve|echo|fanout|idle|all|cluster|plot [flags]   (chskbench CMD -h for the flags)")
}

// run runs one subcommand.
func run(ctx context.Context, cmd string, args []string, stdout io.Writer) error {
	switch cmd {
	case "serve":
		return cmdServe(ctx, args, stdout)
	case "echo", "fanout", "idle":
		return cmdLoad(ctx, cmd, args, stdout)
	case "all":
		return cmdAll(ctx, args, stdout)
	case "cluster":
		return cmdCluster(ctx, args, stdout)
	case "plot":
		return cmdPlot(args, stdout)
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	}
	usage(os.Stderr)
	return fmt.Errorf("unknown subcommand %q", cmd)
}

// defaultSrc is the number of source addresses: 127.0.0.0/8 is all
// loopback on Linux only.
func defaultSrc() int {
	if runtime.GOOS == "linux" {
		return 8
	}
	return 1
}

// loadFlags are the flags every load subcommand has.
type loadFlags struct {
	url, page, baseline, json string
	cpuprofile                string
	src                       int
	echo                      echoConfig
	fanout                    fanoutConfig
	idle                      idleConfig
	steps                     string
}

func (lf *loadFlags) register(fs *flag.FlagSet, cmd string) {
	fs.StringVar(&lf.url, "url", "http://127.0.0.1:8080/chsk", "the Sente endpoint")
	fs.StringVar(&lf.page, "page", "", "the page to bootstrap the CSRF token and cookies from (default: the server root)")
	fs.StringVar(&lf.baseline, "baseline", "auto", "run the raw baseline: on, off, or auto (on when the server is chskbench serve)")
	fs.StringVar(&lf.json, "json", "", "write the results as JSON to this file")
	fs.IntVar(&lf.src, "src", defaultSrc(), "spread client sockets over source addresses 127.0.0.1…127.0.0.N")
	fs.StringVar(&lf.cpuprofile, "cpuprofile", "", "write a CPU profile of this process (the clients) to this file")
	switch cmd {
	case "echo":
		fs.IntVar(&lf.echo.Clients, "clients", 50, "concurrent clients")
		fs.StringVar(&lf.echo.Transport, "transport", "ws", "ws or ajax")
		fs.DurationVar(&lf.echo.Duration, "duration", 10*time.Second, "how long to run")
		fs.IntVar(&lf.echo.Payload, "payload", 100, "bytes of the echoed string")
		fs.StringVar(&lf.echo.Packer, "packer", "edn", "the clients' Sente packer ("+packerNames+"); start chskbench serve with the same")
	case "fanout":
		lf.fanoutFlags(fs, "")
	case "idle":
		lf.idleFlags(fs, "")
	}
}

func (lf *loadFlags) fanoutFlags(fs *flag.FlagSet, prefix string) {
	fs.IntVar(&lf.fanout.Clients, prefix+"clients", 10000, "receiving WebSocket clients")
	fs.IntVar(&lf.fanout.Rounds, prefix+"rounds", 20, "broadcasts")
	fs.IntVar(&lf.fanout.Payload, prefix+"payload", 100, "bytes of padding in the pushed event")
	fs.DurationVar(&lf.fanout.Interval, prefix+"interval", 100*time.Millisecond, "pause between rounds")
	fs.DurationVar(&lf.fanout.Timeout, prefix+"round-timeout", 30*time.Second, "how long one round may take")
}

func (lf *loadFlags) idleFlags(fs *flag.FlagSet, prefix string) {
	fs.StringVar(&lf.steps, prefix+"steps", "1000,10000,20000", "idle WebSocket counts to measure at")
	fs.IntVar(&lf.idle.Polls, prefix+"polls", 1000, "parked Ajax long-polls to measure (0: none)")
	fs.DurationVar(&lf.idle.Quiet, prefix+"quiet", 3*time.Second, "wait after each step's last connection before reading the memory (gosente parks quiet sockets after 1s)")
	fs.DurationVar(&lf.idle.Grace, prefix+"grace", 6*time.Second, "wait between series on one server, for gosente to forget the clients that left")
}

// finish checks the flags that need checking and derives the endpoints.
func (lf *loadFlags) finish() (endpoints, error) {
	lf.echo.Src, lf.fanout.Src, lf.idle.Src = lf.src, lf.src, lf.src
	if lf.steps != "" {
		steps, err := parseSteps(lf.steps)
		if err != nil {
			return endpoints{}, err
		}
		lf.idle.Steps = steps
	}
	switch {
	case lf.echo.Transport != "" && lf.echo.Transport != "ws" && lf.echo.Transport != "ajax":
		return endpoints{}, fmt.Errorf("-transport %q: want ws or ajax", lf.echo.Transport)
	case lf.echo.Clients < 0 || lf.fanout.Clients < 0 || lf.fanout.Rounds < 0 || lf.idle.Polls < 0:
		return endpoints{}, errors.New("counts must not be negative")
	case lf.echo.Payload < 0 || lf.fanout.Payload < 0 || lf.echo.Payload > 1<<19 || lf.fanout.Payload > 1<<19:
		return endpoints{}, errors.New("-payload must be between 0 and 512 KiB")
	case lf.baseline != "auto" && lf.baseline != "on" && lf.baseline != "off":
		return endpoints{}, fmt.Errorf("-baseline %q: want auto, on or off", lf.baseline)
	}
	return newEndpoints(lf.url, lf.page)
}

// parseSteps reads "1000,10000,20000".
func parseSteps(s string) ([]int, error) {
	var steps []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-steps %q: want positive counts separated by commas", s)
		}
		steps = append(steps, n)
	}
	return steps, nil
}

// wantBaseline resolves -baseline: auto means whether the server answers
// /debug/mem like chskbench serve.
func wantBaseline(ctx context.Context, mode string, ep endpoints) bool {
	switch mode {
	case "on":
		return true
	case "off":
		return false
	}
	hc := newHTTPClient(newSrcDialer(1), 1)
	defer closeHTTPClient(hc)
	_, err := fetchMem(ctx, hc, ep.mem)
	return err == nil
}

// cmdLoad runs echo, fanout or idle.
func cmdLoad(ctx context.Context, cmd string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var lf loadFlags
	lf.register(fs, cmd)
	if err := fs.Parse(args); err != nil {
		return err
	}
	ep, err := lf.finish()
	if err != nil {
		return err
	}
	if lf.cpuprofile != "" {
		stop, err := startCPUProfile(lf.cpuprofile)
		if err != nil {
			return err
		}
		defer stop()
	}
	rep := newReport(ep.chsk)
	baseline := wantBaseline(ctx, lf.baseline, ep)
	switch cmd {
	case "echo":
		e, rerr := runEcho(ctx, ep, lf.echo, baseline)
		if lf.echo.Transport == "ajax" {
			rep.EchoAjax = &e
		} else {
			rep.EchoWS = &e
		}
		err = rerr
	case "fanout":
		f, rerr := runFanout(ctx, ep, lf.fanout, baseline)
		rep.Fanout, err = &f, rerr
	case "idle":
		i, rerr := runIdle(ctx, lf.idle, baseline, sameServer(ep))
		rep.Idle, err = &i, rerr
	}
	if err != nil {
		rep.Errors = append(rep.Errors, err.Error())
	}
	return finishReport(rep, lf.json, stdout, err)
}

// finishReport prints the summary, writes the JSON file, and returns the
// run's error.
func finishReport(rep *report, jsonPath string, stdout io.Writer, err error) error {
	rep.Seconds = time.Since(rep.Started).Seconds()
	rep.printSummary(stdout)
	if jsonPath != "" {
		if werr := rep.writeJSON(jsonPath); werr != nil {
			return errors.Join(err, werr)
		}
		fmt.Fprintf(os.Stderr, "chskbench: results written to %s\n", jsonPath)
		files, werr := writeChartsBeside(rep, jsonPath)
		if werr != nil {
			return errors.Join(err, werr)
		}
		fmt.Fprintf(os.Stderr, "chskbench: charts written: %s\n", strings.Join(files, " "))
	}
	return err
}
