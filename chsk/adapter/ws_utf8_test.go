package adapter

import (
	"strconv"
	"testing"
	"unicode/utf8"
)

// checkSplit checks p as a text message that arrives in pieces ending at
// cuts, as readPayload does, and reports whether it was accepted.
func checkSplit(p []byte, cuts ...int) bool {
	checked, prev := 0, 0
	for _, c := range append(cuts, len(p)) {
		if c < prev || c > len(p) {
			continue
		}
		var err error
		if checked, err = validPrefix(p[:c], checked); err != nil {
			return false
		}
		prev = c
	}
	return utf8.Valid(p[checked:])
}

func TestValidPrefix(t *testing.T) {
	for _, tc := range []struct {
		p    string
		cuts []int
		ok   bool
	}{
		{"héllo", []int{2}, true},       // é split between frames
		{"κόσμε", []int{1, 3, 5}, true}, // every code point split
		{"\xf0\x9f\x98\x80", []int{1, 2, 3}, true},
		{"ab\xf4\x90\x80\x80", []int{4}, false}, // above U+10FFFF
		{"ab\xed\xa0\x80", []int{3}, false},     // a surrogate
		{"ab\xc0\xaf", []int{3}, false},         // overlong
		{"ab\xe2\x82", nil, false},              // ends mid-code-point
	} {
		if got := checkSplit([]byte(tc.p), tc.cuts...); got != tc.ok {
			t.Errorf("%q split at %v: accepted %v, want %v", tc.p, tc.cuts, got, tc.ok)
		}
	}
	// Fail fast: a piece ending in bytes no text can continue fails
	// before the rest of the message is read.
	for _, p := range []string{"ab\xf4\x90", "ab\xed\xa0", "ab\xf5", "ab\xc1"} {
		if _, err := validPrefix([]byte(p), 0); err == nil {
			t.Errorf("validPrefix(%q) accepted a prefix of no valid text", p)
		}
	}
}

// FuzzValidPrefix checks that checking a message piece by piece accepts
// exactly what utf8.Valid accepts.
func FuzzValidPrefix(f *testing.F) {
	f.Add([]byte("héllo κόσμε \xf0\x9f\x98\x80"), uint8(3), uint8(7))
	f.Add([]byte("\xf4\x90\x80\x80"), uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, p []byte, a, b uint8) {
		if got, want := checkSplit(p, int(a), int(b)), utf8.Valid(p); got != want {
			t.Fatalf("%q split at %d, %d: accepted %v, utf8.Valid %v", p, a, b, got, want)
		}
	})
}

// BenchmarkValidPrefix is the UTF-8 check's cost per text message read in
// one piece, against unmasking the same bytes, which every message pays.
func BenchmarkValidPrefix(b *testing.B) {
	for _, size := range []int{64, 1024, 16384} {
		p := make([]byte, size)
		for i := range p {
			p[i] = 'a' + byte(i%26)
		}
		b.Run("check/"+strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				if _, err := validPrefix(p, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("unmask/"+strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				unmaskAt(p, [4]byte{1, 2, 3, 4}, 0)
			}
		})
	}
}
