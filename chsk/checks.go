package chsk

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// The checks every request goes through: the Reject hook, Sente's CSRF
// token, the origin, the client-id; and refusals written as Sente writes
// them.

const clientIDMessage = "Client's Ring request doesn't have a client id. Does your server have the necessary keyword Ring middleware (`wrap-params` & `wrap-keyword-params`)?"

// check runs Sente's rejection pipeline: the reject hook, CSRF, then origin.
func (h *hub) check(r *http.Request) *Rejection {
	if h.cfg.Reject != nil {
		if rej := h.cfg.Reject(r); rej != nil {
			if rej.Kind == "" { // a copy: the hook may return one Rejection to many requests
				cp := *rej
				cp.Kind = RejectHook
				rej = &cp
			}
			return rej
		}
	}
	if reason := h.checkCSRF(r); reason != "" {
		return &Rejection{Kind: RejectCSRF, Status: http.StatusForbidden, Body: "Bad CSRF token", Reason: reason}
	}
	if reason := h.checkOrigin(r); reason != "" {
		return &Rejection{Kind: RejectOrigin, Status: http.StatusForbidden, Body: "Unauthorized origin", Reason: reason}
	}
	return nil
}

// checkCSRF returns why the request's CSRF token is not acceptable, or "".
func (h *hub) checkCSRF(r *http.Request) string {
	want := h.cfg.CSRFToken(r)
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
func (h *hub) checkOrigin(r *http.Request) string {
	allowed := h.cfg.AllowedOrigins
	if allowed == nil {
		return ""
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		for _, a := range allowed {
			if origin == h.expandOrigin(a, r) {
				return ""
			}
		}
		return "origin " + quoteHeader(origin) + " is not allowed"
	}
	if referer := r.Header.Get("Referer"); referer != "" {
		for _, a := range allowed {
			if strings.HasPrefix(referer, h.expandOrigin(a, r)+"/") {
				return ""
			}
		}
		return "no Origin header, and the Referer is not under an allowed origin"
	}
	return "neither Origin nor Referer header"
}

func (h *hub) expandOrigin(a string, r *http.Request) string {
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
func (h *hub) reject(w http.ResponseWriter, r *http.Request, rej *Rejection) {
	hdr := w.Header()
	hdr.Del("Content-Type")
	hdr["Content-Type"] = nil // keep net/http from sniffing one
	w.WriteHeader(rej.Status)
	_, _ = w.Write([]byte(rej.Body))
	h.stats.rejected(rej.Kind)
	if h.cfg.OnReject != nil {
		h.cfg.OnReject(r, rej)
		return
	}
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "chsk: request rejected",
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

// maxClientIDLen bounds client-ids; Sente's are 36-character UUIDs.
const maxClientIDLen = 256

// clientID returns the request's client-id, or why it is unusable.
func clientID(r *http.Request) (string, *Rejection) {
	cid := param(r, "client-id")
	if rej := checkClientIDLen(cid); rej != nil {
		return "", rej
	}
	if strings.TrimSpace(cid) == "" {
		return "", &Rejection{Kind: RejectClientID, Status: http.StatusInternalServerError,
			Body: clientIDMessage, Reason: "the request has no client-id parameter"}
	}
	return cid, nil
}

// checkClientIDLen refuses client-ids longer than maxClientIDLen.
func checkClientIDLen(cid string) *Rejection {
	if len(cid) <= maxClientIDLen {
		return nil
	}
	return &Rejection{Kind: RejectClientID, Status: http.StatusBadRequest,
		Body: "Bad client id", Reason: fmt.Sprintf("client-id is %d bytes long (at most %d)", len(cid), maxClientIDLen)}
}
