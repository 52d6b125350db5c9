package cluster

import (
	"cmp"
	"slices"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/wire"
)

// View gathers the records of several nodes into one ConnectedUIDs.
type View struct {
	uids map[string]Flags
}

// Add merges one node's record of uid (its printed form) into v.
func (v *View) Add(uid string, f Flags) {
	if f == 0 {
		return
	}
	if v.uids == nil {
		v.uids = make(map[string]Flags)
	}
	v.uids[uid] |= f
}

// Connected returns the uids, read back from their printed form and sorted
// by it. A record whose uid cannot be read is skipped: it can only come from
// a node of another version or a foreign writer.
func (v *View) Connected() chsk.ConnectedUIDs {
	type uid struct {
		key string
		v   any
		f   Flags
	}
	all := make([]uid, 0, len(v.uids))
	for k, f := range v.uids {
		val, err := wire.Read([]byte(k), nil)
		if err != nil {
			continue
		}
		all = append(all, uid{k, val, f})
	}
	slices.SortFunc(all, func(a, b uid) int { return cmp.Compare(a.key, b.key) })
	var c chsk.ConnectedUIDs
	for _, u := range all {
		if u.f&WS != 0 {
			c.WS = append(c.WS, u.v)
		}
		if u.f&Ajax != 0 {
			c.Ajax = append(c.Ajax, u.v)
		}
		c.Any = append(c.Any, u.v)
	}
	return c
}
