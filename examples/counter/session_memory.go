package main

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// memKV is the default kv: records in this process's memory, least
// recently used first out. A record expires after TTL without use, and when
// max records are live the least recently used one makes room for a new
// one. Because every use pushes the expiry to now+TTL, recency order is
// expiry order, so one list serves both rules.
type memKV struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu   sync.Mutex
	byID map[string]*memEntry
	lru  *list.List // of *memEntry, most recently used at the front
}

type memEntry struct {
	id      string
	rec     record
	expires time.Time
	elem    *list.Element
}

// newMemKV returns an empty memKV. ttl and max must be positive.
func newMemKV(ttl time.Duration, max int) *memKV {
	return &memKV{ttl: ttl, max: max, now: time.Now, byID: make(map[string]*memEntry), lru: list.New()}
}

// useLocked returns id's live entry, moving its expiry, or nil.
func (m *memKV) useLocked(id string) *memEntry {
	e := m.byID[id]
	if e == nil {
		return nil
	}
	now := m.now()
	if !now.Before(e.expires) {
		m.removeLocked(e)
		return nil
	}
	e.expires = now.Add(m.ttl)
	m.lru.MoveToFront(e.elem)
	return e
}

func (m *memKV) get(_ context.Context, id string) (record, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.useLocked(id); e != nil {
		return e.rec, true, nil
	}
	return record{}, false, nil
}

// put stores rec, evicting expired records and, at the cap, the least
// recently used one.
func (m *memKV) put(_ context.Context, id string, rec record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.useLocked(id); e != nil {
		e.rec = rec
		return nil
	}
	now := m.now()
	for b := m.lru.Back(); b != nil; b = m.lru.Back() {
		old := b.Value.(*memEntry)
		if now.Before(old.expires) && m.lru.Len() < m.max {
			break
		}
		m.removeLocked(old)
	}
	e := &memEntry{id: id, rec: rec, expires: now.Add(m.ttl)}
	e.elem = m.lru.PushFront(e)
	m.byID[id] = e
	return nil
}

func (m *memKV) incr(_ context.Context, id string) (int64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.useLocked(id)
	if e == nil {
		return 0, false, nil
	}
	e.rec.Count++
	return e.rec.Count, true, nil
}

func (m *memKV) removeLocked(e *memEntry) {
	m.lru.Remove(e.elem)
	delete(m.byID, e.id)
}

// Len returns the number of stored records, expired ones not yet evicted
// included.
func (m *memKV) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Len()
}
