package chsk

import (
	"net/http"
	"sync"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

// registry maps uids to their clients (tabs) and runs each uid's
// notifications in order. Only this file locks registry.mu. Lock order:
// registry.mu before tab.mu (expire and ensure lock a tab while holding
// it); Server.pubMu before registry.mu.
type registry struct {
	h     *hub
	mu    sync.Mutex
	uids  map[string]*uidEntry
	tabs  [2]int               // clients by transport (ti)
	notes map[string]*uidNotes // by uid key, while some are undelivered
}

// uidNotes are a uid's notifications (OnUIDChange, Presence, uidport-open
// and -close), queued under the registry lock in the order the registry
// changed, and run outside it by one goroutine at a time: a user who leaves
// and comes back is never reported gone after being reported back.
type uidNotes struct {
	queue []func()
	busy  bool // a goroutine is running the queue
}

// notifyLocked queues f for the uid key; g.mu is held. It reports whether
// the caller must run the queue (runNotes) once it released g.mu.
func (g *registry) notifyLocked(key string, f func()) bool {
	n := g.notes[key]
	if n == nil {
		n = &uidNotes{}
		g.notes[key] = n
	}
	n.queue = append(n.queue, f)
	if n.busy {
		return false
	}
	n.busy = true
	return true
}

// notifyAll queues f for every connected uid, after what is queued for it
// already, and runs the queues.
func (g *registry) notifyAll(f func(uid any)) {
	g.mu.Lock()
	var run []string
	for key, e := range g.uids {
		uid := e.uid
		if g.notifyLocked(key, func() { f(uid) }) {
			run = append(run, key)
		}
	}
	g.mu.Unlock()
	for _, key := range run {
		g.runNotes(key)
	}
}

// runNotes runs the uid key's notifications until none is left.
func (g *registry) runNotes(key string) {
	for {
		g.mu.Lock()
		n := g.notes[key]
		if len(n.queue) == 0 {
			delete(g.notes, key)
			g.mu.Unlock()
			return
		}
		f := n.queue[0]
		n.queue[0] = nil
		n.queue = n.queue[1:]
		g.mu.Unlock()
		f()
	}
}

type uidEntry struct {
	uid      any
	ws, ajax tabSet
}

func (e *uidEntry) clients(kind adapter.Transport) *tabSet {
	if kind == adapter.WebSocket {
		return &e.ws
	}
	return &e.ajax
}

// tabSet is a uid's clients of one transport by client-id. Most users have
// one tab, kept inline; a map is made for the second (an idle socket's
// memory is mostly its request and this).
type tabSet struct {
	one  *tab
	more map[string]*tab // holds one too, once made
}

func (s *tabSet) get(cid string) *tab {
	if s.more != nil {
		return s.more[cid]
	}
	if s.one != nil && s.one.cid == cid {
		return s.one
	}
	return nil
}

func (s *tabSet) put(c *tab) {
	switch {
	case s.more != nil:
		s.more[c.cid] = c
	case s.one == nil || s.one.cid == c.cid:
		s.one = c
	default:
		s.more = map[string]*tab{s.one.cid: s.one, c.cid: c}
		s.one = nil
	}
}

func (s *tabSet) del(cid string) {
	if s.more != nil {
		delete(s.more, cid)
	} else if s.one != nil && s.one.cid == cid {
		s.one = nil
	}
}

func (s *tabSet) len() int {
	if s.more != nil {
		return len(s.more)
	}
	if s.one != nil {
		return 1
	}
	return 0
}

// appendTo appends the clients to out.
func (s *tabSet) appendTo(out []*tab) []*tab {
	if s.one != nil {
		return append(out, s.one)
	}
	for _, c := range s.more {
		out = append(out, c)
	}
	return out
}

// lookup returns the client for (kind, uid, cid), or nil.
func (g *registry) lookup(kind adapter.Transport, uidKey, cid string) *tab {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e := g.uids[uidKey]; e != nil {
		return e.clients(kind).get(cid)
	}
	return nil
}

// ensure returns the client for (kind, uid, cid), creating it when needed.
// It emits :chsk/uidport-open when the uid had no client before. A nil client
// with a Rejection means MaxClientsPerUID is reached.
//
// attaching says a connection is on its way (a WebSocket upgrade): a new
// client then starts no close grace period, which a slow upgrade could
// outlast; the caller must attach or call abandon.
func (g *registry) ensure(kind adapter.Transport, uid any, uidKey, cid string, r *http.Request, attaching bool) (*tab, *Rejection) {
	g.mu.Lock()
	e := g.uids[uidKey]
	opened := e == nil
	if opened {
		e = &uidEntry{uid: uid}
		g.uids[uidKey] = e
	}
	c := e.clients(kind).get(cid)
	if c != nil {
		g.mu.Unlock()
		return c, nil
	}
	if max := g.h.cfg.MaxClientsPerUID; max > 0 && e.ws.len()+e.ajax.len() >= max {
		g.mu.Unlock()
		return nil, &Rejection{Kind: RejectLimit, Status: http.StatusTooManyRequests,
			Body: "Too many connections", Reason: "the user has MaxClientsPerUID clients connected already"}
	}
	c = &tab{h: g.h, kind: kind, uid: uid, uidKey: uidKey, cid: cid, req: keptRequest{r: r}}
	c.expire = func(gen uint64) { g.expire(c, gen) }
	if !attaching {
		c.startGrace() // until a connection attaches
	}
	e.clients(kind).put(c)
	g.tabs[ti(kind)]++
	run := false
	if e.clients(kind).len() == 1 {
		change := UIDChange{UID: uid, WS: e.ws.len() > 0, Ajax: e.ajax.len() > 0}
		run = g.notifyLocked(uidKey, func() { g.h.uidChanged(change) })
	}
	if opened {
		m := &Message{Event: wire.Event{ID: wire.EvUidportOpen, Data: uid}, UID: uid,
			ClientID: cid, Transport: kind, Request: r}
		run = g.notifyLocked(uidKey, func() { g.h.deliver(m) }) || run
	}
	g.mu.Unlock()
	if run {
		g.runNotes(uidKey)
	}
	return c, nil
}

// attach attaches conn to the client for (kind, uid, cid), starting from c,
// and returns the client it attached to: if c's grace period ran out before
// conn came (a slow upgrade, a loaded server), a new client takes its place,
// as if it had just connected. A nil client with a Rejection means
// MaxClientsPerUID was reached meanwhile.
func (g *registry) attach(c *tab, conn adapter.Conn, sock keepAlive, r *http.Request, first []byte) (*tab, *Rejection) {
	for !c.attach(conn, sock, r, first) {
		var rej *Rejection
		if c, rej = g.ensure(c.kind, c.uid, c.uidKey, c.cid, r, true); rej != nil {
			return nil, rej
		}
	}
	return c, nil
}

// expire removes c when its grace period (generation gen) ran out without a
// new connection, and emits :chsk/uidport-close when it was the uid's last.
func (g *registry) expire(c *tab, gen uint64) {
	g.mu.Lock()
	req, ok := c.remove(gen)
	if !ok {
		g.mu.Unlock()
		return
	}
	e := g.uids[c.uidKey]
	if e == nil || e.clients(c.kind).get(c.cid) != c {
		g.mu.Unlock()
		return
	}
	e.clients(c.kind).del(c.cid)
	g.tabs[ti(c.kind)]--
	closed := e.ws.len() == 0 && e.ajax.len() == 0
	if closed {
		delete(g.uids, c.uidKey)
	}
	run := false
	if e.clients(c.kind).len() == 0 {
		change := UIDChange{UID: c.uid, WS: e.ws.len() > 0, Ajax: e.ajax.len() > 0}
		run = g.notifyLocked(c.uidKey, func() { g.h.uidChanged(change) })
	}
	if closed {
		m := &Message{Event: wire.Event{ID: wire.EvUidportClose, Data: c.uid}, UID: c.uid,
			ClientID: c.cid, Transport: c.kind, Request: req}
		run = g.notifyLocked(c.uidKey, func() { g.h.deliver(m) }) || run
	}
	g.mu.Unlock()
	if run {
		g.runNotes(c.uidKey)
	}
}

// targets returns the clients a publication goes to.
func (g *registry) targets(p Publication) []*tab {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []*tab
	add := func(e *uidEntry) {
		for _, set := range [2]*tabSet{&e.ws, &e.ajax} {
			if p.ClientID == "" {
				out = set.appendTo(out)
			} else if c := set.get(p.ClientID); c != nil {
				out = append(out, c)
			}
		}
	}
	if p.All {
		for _, e := range g.uids {
			add(e)
		}
	} else if e := g.uids[p.UID]; e != nil {
		add(e)
	}
	return out
}

// snapshot returns the connected uids.
func (g *registry) snapshot() ConnectedUIDs {
	g.mu.Lock()
	defer g.mu.Unlock()
	var s ConnectedUIDs
	for _, e := range g.uids {
		if e.ws.len() > 0 {
			s.WS = append(s.WS, e.uid)
		}
		if e.ajax.len() > 0 {
			s.Ajax = append(s.Ajax, e.uid)
		}
		s.Any = append(s.Any, e.uid)
	}
	return s
}

// all returns every client, for Shutdown.
func (g *registry) all() []*tab {
	return g.targets(Publication{All: true})
}

// counts returns the number of clients by transport and of uids.
func (g *registry) counts() (ByTransport, int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return ByTransport{WS: uint64(g.tabs[0]), Ajax: uint64(g.tabs[1])}, len(g.uids)
}
