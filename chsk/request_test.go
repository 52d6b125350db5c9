package chsk

import (
	"net/http"
	"net/http/httptest"
	"reflect"
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
