package cluster

import (
	"slices"
	"sync"

	"github.com/gosente/gosente/chsk"
)

// Flags is a uid's connection state on one node.
type Flags uint8

// The flags of a uid on one node; zero means it is not connected there.
const (
	WS Flags = 1 << iota
	Ajax
)

// String returns the flags as they are stored in the engine: "w", "a" or "wa".
func (f Flags) String() string {
	switch f {
	case WS:
		return "w"
	case Ajax:
		return "a"
	case WS | Ajax:
		return "wa"
	}
	return ""
}

// ParseFlags reads what String wrote; anything else is zero.
func ParseFlags(s string) Flags {
	switch s {
	case "w":
		return WS
	case "a":
		return Ajax
	case "wa":
		return WS | Ajax
	}
	return 0
}

// Record is one uid's state on one node. Zero Flags removes the record.
type Record struct {
	Node  string
	UID   string // the printed uid (chsk.UIDKey)
	Flags Flags
}

// Batch is what the engine must write: the records that changed, or with
// Full every record of Nodes, replacing what the engine holds for them.
type Batch struct {
	Records []Record
	Full    bool
	Nodes   []string
}

// Local is the presence of this process's nodes (the Servers that share one
// broker), which is the truth the engine copies. Its lock is held only here.
type Local struct {
	mu    sync.Mutex
	nodes map[string]map[string]Flags // node -> uid key -> flags
	dirty map[Record]struct{}         // changed since the last Take (Flags unused)
	full  bool                        // the next Take rewrites everything
	kick  chan struct{}
}

// NewLocal returns an empty Local.
func NewLocal() *Local {
	return &Local{
		nodes: make(map[string]map[string]Flags),
		dirty: make(map[Record]struct{}),
		kick:  make(chan struct{}, 1),
	}
}

// Update records a change of node's clients (chsk.Presence's Update).
func (l *Local) Update(node string, ch chsk.UIDChange) error {
	key, err := chsk.UIDKey(ch.UID)
	if err != nil {
		return err
	}
	var f Flags
	if ch.WS {
		f |= WS
	}
	if ch.Ajax {
		f |= Ajax
	}
	l.mu.Lock()
	m := l.nodes[node]
	if m == nil {
		m = make(map[string]Flags)
		l.nodes[node] = m
	}
	if f == 0 {
		delete(m, key)
	} else {
		m[key] = f
	}
	l.dirty[Record{Node: node, UID: key}] = struct{}{}
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
	return nil
}

// Changed is signalled after Update.
func (l *Local) Changed() <-chan struct{} { return l.kick }

// Take returns what the engine must write now and forgets it; after a
// failed write, Retry asks for everything again.
func (l *Local) Take() Batch {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b Batch
	for node := range l.nodes {
		b.Nodes = append(b.Nodes, node)
	}
	slices.Sort(b.Nodes)
	if l.full {
		b.Full = true
		for node, m := range l.nodes {
			for uid, f := range m {
				b.Records = append(b.Records, Record{Node: node, UID: uid, Flags: f})
			}
		}
	} else {
		for r := range l.dirty {
			r.Flags = l.nodes[r.Node][r.UID]
			b.Records = append(b.Records, r)
		}
	}
	l.full = false
	clear(l.dirty)
	return b
}

// Retry makes the next Take a full rewrite: a failed write may have left
// the engine with any part of it.
func (l *Local) Retry() {
	l.mu.Lock()
	l.full = true
	l.mu.Unlock()
}

// AddTo adds this process's records to v.
func (l *Local) AddTo(v *View) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.nodes {
		for uid, f := range m {
			v.Add(uid, f)
		}
	}
}

// Owns reports whether node is one of this process's nodes.
func (l *Local) Owns(node string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.nodes[node]
	return ok
}

// Node returns a copy of node's records: uid key -> flags.
func (l *Local) Node(node string) map[string]Flags {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := make(map[string]Flags, len(l.nodes[node]))
	for k, v := range l.nodes[node] {
		m[k] = v
	}
	return m
}
