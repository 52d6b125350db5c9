package chsk

import (
	"bufio"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
)

// keptRequest is a request as a client keeps it between uses: the request
// itself, or a lean copy (leanRequest) whose header waits in wire form and
// whose form is parsed again when it is used. A tab keeps its client's
// latest request this way for Message.Request of :chsk/uidport-close, and a
// socket waiting in the poller keeps its upgrade request this way until its
// next message.
type keptRequest struct {
	r    *http.Request
	head string // r's header as http.Header.Write wrote it and an empty line, when r has none
	form bool   // r's form was parsed, and dropped: request parses it again
	uri  bool   // r's URL, dropped, is what r.RequestURI says: request makes it again
}

// request returns the kept request: a new copy with its header read again
// and its form parsed again, if it is kept lean. The form is parsed here,
// not on the first FormValue, so that handlers on several goroutines may
// read it.
func (k keptRequest) request() *http.Request {
	if k.r == nil || k.head == "" && !k.form && !k.uri {
		return k.r
	}
	r := new(http.Request)
	*r = *k.r
	if k.uri {
		u := uriURL(r.RequestURI)
		r.URL = &u
	}
	if k.head != "" {
		r.Header, _ = readHeader(k.head) // leanRequest made sure it reads back
	}
	if k.form {
		_ = r.ParseForm() // as it was parsed before: from the URL of a GET
	}
	return r
}

// readHeader reads a header in wire form, as http.Header.Write wrote it,
// and the empty line after it.
func readHeader(head string) (http.Header, error) {
	br := bufio.NewReaderSize(strings.NewReader(head), len(head))
	h, err := textproto.NewReader(br).ReadMIMEHeader()
	return http.Header(h), err
}

// uriURL is the URL net/http reads from a request-target of the usual
// form, a path without escapes and a query (url.ParseRequestURI), made
// without parsing: leanRequest keeps a URL only if it is not this.
func uriURL(requestURI string) url.URL {
	path, query, found := strings.Cut(requestURI, "?")
	return url.URL{Path: path, RawQuery: query, ForceQuery: found && query == ""}
}

// wireLen returns the length of h in wire form (http.Header.Write), and
// whether it reads back the same (readHeader): every key a token in
// canonical form with at least one value, and no value with a control byte
// or spaces around it. It allocates nothing, as the connections it checks
// come in bursts.
func wireLen(h http.Header) (n int, ok bool) {
	for k, vs := range h {
		if len(vs) == 0 || k == "" || textproto.CanonicalMIMEHeaderKey(k) != k {
			return 0, false
		}
		for i := 0; i < len(k); i++ {
			if !isTokenByte(k[i]) {
				return 0, false
			}
		}
		for _, v := range vs {
			if v != "" && (v[0] == ' ' || v[len(v)-1] == ' ') {
				return 0, false
			}
			for i := 0; i < len(v); i++ {
				if v[i] < ' ' || v[i] == 0x7f {
					return 0, false
				}
			}
			n += len(k) + len(": ") + len(v) + len("\r\n")
		}
	}
	return n, true
}

// isTokenByte reports whether c may be in a header field name (RFC 9110
// tchar).
func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// leanRequest is what a client keeps of r while it waits (a taken-over
// poll, a parked socket): a shallow copy (the context and a ServeMux
// pattern's path values are shared) without the parsed form, without the
// URL when the request-target says it all (uriURL), and with the
// header in wire form, one string, when it reads back the same (a header
// set by middleware may not: a key not in canonical form, a value with
// spaces around it or a control byte; such a header is kept as it is). A
// waiting client then holds about 1 KiB less.
func leanRequest(r *http.Request) keptRequest {
	lean := new(http.Request)
	*lean = *r
	k := keptRequest{r: lean, form: r.Form != nil}
	lean.Form, lean.PostForm, lean.MultipartForm = nil, nil, nil
	if r.URL != nil && *r.URL == uriURL(r.RequestURI) {
		lean.URL, k.uri = nil, true
	}
	n, ok := wireLen(r.Header)
	if n == 0 || !ok {
		return k
	}
	var b strings.Builder
	b.Grow(n + len("\r\n")) // one allocation, without spare room
	_ = r.Header.Write(&b)
	b.WriteString("\r\n")
	lean.Header = nil
	k.head = b.String()
	return k
}
