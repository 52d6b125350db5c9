package chsk

import (
	"bufio"
	"net/http"
	"net/textproto"
	"strings"
)

// keptRequest is the latest request of a client, as its tab keeps it for
// Message.Request of :chsk/uidport-close: the request itself, or, once its
// poll was taken over, a lean copy (leanRequest) whose header waits in wire
// form.
type keptRequest struct {
	r    *http.Request
	head string // r's header as http.Header.Write wrote it, when r has none
}

// request returns the kept request, its header read again if need be.
func (k keptRequest) request() *http.Request {
	if k.r == nil || k.head == "" {
		return k.r
	}
	h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(k.head + "\r\n"))).ReadMIMEHeader()
	r := new(http.Request)
	*r = *k.r
	r.Header = http.Header(h)
	if err != nil { // cannot happen: http.Header.Write wrote it
		r.Header = http.Header{}
	}
	return r
}

// leanRequest is what the client of a taken-over poll keeps of its
// request: a copy without the parsed form, which FormValue parses again
// from the URL when asked, and with the header in wire form, one string.
// A parked poll then holds about 1.5 KiB less; made after ParkAfter, away
// from the garbage the request was parsed among, it also pins fewer memory
// spans.
func leanRequest(r *http.Request) keptRequest {
	lean := new(http.Request)
	*lean = *r
	lean.Form, lean.PostForm, lean.MultipartForm = nil, nil, nil
	var b strings.Builder
	_ = r.Header.Write(&b)
	lean.Header = nil
	if b.Len() == 0 {
		lean.Header = http.Header{}
	}
	return keptRequest{r: lean, head: b.String()}
}
