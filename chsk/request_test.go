package chsk

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// compact keeps every value, in order, and its slices do not share room:
// appending to one key's values never changes another's.
func TestCompact(t *testing.T) {
	h := http.Header{"A": {"1", "", "22"}, "B": {}, "D": {""}, "E": {"xyz"}}
	out := compact(h)
	if !reflect.DeepEqual(out, h) {
		t.Fatalf("compact = %q, want %q", out, h)
	}
	out["A"] = append(out["A"], "new")
	out["B"] = append(out["B"], "b")
	if out["E"][0] != "xyz" || out["A"][2] != "22" || out["D"][0] != "" {
		t.Errorf("an append changed a neighbour: %q", out)
	}
	if compact(http.Header(nil)) != nil {
		t.Error("compact(nil) is not nil")
	}
}

// The lean copy a parked poll keeps answers FormValue from its URL.
func TestLeanRequest(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/chsk?client-id=abc&udt=1", nil)
	r.Header.Add("X-A", "1")
	_ = r.ParseForm()
	lean := leanRequest(r)
	if lean.Form != nil || lean.FormValue("client-id") != "abc" || lean.Header.Get("X-A") != "1" {
		t.Errorf("lean request: form %v, client-id %q, X-A %q", lean.Form, lean.FormValue("client-id"), lean.Header.Get("X-A"))
	}
	if r.Form.Get("udt") != "1" {
		t.Error("the original request changed")
	}
}
