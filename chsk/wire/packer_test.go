package wire

import (
	"errors"
	"strings"
	"testing"
)

var _ Packer = EDN{}

func TestEDNPacker(t *testing.T) {
	ev := Event{ID: "my-app/save", Data: NewMap(Keyword("id"), 7)}
	for _, tt := range []struct {
		p    Packer
		cb   any
		want string
	}{
		{EDN{}, nil, `[[:my-app/save {:id 7}] nil]`},
		{&EDN{}, "4f2a1b", `[[:my-app/save {:id 7}] "4f2a1b"]`},
		{EDN{Format: Format118}, nil, `[[:my-app/save {:id 7}]]`},
		{EDN{Format: Format117}, "4f2a1b", `+[[:my-app/save {:id 7}] "4f2a1b"]`},
		{EDN{Format: Format116}, nil, `-[:my-app/save {:id 7}]`},
	} {
		got, err := tt.p.Pack([]byte("x"), ev, tt.cb)
		if err != nil || string(got) != "x"+tt.want {
			t.Errorf("%#v.Pack = %q, %v; want %q", tt.p, got, err, "x"+tt.want)
		}
		if tt.p.Binary() {
			t.Errorf("%#v.Binary() = true", tt.p)
		}
		// Every EDN packer reads every format.
		for _, reader := range []Packer{EDN{}, EDN{Format: Format116}} {
			env, err := reader.Unpack(got[1:])
			if err != nil || !Equal(env.CB, tt.cb) {
				t.Fatalf("Unpack(%q) = %#v, %v", got[1:], env, err)
			}
			if back, err := ParseEvent(env.Payload); err != nil || back.ID != ev.ID || !Equal(back.Data, ev.Data) {
				t.Errorf("Unpack(%q) payload = %#v, %v", got[1:], env.Payload, err)
			}
		}
	}
	if _, err := (EDN{}).Pack(nil, make(chan int), nil); err == nil {
		t.Error("Pack of a channel: no error")
	}
}

func TestEDNPackerLimits(t *testing.T) {
	deep := []byte(strings.Repeat("[", 50) + strings.Repeat("]", 50))
	if _, err := (EDN{}).Unpack(deep); err != nil {
		t.Fatalf("default limits reject 50 levels: %v", err)
	}
	_, err := EDN{Limits: ReadOptions{MaxDepth: 5}}.Unpack(deep)
	var le *LimitError
	var bp *BadPackageError
	if !errors.As(err, &le) || !errors.As(err, &bp) {
		t.Errorf("MaxDepth 5: err = %v, want a BadPackageError wrapping a LimitError", err)
	}
}

// The EDN packer adds no allocation to Unpack: its Limits do not escape.
func TestEDNPackerUnpackAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts of pooled code are not exact under -race")
	}
	data := []byte(smallEDN)
	p := EDN{Limits: ReadOptions{MaxDepth: 64}}
	direct := testing.AllocsPerRun(100, func() { _, _ = Unpack(data, &ReadOptions{MaxDepth: 64}) })
	packer := testing.AllocsPerRun(100, func() { _, _ = p.Unpack(data) })
	if packer > direct {
		t.Errorf("EDN.Unpack allocates %v times, Unpack %v", packer, direct)
	}
}
