package wire

import (
	"testing"
)

func TestParseUUID(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"66d96ab4-9834-40db-a3cd-42b361503ab9", true},
		{"66D96AB4-9834-40DB-A3CD-42B361503AB9", true},
		{"00000000-0000-0000-0000-00-000000000", false}, // a dash out of place once crashed the reader
		{"66d96ab4-9834-40db-a3cd-42b361503ab", false},
		{"66d96ab4x9834-40db-a3cd-42b361503ab9", false},
		{"g6d96ab4-9834-40db-a3cd-42b361503ab9", false},
		{"", false},
	} {
		u, err := ParseUUID(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseUUID(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
		}
		if tc.ok && u.String() != "66d96ab4-9834-40db-a3cd-42b361503ab9" {
			t.Errorf("ParseUUID(%q) = %s", tc.in, u)
		}
	}
}

// unmix inverts mix, the splitmix64 finalizer.
func unmix(z uint64) uint64 {
	z = z ^ (z >> 31) ^ (z >> 62)
	z *= 0x319642b2d24d8ec3
	z = z ^ (z >> 27) ^ (z >> 54)
	z *= 0x96de1b173f119089
	return z ^ (z >> 30) ^ (z >> 60)
}

// Vectors crafted to collide under an unseeded hash must not collide: with
// equal hashes, reading a set of n of them costs n² comparisons.
func TestHashResistsCraftedCollisions(t *testing.T) {
	const target, n = 0xdeadbeef, 2000
	hashes := make(map[uint64]bool)
	for a := int64(1); a <= n; a++ {
		seed := uint64(0x9159015a3070dd17)
		h := mix(seed*31 + mix(uint64(a)))
		b := int64(unmix(target - h*31))
		hashes[Hash(Vector{a, b})] = true
	}
	if len(hashes) < n-2 {
		t.Fatalf("%d crafted vectors share %d hashes", n, len(hashes))
	}
}
