package chsk

import (
	"math/rand/v2"
	"testing"
)

// tabSet answers as a plain map would, through any sequence of puts and
// deletes around its one-tab case.
func TestTabSetAgreesWithAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var s tabSet
		model := map[string]*tab{}
		for range 30 {
			cid := string(rune('a' + rng.IntN(4)))
			switch rng.IntN(3) {
			case 0:
				c := &tab{cid: cid}
				s.put(c)
				model[cid] = c
			case 1:
				s.del(cid)
				delete(model, cid)
			case 2:
				if s.get(cid) != model[cid] {
					t.Fatalf("get %s: %v, want %v", cid, s.get(cid), model[cid])
				}
			}
			if s.len() != len(model) {
				t.Fatalf("len %d, want %d", s.len(), len(model))
			}
			got := s.appendTo(nil)
			if len(got) != len(model) {
				t.Fatalf("appendTo gave %d, want %d", len(got), len(model))
			}
			for _, c := range got {
				if model[c.cid] != c {
					t.Fatalf("appendTo gave a stale %s", c.cid)
				}
			}
		}
	}
}
