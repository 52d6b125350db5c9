package wire

import (
	"strings"
	"testing"
)

// TestHandshakeFrames rebuilds every handshake frame of frames-edn.jsonl from
// its parsed Handshake: the 2-slot shape for writers before 1.21, 3 slots for
// 1.21+.
func TestHandshakeFrames(t *testing.T) {
	n := 0
	for _, row := range loadJSONL[frameRow](t, "frames-edn.jsonl") {
		if !strings.HasPrefix(row.ID, "handshake-") {
			continue
		}
		n++
		t.Run(row.ID, func(t *testing.T) {
			env, err := Unpack([]byte(row.Wire), nil)
			if err != nil {
				t.Fatal(err)
			}
			h, ok := ParseHandshake(env.Payload)
			if !ok {
				t.Fatalf("ParseHandshake(%#v) = false", env.Payload)
			}
			if h.UID == nil {
				t.Errorf("no uid in %#v", env.Payload)
			}
			f := formatOf(t, row.Writer)
			got, err := AppendEnvelope(nil, f, h.Event(f == Format121), nil)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != row.Wire {
				t.Errorf("got %q, want %q", got, row.Wire)
			}
		})
	}
	if n == 0 {
		t.Fatal("no handshake rows")
	}
}

func TestHandshakeEvent(t *testing.T) {
	data := NewMap(Keyword("plan"), Keyword("free"))
	tests := []struct {
		h          Handshake
		threeSlots bool
		want       string
	}{
		{Handshake{UID: "alice"}, false, `[:chsk/handshake ["alice" nil]]`},
		{Handshake{UID: "alice"}, true, `[:chsk/handshake ["alice" nil nil]]`},
		{Handshake{UID: "alice", Data: data}, false, `[:chsk/handshake ["alice" nil {:plan :free}]]`},
		{Handshake{UID: "alice", Data: data}, true, `[:chsk/handshake ["alice" nil {:plan :free}]]`},
		{Handshake{UID: NilUID117}, false, `[:chsk/handshake [:taoensso.sente/nil-uid nil]]`},
		{Handshake{UID: NilUID}, true, `[:chsk/handshake [:sente/nil-uid nil nil]]`},
	}
	for _, tt := range tests {
		got, err := Marshal(tt.h.Event(tt.threeSlots))
		if err != nil || string(got) != tt.want {
			t.Errorf("%#v.Event(%v) prints %q, %v; want %q", tt.h, tt.threeSlots, got, err, tt.want)
		}
		back, ok := ParseHandshake(tt.h.Event(tt.threeSlots))
		if !ok || !Equal(back.UID, tt.h.UID) || !Equal(back.Data, tt.h.Data) {
			t.Errorf("ParseHandshake(Event) = %#v, %v; want %#v", back, ok, tt.h)
		}
	}
}

func TestParseHandshake(t *testing.T) {
	hs := Keyword("chsk/handshake")
	tests := []struct {
		name string
		in   any
		want Handshake
		ok   bool
	}{
		{"two slots", Vector{hs, Vector{"u", nil}}, Handshake{UID: "u"}, true},
		{"three slots", Vector{hs, Vector{"u", nil, int64(3)}}, Handshake{UID: "u", Data: int64(3)}, true},
		{"four slots, as clients show it", Vector{hs, Vector{"u", nil, int64(3), true}}, Handshake{UID: "u", Data: int64(3)}, true},
		{"list slots", Vector{hs, List{"u"}}, Handshake{UID: "u"}, true},
		{"nil slots", Vector{hs, nil}, Handshake{}, true},
		{"no slots", Vector{hs}, Handshake{}, true},
		{"go slice", []any{hs, []any{"u", nil}}, Handshake{UID: "u"}, true},
		{"map slots", Vector{hs, NewMap()}, Handshake{}, false},
		{"string slots", Vector{hs, "u"}, Handshake{}, false},
		{"list payload", List{hs, Vector{"u", nil}}, Handshake{}, false},
		{"other event", Vector{Keyword("chsk/state"), Vector{"u"}}, Handshake{}, false},
		{"push batch", Vector{Vector{hs, Vector{"u"}}}, Handshake{}, false},
		{"empty", Vector{}, Handshake{}, false},
		{"keyword", EvWsPing, Handshake{}, false},
		{"nil", nil, Handshake{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseHandshake(tt.in)
			if ok != tt.ok || !Equal(got.UID, tt.want.UID) || !Equal(got.Data, tt.want.Data) {
				t.Errorf("ParseHandshake(%#v) = %#v, %v; want %#v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
