package wire

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want Event
		ok   bool
	}{
		{"id only", Vector{Keyword("a/b")}, Event{ID: "a/b"}, true},
		{"id and data", Vector{Keyword("a/b"), int64(1)}, Event{ID: "a/b", Data: int64(1)}, true},
		{"id and nil", Vector{Keyword("a/b"), nil}, Event{ID: "a/b"}, true},
		{"dotted namespace", Vector{Keyword("my.app/save"), "x"}, Event{ID: "my.app/save", Data: "x"}, true},
		{"chsk id", Vector{EvWsPing}, Event{ID: EvWsPing}, true},
		{"go slice", []any{Keyword("a/b"), true}, Event{ID: "a/b", Data: true}, true},
		{"event value", Event{ID: "a/b", Data: 2}, Event{ID: "a/b", Data: 2}, true},
		{"event value without namespace", Event{ID: "b"}, Event{}, false},
		{"list", List{Keyword("a/b"), int64(1)}, Event{}, false},
		{"three elements", Vector{Keyword("a/b"), int64(1), int64(2)}, Event{}, false},
		{"empty vector", Vector{}, Event{}, false},
		{"unnamespaced", Vector{Keyword("save"), int64(1)}, Event{}, false},
		{"string id", Vector{"my-app/save", int64(1)}, Event{}, false},
		{"symbol id", Vector{Symbol("my-app/save")}, Event{}, false},
		{"slash keyword", Vector{Keyword("/")}, Event{}, false},
		{"nil", nil, Event{}, false},
		{"string", "my-app/save", Event{}, false},
		{"keyword", Keyword("my-app/save"), Event{}, false},
		{"map", NewMap(Keyword("id"), int64(7)), Event{}, false},
		{"nested vector", Vector{Vector{Keyword("a/b")}}, Event{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEvent(tt.in)
			if tt.ok {
				if err != nil || got.ID != tt.want.ID || !Equal(got.Data, tt.want.Data) {
					t.Errorf("ParseEvent(%#v) = %#v, %v; want %#v", tt.in, got, err, tt.want)
				}
			} else if !errors.Is(err, ErrBadEvent) || got != (Event{}) {
				t.Errorf("ParseEvent(%#v) = %#v, %v; want ErrBadEvent", tt.in, got, err)
			}
			ev := AsEvent(tt.in)
			switch {
			case tt.ok && (ev.ID != tt.want.ID || !Equal(ev.Data, tt.want.Data)):
				t.Errorf("AsEvent = %#v, want %#v", ev, tt.want)
			case !tt.ok && (ev.ID != EvBadEvent || !reflect.DeepEqual(ev.Data, tt.in)):
				t.Errorf("AsEvent = %#v, want [:chsk/bad-event %#v]", ev, tt.in)
			}
		})
	}
}

func TestBadEventAndPackagePrint(t *testing.T) {
	for _, c := range []struct {
		ev   Event
		want string
	}{
		{BadEvent(Vector{Keyword("save"), int64(1)}), `[:chsk/bad-event [:save 1]]`},
		{BadEvent(EvBadPackage), `[:chsk/bad-event :chsk/bad-package]`},
		{BadPackage(`[[:my-app/save "abc] nil]`), `[:chsk/bad-package "[[:my-app/save \"abc] nil]"]`},
	} {
		got, err := Marshal(c.ev)
		if err != nil || string(got) != c.want {
			t.Errorf("Marshal(%#v) = %q, %v; want %q", c.ev, got, err, c.want)
		}
	}
}

func TestReservedKeywords(t *testing.T) {
	for _, k := range []Keyword{EvHandshake, EvWsPing, EvWsPong, EvUidportOpen, EvUidportClose,
		EvBadEvent, EvBadPackage, EvState, EvRecv, EvClose, KwTimeout, KwDummyCB200, KwClosed, KwError} {
		if k.Namespace() != "chsk" {
			t.Errorf("%v is not in the chsk namespace", k)
		}
	}
	for k, want := range map[Keyword]string{
		NilUID117:          ":taoensso.sente/nil-uid",
		NilUID:             ":sente/nil-uid",
		AllUsersWithoutUID: ":sente/all-users-without-uid",
		AjaxCB:             ":ajax",
		EvWsPing:           ":chsk/ws-ping",
		KwDummyCB200:       ":chsk/dummy-cb-200",
	} {
		if k.String() != want {
			t.Errorf("%q prints as %q, want %q", string(k), k.String(), want)
		}
	}
}

func TestParseBatch(t *testing.T) {
	tick := func(n int64) Vector { return Vector{Keyword("my-app/tick"), n} }
	tests := []struct {
		name    string
		in      any
		want    []Event
		badElem bool
	}{
		{name: "three", in: Vector{tick(1), tick(2), Vector{Keyword("my-app/refresh")}},
			want: []Event{{"my-app/tick", int64(1)}, {"my-app/tick", int64(2)}, {ID: "my-app/refresh"}}},
		{name: "empty", in: Vector{}, want: []Event{}},
		{name: "go slice", in: []any{tick(3)}, want: []Event{{"my-app/tick", int64(3)}}},
		{name: "nil", in: nil},
		{name: "list", in: List{tick(1)}},
		{name: "keyword", in: KwTimeout},
		{name: "single event, not wrapped", in: tick(1), badElem: true},
		{name: "bad element", in: Vector{tick(1), Vector{Keyword("tick")}}, badElem: true},
		{name: "list element", in: Vector{List{Keyword("a/b")}}, badElem: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBatch(tt.in)
			if tt.want == nil {
				if !errors.Is(err, ErrBadBatch) || got != nil {
					t.Fatalf("ParseBatch = %#v, %v; want ErrBadBatch", got, err)
				}
				if errors.Is(err, ErrBadEvent) != tt.badElem {
					t.Errorf("errors.Is(%v, ErrBadEvent) = %v, want %v", err, !tt.badElem, tt.badElem)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("ParseBatch = %#v, %v; want %#v", got, err, tt.want)
			}
			for i := range got {
				if got[i].ID != tt.want[i].ID || !Equal(got[i].Data, tt.want[i].Data) {
					t.Errorf("event %d = %#v, want %#v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// eventMatches compares an Event with the EDN vector a test vector expects:
// [id] or [id data], where a nil data slot is the same as none.
func eventMatches(ev Event, want any) bool {
	w, ok := want.(Vector)
	if !ok || len(w) < 1 || len(w) > 2 || w[0] != any(ev.ID) {
		return false
	}
	var data any
	if len(w) == 2 {
		data = w[1]
	}
	return Equal(ev.Data, data)
}

// TestServerEventVectors checks ServerEvent against the server_event of every
// unpack-edn row: BadPackage117 against 1.17, BadPackageDrop against 1.21+,
// and the recommended BadPackageEvent against 1.18–1.20 except for that
// family's quirk with "-" (it wraps [:chsk/bad-package text] as a bad event)
// and for frames that read as non-envelopes, which it reports as bad
// packages where the real servers throw.
func TestServerEventVectors(t *testing.T) {
	modes := []struct {
		name string
		mode BadPackageMode
		want func(unpackRow) readResult
	}{
		{"117", BadPackage117, func(r unpackRow) readResult { return r.Read117 }},
		{"drop", BadPackageDrop, func(r unpackRow) readResult { return r.Read121 }},
		{"event", BadPackageEvent, func(r unpackRow) readResult { return r.Read118 }},
	}
	for _, row := range loadJSONL[unpackRow](t, "unpack-edn.jsonl") {
		for _, m := range modes {
			t.Run(row.ID+"/"+m.name, func(t *testing.T) {
				want := m.want(row)
				ev, cb, ok, err := ServerEvent([]byte(row.Wire), m.mode, nil)
				if want.Error != nil {
					if m.mode == BadPackageEvent {
						checkRecommendedBadPackage(t, row.Wire, ev, cb, ok, err)
						return
					}
					if ok || err == nil {
						t.Errorf("ServerEvent = %#v, %#v, %v, %v; want nothing delivered (%s)", ev, cb, ok, err, *want.Error)
					}
					return
				}
				wantEv := mustRead(t, *want.ServerEvent)
				wantCb, hasCB := wantCB(readCB(t, want.CB)), want.HasCB
				if m.mode == BadPackageEvent {
					if w, isVec := wantEv.(Vector); isVec && len(w) == 2 && w[0] == any(EvBadEvent) {
						if inner, isVec := w[1].(Vector); isVec && len(inner) == 2 && inner[1] == nil {
							if bp, isVec := inner[0].(Vector); isVec && len(bp) == 2 && bp[0] == any(EvBadPackage) {
								wantEv = bp // the 1.18–1.20 quirk with "-"
							}
						}
					}
				}
				if !ok || !eventMatches(ev, wantEv) {
					t.Errorf("ServerEvent(%q) = %#v, ok %v; want %#v", row.Wire, ev, ok, wantEv)
				}
				if !Equal(cb, wantCb) || truthy(cb) != hasCB {
					t.Errorf("cb = %#v, want %#v (has cb %v)", cb, wantCb, hasCB)
				}
				isBadPackage := ev.ID == EvBadPackage || ev.Data == any(EvBadPackage)
				var bp *BadPackageError
				if isBadPackage != errors.As(err, &bp) || (err != nil && bp == nil) {
					t.Errorf("err = %v for event %#v", err, ev)
				}
			})
		}
	}
}

// checkRecommendedBadPackage checks that the recommended mode reports a frame
// as [:chsk/bad-package text] without a callback.
func checkRecommendedBadPackage(t *testing.T, wire string, ev Event, cb any, ok bool, err error) {
	t.Helper()
	text := wire
	if text != "" && (text[0] == '+' || text[0] == '-') {
		text = text[1:]
	}
	var bp *BadPackageError
	if !ok || ev.ID != EvBadPackage || ev.Data != any(text) || cb != nil || !errors.As(err, &bp) {
		t.Errorf("ServerEvent(%q) = %#v, %#v, %v, %v; want [:chsk/bad-package %q], no cb, a *BadPackageError",
			wire, ev, cb, ok, err, text)
	}
}

func TestServerEvent(t *testing.T) {
	type result struct {
		ev  any // the expected event as EDN, or "" when nothing is delivered
		cb  any
		err bool // a *BadPackageError is reported
	}
	tests := []struct {
		in                 string
		event, v117, vDrop result
	}{
		{
			in:    `[[:a/b 1] "cb"]`,
			event: result{ev: `[:a/b 1]`, cb: "cb"}, v117: result{ev: `[:a/b 1]`, cb: "cb"}, vDrop: result{ev: `[:a/b 1]`, cb: "cb"},
		},
		{
			in:    `"ab"`,
			event: result{ev: `[:chsk/bad-package "\"ab\""]`, err: true},
			v117:  result{ev: `[:chsk/bad-event \a]`, cb: Char('b'), err: true},
			vDrop: result{ev: `[:chsk/bad-event \a]`, cb: Char('b'), err: true},
		},
		{
			in:    `+"é"`,
			event: result{ev: `[:chsk/bad-package "\"é\""]`, err: true},
			v117:  result{ev: `[:chsk/bad-event \é]`, err: true},
			vDrop: result{ev: "", err: true},
		},
		{
			in:    `-"ab"`,
			event: result{ev: `[:chsk/bad-event "ab"]`}, v117: result{ev: `[:chsk/bad-event "ab"]`},
			vDrop: result{ev: "", err: true},
		},
		{
			in:    `""`,
			event: result{ev: `[:chsk/bad-package "\"\""]`, err: true},
			v117:  result{ev: `[:chsk/bad-event nil]`, err: true},
			vDrop: result{ev: `[:chsk/bad-event nil]`, err: true},
		},
		{
			in:    "  ",
			event: result{ev: `[:chsk/bad-package "  "]`, err: true},
			v117:  result{ev: `[:chsk/bad-event :chsk/bad-package]`, cb: "  ", err: true},
			vDrop: result{ev: "", err: true},
		},
		{
			in:    "-",
			event: result{ev: `[:chsk/bad-event nil]`}, v117: result{ev: `[:chsk/bad-event nil]`},
			vDrop: result{ev: "", err: true},
		},
		{
			in:    "\x92\x92\xc7",
			event: result{ev: `[:chsk/bad-package "\uFFFD"]`, err: true},
			v117:  result{ev: `[:chsk/bad-event :chsk/bad-package]`, cb: "\uFFFD", err: true},
			vDrop: result{ev: "", err: true},
		},
		{
			in:    `[[:chsk/ws-ping] 0]`,
			event: result{ev: `[:chsk/ws-ping]`, cb: AjaxCB}, v117: result{ev: `[:chsk/ws-ping]`, cb: AjaxCB},
			vDrop: result{ev: `[:chsk/ws-ping]`, cb: AjaxCB},
		},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			mode BadPackageMode
			want result
		}{{BadPackageEvent, tt.event}, {BadPackage117, tt.v117}, {BadPackageDrop, tt.vDrop}} {
			ev, cb, ok, err := ServerEvent([]byte(tt.in), c.mode, nil)
			var bp *BadPackageError
			if errors.As(err, &bp) != c.want.err || (err != nil && bp == nil) {
				t.Errorf("mode %d, %q: err = %v, want a BadPackageError: %v", c.mode, tt.in, err, c.want.err)
			}
			if c.want.ev == "" {
				if ok {
					t.Errorf("mode %d, %q: delivered %#v, want nothing", c.mode, tt.in, ev)
				}
				continue
			}
			want := mustRead(t, c.want.ev.(string))
			if !ok || !eventMatches(ev, want) || !Equal(cb, c.want.cb) {
				t.Errorf("mode %d, %q: got %#v cb %#v ok %v, want %v cb %#v", c.mode, tt.in, ev, cb, ok, c.want.ev, c.want.cb)
			}
		}
	}
}
