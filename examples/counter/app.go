package main

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/wire"
	sentejs "github.com/gosente/gosente/js"
)

// The page's script. The Sente client and its EDN codec come from package
// js, served under /sente/.
//
//go:embed static/*.js
var staticFiles embed.FS

// The events this app speaks.
const (
	evCommtest wire.Keyword = "components/commtest" // client → server, with reply: {:msg "…"}
	evInc      wire.Keyword = "counter/inc"         // client → server, with reply: the new count
	evCount    wire.Keyword = "counter/count"       // server → every tab of a session: the count
	evTick     wire.Keyword = "counter/tick"        // server → everybody, every TickEvery
)

// config is the example's settings; main fills it from flags.
type config struct {
	Addr            string
	Origins         []string // origins allowed on /chsk; empty means the page's own origin
	SecureCookies   bool     // Secure session cookies over plain HTTP too (behind a TLS proxy)
	TLSCert, TLSKey string   // serve HTTPS with these files
	TickEvery       time.Duration
	LongPollTimeout time.Duration
	ParkAfter       time.Duration // chsk.Options.ParkAfter; 0: its default (tests shorten it)
	SessionTTL      time.Duration // idle time after which a session is gone
	MaxSessions     int
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	RedisURL        string // sessions in Redis (-redis)
	NATSURL         string // sessions in NATS JetStream KV (-nats)
	MetricsAddr     string // serve Prometheus metrics on /metrics of this address (-metrics-addr)
	Packer          string // Sente packer on /chsk: "edn" (default), "transit", "msgpack" (-packer)
	Gzip            bool   // wrap the packer in Sente's gzip packer (-gzip)

	metricsLn net.Listener // where -metrics-addr listens (main opens it; tests may set it)

	sessionKV kv            // where sessions live; nil: in this process's memory (SessionTTL, MaxSessions)
	broker    chsk.Broker   // pushes to the clients of every node; nil: this node's
	presence  chsk.Presence // connected uids of every node; nil: this node's
}

// defaultConfig returns the settings `go run ./examples/counter` uses.
func defaultConfig() config {
	return config{
		Addr:            ":8080",
		TickEvery:       5 * time.Second,
		LongPollTimeout: 20 * time.Second,
		SessionTTL:      24 * time.Hour,
		MaxSessions:     10000,
		ShutdownTimeout: 10 * time.Second,
	}
}

// initialCount is where a new session's count starts, as in the tutorial.
const initialCount = 10

// app is the example: the page, its script, the Sente client and endpoint.
type app struct {
	cfg      config
	log      *slog.Logger
	sessions *sessionStore
	chsk     *chsk.Server
	static   fs.FS

	stopTick context.CancelFunc
	tickDone chan struct{}
}

// newApp builds the app; start begins its ticks and shutdown ends everything.
func newApp(cfg config) (*app, error) {
	if cfg.TickEvery <= 0 || cfg.SessionTTL <= 0 || cfg.MaxSessions <= 0 {
		return nil, errors.New("counter: TickEvery, SessionTTL and MaxSessions must be positive")
	}
	if cfg.LongPollTimeout <= 0 {
		cfg.LongPollTimeout = 20 * time.Second
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	var sessionKV kv = newMemKV(cfg.SessionTTL, cfg.MaxSessions)
	if cfg.sessionKV != nil {
		sessionKV = cfg.sessionKV
	}
	a := &app{
		cfg:      cfg,
		log:      log,
		sessions: newSessionStore("counter_session", sessionKV, cfg.SecureCookies, initialCount),
		static:   static,
	}
	origins := cfg.Origins
	if len(origins) == 0 {
		origins = []string{chsk.SameOrigin}
	}
	router := chsk.NewRouter()
	router.HandleFunc(evCommtest, a.commtest)
	router.HandleFunc(evInc, a.inc)
	packer, err := newPacker(cfg.Packer, cfg.Gzip)
	if err != nil {
		return nil, err
	}
	a.chsk, err = chsk.New(&chsk.Options{
		Handler: router,
		Packer:  packer,
		// UserID and CSRFToken stay nil: gosente then reads the uid and the
		// token that withChskSession put in the request's context.
		AllowedOrigins:   origins,
		HandshakeData:    a.handshakeData,
		LongPollTimeout:  cfg.LongPollTimeout,
		ParkAfter:        cfg.ParkAfter,
		MaxClientsPerUID: 32,       // tabs per session
		MaxMessageBytes:  64 << 10, // this app's events are tiny
		Logger:           log,
		Broker:           cfg.broker,
		Presence:         cfg.presence,
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// handler returns the app's routes, behind headers every response gets.
func (a *app) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", a.servePage)
	mux.Handle("GET /static/", http.StripPrefix("/static/", a.staticHandler()))
	mux.Handle("GET /sente/", http.StripPrefix("/sente/", sentejs.Handler()))
	mux.Handle("/chsk", a.withChskSession(a.chsk)) // GET and POST; gosente answers others with 405
	return securityHeaders(mux)
}

// securityHeaders sets what every response should carry. Referrer-Policy
// same-origin keeps the Referer on same-origin requests: browsers send no
// Origin header on same-origin GETs, so gosente judges Ajax polls by their
// Referer (a policy of no-referrer would get them refused).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// staticHandler serves the embedded scripts, without directory listings.
func (a *app) staticHandler() http.Handler {
	files := http.FileServerFS(a.static)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}

// withChskSession puts the request's session, its uid and its CSRF token
// where gosente's default UserID and CSRFToken functions look. It never
// creates a session: a request without one has no expected token, and
// gosente refuses it (403 Bad CSRF token).
func (a *app) withChskSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := a.sessions.Lookup(r)
		if err != nil {
			a.log.Error("counter: cannot read the session", slog.Any("err", err))
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			return
		}
		if s != nil {
			ctx := withSession(r.Context(), s)
			ctx = chsk.WithUID(ctx, s.uid)
			ctx = chsk.WithCSRFToken(ctx, s.csrf)
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// servePage renders the page. A new session starts at initialCount; every
// further load of the page counts one up and tells the session's other tabs.
// It is also where the browser client gets a fresh token after the server
// forgot its session: the page's fetch starts a new session.
func (a *app) servePage(w http.ResponseWriter, r *http.Request) {
	s, created, err := a.sessions.GetOrCreate(w, r)
	if err != nil {
		a.log.Error("counter: cannot create a session", slog.Any("err", err))
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	var n int64
	// A visit counts, but not the browser client's own fetch of the page for a
	// fresh CSRF token (sente.js sends X-Sente-Csrf-Refresh: 1 with it).
	if !created && r.Method == http.MethodGet && r.Header.Get("X-Sente-Csrf-Refresh") == "" {
		n, err = s.Inc(r.Context(), a.pushCount(s))
	} else {
		n, err = s.Count(r.Context())
	}
	if err != nil {
		a.log.Error("counter: cannot count", slog.Any("err", err))
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	state, err := encodeState(appState{Name: "Clojure", Count: n})
	if err == nil {
		var nonce string
		if nonce, err = randomToken(16); err == nil {
			err = renderPage(w, pageData{
				Title: "gosente counter", Name: "Clojure", Count: n,
				CSRFToken: s.csrf, State: state, Nonce: nonce, Packer: a.packerName(),
			})
		}
	}
	if err != nil {
		a.log.Error("counter: cannot render the page", slog.Any("err", err))
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
	}
}

// pushCount returns the function Inc calls with the new count: it pushes
// [:counter/count n] to every tab of the session. Inc calls it under the
// session's lock, so tabs receive counts in the order they were counted.
func (a *app) pushCount(s *session) func(int64) {
	return func(n int64) {
		if err := a.chsk.Send(s.uid, wire.Event{ID: evCount, Data: n}); err != nil && !errors.Is(err, chsk.ErrShutdown) {
			a.log.Warn("counter: push failed", slog.Any("err", err))
		}
	}
}

// commtestReply is the answer to [:components/commtest {:msg "…"}].
type commtestReply struct {
	Reply     string `edn:"reply"`
	Transport string `edn:"transport"` // "ws" or "ajax": how the event came
}

// commtest answers the page's Send Message button.
func (a *app) commtest(m *chsk.Message) {
	var in struct {
		Msg string `edn:"msg"`
	}
	if err := m.Decode(&in); err != nil {
		_ = m.Reply(wire.NewMap(wire.Keyword("error"), "expected {:msg \"…\"}"))
		return
	}
	_ = m.Reply(commtestReply{Reply: in.Msg + " (from Go)", Transport: m.Transport.String()})
}

// inc counts one up for the session that sent [:counter/inc], replies with
// the new count and pushes it to the session's other tabs.
func (a *app) inc(m *chsk.Message) {
	s := sessionFrom(m.Request.Context())
	if s == nil {
		return // unreachable: without a session gosente refused the request
	}
	n, err := s.Inc(m.Request.Context(), a.pushCount(s))
	if err != nil {
		a.log.Warn("counter: cannot count", slog.Any("err", err))
		_ = m.Reply(wire.NewMap(wire.Keyword("error"), "cannot count"))
		return
	}
	_ = m.Reply(wire.NewMap(wire.Keyword("count"), n)) // ErrNoReply when the client wants none
}

// handshakeData tells every (re)connecting client its session's count, so a
// tab that was offline catches up.
func (a *app) handshakeData(r *http.Request) any {
	s := sessionFrom(r.Context())
	if s == nil {
		return nil
	}
	n, err := s.Count(r.Context())
	if err != nil {
		return nil
	}
	return wire.NewMap(wire.Keyword("count"), n)
}

// tickData is the data of [:counter/tick …].
type tickData struct {
	Time  time.Time `edn:"time"`
	Users int       `edn:"users"` // sessions with a tab connected
}

// start begins the tick pushes.
func (a *app) start() {
	ctx, cancel := context.WithCancel(context.Background())
	a.stopTick, a.tickDone = cancel, make(chan struct{})
	go func() {
		defer close(a.tickDone)
		t := time.NewTicker(a.cfg.TickEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				ev := wire.Event{ID: evTick, Data: tickData{
					Time: now.UTC().Truncate(time.Millisecond), Users: a.users(ctx),
				}}
				if err := a.chsk.Broadcast(ev); err != nil && !errors.Is(err, chsk.ErrShutdown) {
					a.log.Warn("counter: tick push failed", slog.Any("err", err))
				}
			}
		}
	}()
}

// users is the number of sessions with a tab connected to any node; when
// the cluster's presence cannot tell, this node's own.
func (a *app) users(ctx context.Context) int {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.TickEvery/2)
	defer cancel()
	c, err := a.chsk.ConnectedAll(ctx)
	if err != nil {
		a.log.Warn("counter: cluster presence unavailable, counting this node's users", slog.Any("err", err))
		c = a.chsk.Connected()
	}
	return len(c.Any)
}

// shutdown stops the ticks and the Sente server: parked polls are answered,
// sockets dropped (clients reconnect to the restarted server).
func (a *app) shutdown(ctx context.Context) error {
	if a.stopTick != nil {
		a.stopTick()
		select {
		case <-a.tickDone:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return a.chsk.Shutdown(ctx)
}
