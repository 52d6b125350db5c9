package chsk

import (
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// New returns a Server configured by opts; nil means every default.
func New(opts *Options) (*Server, error) {
	cfg := newConfig(opts)
	if cfg.LongPollTimeout >= 60*time.Second {
		return nil, errors.New("chsk: LongPollTimeout must be below 60s, the clients' own request timeout")
	}
	s := &Server{}
	if err := s.hub.init(cfg); err != nil {
		return nil, err
	}
	s.reg = registry{h: &s.hub, uids: make(map[string]*uidEntry), notes: make(map[string]*uidNotes)}
	s.park = parker{life: &s.life, log: s.log}
	if cfg.Broker != nil {
		s.unsubscribe = cfg.Broker.Subscribe(func(p Publication) { s.publishLocal(p) })
	}
	return s, nil
}

// ServeHTTP serves GET (WebSocket upgrade, Ajax handshake and long-poll) and
// POST (Ajax events) on one path, and answers other methods with 405.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		s.serveGet(w, r)
	case http.MethodPost:
		s.servePost(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
	}
}

// GetHandler returns the GET half: WebSocket upgrades, Ajax handshakes and
// long-polls (Sente's ajax-get-or-ws-handshake-fn).
func (s *Server) GetHandler() http.Handler { return http.HandlerFunc(s.serveGet) }

// PostHandler returns the POST half: Ajax client events (Sente's ajax-post-fn).
func (s *Server) PostHandler() http.Handler { return http.HandlerFunc(s.servePost) }

// serveGet runs the GET side: client-id, checks, then WebSocket or Ajax.
func (s *Server) serveGet(w http.ResponseWriter, r *http.Request) {
	if !s.life.enter() {
		http.Error(w, "Server shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.life.leave()
	if err := r.ParseForm(); err != nil {
		s.reject(w, r, &Rejection{Kind: RejectRequest, Status: http.StatusBadRequest, Body: "Bad request", Reason: "malformed query: " + err.Error()})
		return
	}
	cid, rej := clientID(r)
	if rej == nil {
		rej = s.check(r)
	}
	if rej != nil {
		s.reject(w, r, rej)
		return
	}
	uid := s.uidFor(r, cid)
	key, err := UIDKey(uid)
	if err != nil {
		s.log.Error("chsk: the UserID function returned a uid that cannot be printed", slog.Any("err", err))
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	if isWebSocket(r) {
		s.serveWebSocket(w, r, uid, key, cid)
		return
	}
	s.serveAjaxGet(w, r, uid, key, cid)
}
