package chsk

import (
	"bufio"
	"net/http"
	"net/textproto"
	"reflect"
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
	r := new(http.Request)
	*r = *k.r
	r.Header, _ = readHeader(k.head) // leanRequest made sure it reads back
	return r
}

// readHeader reads a header in wire form, as http.Header.Write wrote it.
func readHeader(head string) (http.Header, error) {
	h, err := textproto.NewReader(bufio.NewReader(strings.NewReader(head + "\r\n"))).ReadMIMEHeader()
	return http.Header(h), err
}

// leanRequest is what the client of a taken-over poll keeps of its
// request: a copy without the parsed form, which FormValue parses again
// from the URL when asked, and with the header in wire form, one string,
// when it reads back the same (a header set by middleware may not: a key
// not in canonical form, a value with spaces around it or a control byte;
// such a header is kept as it is). A parked poll then holds about 1.5 KiB
// less; made after ParkAfter, away from the garbage the request was parsed
// among, the copy also pins fewer memory spans.
func leanRequest(r *http.Request) keptRequest {
	lean := new(http.Request)
	*lean = *r
	lean.Form, lean.PostForm, lean.MultipartForm = nil, nil, nil
	var b strings.Builder
	_ = r.Header.Write(&b)
	head := b.String()
	if back, err := readHeader(head); head == "" || err != nil || !reflect.DeepEqual(back, r.Header) {
		return keptRequest{r: lean}
	}
	lean.Header = nil
	return keptRequest{r: lean, head: head}
}
