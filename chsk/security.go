package chsk

import (
	"context"
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
