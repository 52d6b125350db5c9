// Command counter is gosente's example app: a server-rendered page whose
// live part talks Sente's protocol on /chsk, to the dependency-free browser
// client of package js (served under /sente/) or to a ClojureScript app using Sente's own client.
//
//	go run ./examples/counter            # http://localhost:8080
//	go run ./examples/counter -addr :9000
//	go run ./examples/counter -addr :8081 -redis redis://localhost:6379/0   # sessions in Redis
//	go run ./examples/counter -addr :8082 -nats nats://localhost:4222       # sessions in NATS KV
//	go run ./examples/counter -metrics-addr 127.0.0.1:9090                  # Prometheus metrics on /metrics
//	go run ./examples/counter -packer msgpack -gzip                         # for a Sente front end with gzip-msgpack
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	cfg := defaultConfig()
	var origins string
	flag.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
	flag.StringVar(&origins, "origins", "", "comma-separated origins (scheme://host[:port]) allowed on /chsk; default: the page's own origin")
	flag.BoolVar(&cfg.SecureCookies, "secure-cookie", false, "mark the session cookie Secure over plain HTTP too (behind a TLS-terminating proxy)")
	flag.StringVar(&cfg.TLSCert, "tls-cert", "", "serve HTTPS with this certificate file (needs -tls-key)")
	flag.StringVar(&cfg.TLSKey, "tls-key", "", "the private key file of -tls-cert")
	flag.DurationVar(&cfg.TickEvery, "tick", cfg.TickEvery, "interval of the server's tick push")
	flag.StringVar(&cfg.RedisURL, "redis", "", "keep sessions in Redis at this URL (redis://HOST:PORT/DB), shared by the nodes using it")
	flag.StringVar(&cfg.NATSURL, "nats", "", "keep sessions in a JetStream KV bucket of the NATS server at this URL (nats://HOST:PORT), shared by the nodes using it")
	flag.StringVar(&cfg.Packer, "packer", "edn", "Sente packer on /chsk: edn, transit or msgpack (this page's browser client speaks edn only; the others are for Sente ClojureScript front ends)")
	flag.BoolVar(&cfg.Gzip, "gzip", false, "wrap the packer in Sente's gzip packer (-packer msgpack -gzip is Sente's gzip-msgpack, -packer edn -gzip its gzip-edn)")
	flag.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics on http://ADDR/metrics, a listener apart from the app's (e.g. 127.0.0.1:9090)")
	flag.Parse()
	if origins != "" {
		for o := range strings.SplitSeq(origins, ",") {
			cfg.Origins = append(cfg.Origins, strings.TrimSpace(o))
		}
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		cfg.Logger.Error("counter: -tls-cert and -tls-key go together")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		cfg.Logger.Error("counter: cannot listen", slog.Any("err", err))
		os.Exit(1)
	}
	if cfg.MetricsAddr != "" {
		if cfg.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			cfg.Logger.Error("counter: cannot listen for metrics", slog.Any("err", err))
			os.Exit(1)
		}
		cfg.Logger.Info("counter: metrics", slog.String("url", "http://"+cfg.metricsLn.Addr().String()+"/metrics"))
	}
	cfg.Logger.Info("counter: serving", slog.String("url", pageURL(ln.Addr(), cfg.TLSCert != "")))
	if err := run(ctx, cfg, ln); err != nil {
		cfg.Logger.Error("counter: stopped", slog.Any("err", err))
		os.Exit(1)
	}
	cfg.Logger.Info("counter: shut down")
}

// run builds the app, on the engine the config names if any, and serves it
// on ln until ctx ends.
func run(ctx context.Context, cfg config, ln net.Listener) error {
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	eng, err := openEngine(octx, cfg.RedisURL, cfg.NATSURL, cfg.SessionTTL)
	cancel()
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("counter: cannot reach the engine: %w", err)
	}
	if eng != nil {
		defer eng.close()
		cfg.sessionKV, cfg.broker, cfg.presence = eng.sessions, eng.broker, eng.presence
	}
	a, err := newApp(cfg)
	if err != nil {
		_ = ln.Close()
		return err
	}
	return serve(ctx, a, ln)
}

// serve serves a on ln until ctx ends, then shuts it down gracefully: the
// listener closes, in-flight requests finish, parked long-polls are answered
// and WebSockets dropped, within the configured ShutdownTimeout.
func serve(ctx context.Context, a *app, ln net.Listener) error {
	cfg := a.cfg
	srv := newHTTPServer(a.handler(), cfg)
	a.start()

	var msrv *http.Server
	if cfg.metricsLn != nil {
		msrv = &http.Server{Handler: metricsHandler(a), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = msrv.Serve(cfg.metricsLn) }()
	}
	served := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			served <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
			return
		}
		served <- srv.Serve(ln)
	}()
	var serveErr error
	select {
	case serveErr = <-served:
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// http.Server.Shutdown closes the listener at once but waits for active
	// requests, parked long-polls among them, which only the Sente server's
	// Shutdown answers; it also drops the WebSockets, which net/http no
	// longer tracks once upgraded. So both run together.
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Shutdown(sctx) }()
	appErr := a.shutdown(sctx)
	httpErr := <-httpDone
	if msrv != nil {
		_ = msrv.Close()
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return errors.Join(appErr, httpErr)
}

// newHTTPServer returns the http.Server for h, with timeouts that bound slow
// clients yet let Sente's long-polls live.
//
// An Ajax long-poll, and an Ajax POST waiting for its handler's reply, last
// up to LongPollTimeout. WriteTimeout must outlast that, and so must
// ReadTimeout: net/http keeps the request's read deadline while the handler
// runs and cancels the request's context when it passes, which would cut the
// poll short. WebSockets are not bound by either: net/http clears the
// deadlines of a hijacked connection, and gosente's keep-alive pings and
// write timeout take over.
func newHTTPServer(h http.Handler, cfg config) *http.Server {
	lp := cfg.LongPollTimeout
	errLog := cfg.Logger
	if errLog == nil {
		errLog = slog.Default()
	}
	return &http.Server{
		Addr:              cfg.Addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       lp + lp/2,
		WriteTimeout:      lp + lp/2,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(errLog.Handler(), slog.LevelWarn),
	}
}

// pageURL is the address to open in a browser for a server listening on addr.
func pageURL(addr net.Addr, tls bool) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return scheme + "://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return fmt.Sprintf("%s://%s/", scheme, net.JoinHostPort(host, port))
}
