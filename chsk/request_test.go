package chsk

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// The lean copy a parked poll keeps gives back the request's header, every
// value in order, and answers FormValue from its URL.
func TestLeanRequest(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/chsk?client-id=abc&udt=1", nil)
	r.Header.Add("X-A", "1")
	r.Header.Add("X-A", "two words")
	r.Header.Set("Cookie", "a=1; b=2")
	r.Header.Set("X-Empty", "")
	_ = r.ParseForm()
	kept := leanRequest(r)
	if kept.r.Header != nil || kept.r.Form != nil {
		t.Errorf("the lean copy keeps a header map %v or a form %v", kept.r.Header, kept.r.Form)
	}
	lean := kept.request()
	if !reflect.DeepEqual(lean.Header, r.Header) {
		t.Errorf("header read back: %q, want %q", lean.Header, r.Header)
	}
	if lean.FormValue("client-id") != "abc" || lean.Method != http.MethodGet || lean.Context() != r.Context() {
		t.Errorf("lean request: client-id %q, method %q", lean.FormValue("client-id"), lean.Method)
	}
	if r.Form.Get("udt") != "1" {
		t.Error("the original request changed")
	}
	if (keptRequest{r: r}).request() != r {
		t.Error("a request kept whole is not given back as it is")
	}
}

// A header the wire form cannot carry as it is (set by middleware) is kept
// as it is.
func TestLeanRequestKeepsAnOddHeader(t *testing.T) {
	for name, set := range map[string]func(http.Header){
		"control byte":      func(h http.Header) { h.Set("X-User", "a\x00b") },
		"spaces around":     func(h http.Header) { h.Set("X-Padded", "  padded  ") },
		"non-canonical key": func(h http.Header) { h["x-lower"] = []string{"1"} },
		"no values":         func(h http.Header) { h["X-None"] = []string{} },
		"no header at all":  func(h http.Header) { clear(h) },
	} {
		r := httptest.NewRequest(http.MethodGet, "/chsk?client-id=abc", nil)
		r.Header.Set("Cookie", "a=1")
		set(r.Header)
		got := leanRequest(r).request()
		if !reflect.DeepEqual(got.Header, r.Header) {
			t.Errorf("%s: header given back %q, want %q", name, got.Header, r.Header)
		}
	}
}

// wireLen says a header reads back the same only when it does, and gives
// its length in wire form.
func FuzzWireLen(f *testing.F) {
	for _, kv := range [][2]string{
		{"Cookie", "a=1; b=2"}, {"X-Empty", ""}, {"x-lower", "1"}, {"X-Tab", "a\tb"},
		{"X-Padded", " a "}, {"X-Ctl", "a\x00b"}, {"X-Line", "a\r\nB: c"}, {"X-Utf8", "ünï"},
		{"X Space", "1"}, {"", "1"}, {"X-Del", "a\x7f"}, {"Ünï", "1"},
	} {
		f.Add(kv[0], kv[1], "second")
	}
	f.Fuzz(func(t *testing.T, k, v, v2 string) {
		h := http.Header{k: {v, v2}, "Sec-Websocket-Key": {"dGhlIHNhbXBsZSBub25jZQ=="}}
		n, ok := wireLen(h)
		var b strings.Builder
		_ = h.Write(&b)
		back, err := readHeader(b.String() + "\r\n")
		same := err == nil && reflect.DeepEqual(back, h)
		if ok && !same {
			t.Fatalf("wireLen says %q reads back the same; it reads %q (err %v)", h, back, err)
		}
		if ok && n != b.Len() {
			t.Fatalf("wireLen %d, wire form %d bytes", n, b.Len())
		}
	})
}

// A request's URL is dropped from the lean copy only when its
// request-target gives it back the same.
func TestLeanRequestURL(t *testing.T) {
	strip := func(r *http.Request) { r.URL.Path = strings.TrimPrefix(r.URL.Path, "/app") }
	for _, c := range []struct {
		target  string
		change  func(*http.Request)
		dropped bool
	}{
		{"/chsk?client-id=abc&udt=1", nil, true},
		{"/chsk", nil, true},
		{"/chsk?", nil, true},
		{"/chsk??", nil, true},
		{"*", nil, true},
		{"/p#f", nil, false},
		{"/a%20b/chsk?x=1", nil, false}, // escaped: the target is not the path
		{"/app/chsk?x=1", strip, false}, // http.StripPrefix
		{"http://example.com/chsk?x=1", nil, false},
	} {
		r := httptest.NewRequest(http.MethodGet, c.target, nil)
		if c.change != nil {
			c.change(r)
		}
		kept := leanRequest(r)
		if dropped := kept.r.URL == nil; dropped != c.dropped {
			t.Errorf("%s: URL dropped %v, want %v", c.target, dropped, c.dropped)
		}
		if got := kept.request().URL; *got != *r.URL {
			t.Errorf("%s: URL given back %#v, want %#v", c.target, got, r.URL)
		}
	}
}
