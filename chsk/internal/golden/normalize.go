package golden

import (
	"net/url"
	"regexp"
	"strings"
)

// session is the cookie and CSRF token a client uses, as obtained from GET /.
type session struct {
	// Cookie is the cookie pair sent back, e.g. "ring-session=4d7b…".
	Cookie string
	// Token is the anti-forgery token from the page's data-csrf-token.
	Token string
}

// cookieValue returns the value part of the cookie pair.
func (s session) cookieValue() string {
	_, v, _ := strings.Cut(s.Cookie, "=")
	return v
}

// Placeholders that normalized values use for what varies run to run.
const (
	phSession    = "<session>"     // the scenario's own session cookie value
	phNewSession = "<new-session>" // any other ring-session cookie value
	phToken      = "<csrf-token>"  // the session's CSRF token
	phOtherToken = "<other-token>" // any other token rendered in a page
	phHost       = "<host>"        // 127.0.0.1:PORT of the instance
	phPort       = "<port>"        // the instance's port inside localhost origins
	phUDT        = "<udt>"
	phT          = "<t>"
)

var (
	reRingSession = regexp.MustCompile(`ring-session=([^;,\s"]*)`)
	rePageToken   = regexp.MustCompile(`data-csrf-token="([^"]*)"`)
	reUDT         = regexp.MustCompile(`udt=\d+`)
	reEventT      = regexp.MustCompile(`\{:t -?\d+,`)
)

// minSecretLen guards literal replacement: a cookie or token shorter than
// this is only normalized where its syntax shows it (too likely to occur by
// chance elsewhere).
const minSecretLen = 8

// side describes one side of a comparison (the recording or the live run):
// its session and where its server listened.
type side struct {
	sess session
	host string // "127.0.0.1:9117"
}

func (s side) port() string {
	if i := strings.LastIndexByte(s.host, ':'); i >= 0 {
		return s.host[i+1:]
	}
	return ""
}

// normalizer replaces one side's varying values with placeholders.
type normalizer struct {
	rep *strings.Replacer
}

func newNormalizer(s side) normalizer {
	var pairs []string
	add := func(old, ph string) {
		if len(old) >= minSecretLen {
			pairs = append(pairs, old, ph)
		}
	}
	if tok := s.sess.Token; tok != "" {
		add(url.QueryEscape(tok), phToken)
		add(url.PathEscape(tok), phToken)
		add(tok, phToken)
	}
	add(s.sess.cookieValue(), phSession)
	if s.host != "" {
		pairs = append(pairs, s.host, phHost)
		if p := s.port(); p != "" {
			pairs = append(pairs, "localhost:"+p, "localhost:"+phPort)
		}
	}
	return normalizer{rep: strings.NewReplacer(pairs...)}
}

// apply normalizes v: literal session values first, then syntax-based
// patterns for whatever other cookies, tokens, udt and :t values remain.
func (n normalizer) apply(v string) string {
	v = n.rep.Replace(v)
	v = reRingSession.ReplaceAllStringFunc(v, func(m string) string {
		if strings.HasSuffix(m, "="+phSession) {
			return m
		}
		return "ring-session=" + phNewSession
	})
	v = rePageToken.ReplaceAllStringFunc(v, func(m string) string {
		if m == `data-csrf-token="`+phToken+`"` {
			return m
		}
		return `data-csrf-token="` + phOtherToken + `"`
	})
	v = reUDT.ReplaceAllString(v, "udt="+phUDT)
	v = reEventT.ReplaceAllString(v, "{:t "+phT+",")
	return v
}

// rewriter turns recorded request text into live request text. Targets and
// form bodies are URL-encoded contexts (the token is substituted in its
// escaped form); header values are raw contexts.
type rewriter struct {
	url, header *strings.Replacer
}

func newRewriter(rec, live side) rewriter {
	var common, urlPairs, hdrPairs []string
	add := func(pairs *[]string, old, nw string) {
		if old != "" && old != nw {
			*pairs = append(*pairs, old, nw)
		}
	}
	if rec.sess.Token != "" {
		esc := url.QueryEscape(live.sess.Token)
		add(&urlPairs, url.QueryEscape(rec.sess.Token), esc)
		add(&urlPairs, rec.sess.Token, esc)
		add(&hdrPairs, rec.sess.Token, live.sess.Token)
	}
	add(&common, rec.sess.cookieValue(), live.sess.cookieValue())
	add(&common, rec.host, live.host)
	if rec.port() != "" && live.port() != "" {
		add(&common, "localhost:"+rec.port(), "localhost:"+live.port())
	}
	return rewriter{
		url:    strings.NewReplacer(append(urlPairs, common...)...),
		header: strings.NewReplacer(append(hdrPairs, common...)...),
	}
}

// sessionTokenFromPage extracts the CSRF token rendered by the reference page.
func sessionTokenFromPage(body string) string {
	if m := rePageToken.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// sessionCookieFrom returns the "ring-session=VALUE" pair of a Set-Cookie
// header among hs, or "".
func sessionCookieFrom(hs []Header) string {
	for _, h := range hs {
		if !strings.EqualFold(h.Name, "Set-Cookie") {
			continue
		}
		pair, _, _ := strings.Cut(h.Value, ";")
		if strings.HasPrefix(strings.TrimSpace(pair), "ring-session=") {
			return strings.TrimSpace(pair)
		}
	}
	return ""
}
