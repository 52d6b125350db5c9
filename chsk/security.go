package chsk

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strings"
)

// SkipCSRFCheck, returned by Options.CSRFToken, accepts a request without
// looking for a token (Sente's :sente/skip-CSRF-check). Use it only when
// something else protects the endpoint, such as Options.Reject.
const SkipCSRFCheck = "\x00gosente/skip-CSRF-check"

// SameOrigin, listed in Options.AllowedOrigins, allows the origin the request
// itself was sent to: its scheme and Host header.
const SameOrigin = "same-origin"

// RejectKind says which check refused a request.
type RejectKind string

// The checks, in the order they run on a GET. POSTs skip the client-id check.
const (
	RejectClientID RejectKind = "client-id" // GET without a client-id (500, as Sente)
	RejectHook     RejectKind = "reject-hook"
	RejectCSRF     RejectKind = "csrf"
	RejectOrigin   RejectKind = "origin"
	RejectLimit    RejectKind = "limit"       // MaxClientsPerUID or MaxMessageBytes passed
	RejectRequest  RejectKind = "bad-request" // a request that cannot be parsed
)

// Rejection is a refused request: the response sent and, for the
// application's logs, why. It is an error.
type Rejection struct {
	Kind   RejectKind
	Status int    // HTTP status sent
	Body   string // response body sent (plain text, no Content-Type, as Sente)
	Reason string // what exactly failed; never contains a token or cookie
}

// Error returns the kind and reason.
func (r *Rejection) Error() string {
	return "chsk: request rejected (" + string(r.Kind) + "): " + r.Reason
}

const clientIDMessage = "Client's Ring request doesn't have a client id. Does your server have the necessary keyword Ring middleware (`wrap-params` & `wrap-keyword-params`)?"

type ctxKey int

const (
	uidKey ctxKey = iota
	csrfKey
)

// WithUID returns a copy of ctx carrying the user id uid. Put it there in
// middleware (after authentication) and the default Options.UserID finds it.
func WithUID(ctx context.Context, uid any) context.Context {
	return context.WithValue(ctx, uidKey, uid)
}

// UIDFromContext returns the uid stored by WithUID, or nil.
func UIDFromContext(ctx context.Context) any { return ctx.Value(uidKey) }

// WithCSRFToken returns a copy of ctx carrying the session's CSRF token. Put
// it there in middleware and the default Options.CSRFToken finds it.
func WithCSRFToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey, token)
}

// CSRFTokenFromContext returns the token stored by WithCSRFToken, or "".
func CSRFTokenFromContext(ctx context.Context) string {
	s, _ := ctx.Value(csrfKey).(string)
	return s
}

// check runs Sente's rejection pipeline: the reject hook, CSRF, then origin.
func (s *Server) check(r *http.Request) *Rejection {
	if s.cfg.Reject != nil {
		if rej := s.cfg.Reject(r); rej != nil {
			if rej.Kind == "" { // a copy: the hook may return one Rejection to many requests
				cp := *rej
				cp.Kind = RejectHook
				rej = &cp
			}
			return rej
		}
	}
	if reason := s.checkCSRF(r); reason != "" {
		return &Rejection{Kind: RejectCSRF, Status: http.StatusForbidden, Body: "Bad CSRF token", Reason: reason}
	}
	if reason := s.checkOrigin(r); reason != "" {
		return &Rejection{Kind: RejectOrigin, Status: http.StatusForbidden, Body: "Unauthorized origin", Reason: reason}
	}
	return nil
}

// checkCSRF returns why the request's CSRF token is not acceptable, or "".
func (s *Server) checkCSRF(r *http.Request) string {
	want := s.cfg.CSRFToken(r)
	if want == SkipCSRFCheck {
		return ""
	}
	if want == "" {
		return "no expected token for this request: the CSRF token function returned \"\" (is the session or token middleware in front of the handler?)"
	}
	got, from := clientCSRFToken(r)
	if got == "" {
		return "the client sent no token (csrf-token parameter, X-CSRF-Token or X-XSRF-Token header)"
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return "the token in the " + from + " does not match the session's token"
	}
	return ""
}

// clientCSRFToken finds the client's token where Sente looks: the csrf-token
// parameter (query or form), then the X-CSRF-Token and X-XSRF-Token headers.
func clientCSRFToken(r *http.Request) (token, from string) {
	if t := param(r, "csrf-token"); t != "" {
		return t, "csrf-token parameter"
	}
	if t := r.Header.Get("X-CSRF-Token"); t != "" {
		return t, "X-CSRF-Token header"
	}
	if t := r.Header.Get("X-XSRF-Token"); t != "" {
		return t, "X-XSRF-Token header"
	}
	return "", ""
}

// checkOrigin applies Sente's allow-origin? rule and returns why it failed, or "".
func (s *Server) checkOrigin(r *http.Request) string {
	allowed := s.cfg.AllowedOrigins
	if allowed == nil {
		return ""
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		for _, a := range allowed {
			if origin == s.expandOrigin(a, r) {
				return ""
			}
		}
		return "origin " + quoteHeader(origin) + " is not allowed"
	}
	if referer := r.Header.Get("Referer"); referer != "" {
		for _, a := range allowed {
			if strings.HasPrefix(referer, s.expandOrigin(a, r)+"/") {
				return ""
			}
		}
		return "no Origin header, and the Referer is not under an allowed origin"
	}
	return "neither Origin nor Referer header"
}

func (s *Server) expandOrigin(a string, r *http.Request) string {
	if a != SameOrigin {
		return a
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func quoteHeader(v string) string {
	if len(v) > 100 {
		v = v[:100] + "…"
	}
	return "\"" + v + "\""
}

// reject writes rej the way Sente does (status, plain body, no Content-Type)
// and reports it.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, rej *Rejection) {
	h := w.Header()
	h.Del("Content-Type")
	h["Content-Type"] = nil // keep net/http from sniffing one
	w.WriteHeader(rej.Status)
	_, _ = w.Write([]byte(rej.Body))
	if s.cfg.OnReject != nil {
		s.cfg.OnReject(r, rej)
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "chsk: request rejected",
		slog.String("kind", string(rej.Kind)), slog.String("reason", rej.Reason),
		slog.String("method", r.Method), slog.String("remote", r.RemoteAddr))
}

// param returns a request parameter from the query or, for form POSTs, the
// body, as Ring's wrap-params merges them. The form must have been parsed
// (ParseForm) for body parameters to be seen.
func param(r *http.Request, name string) string {
	if r.Form != nil {
		return r.Form.Get(name)
	}
	return r.URL.Query().Get(name)
}
