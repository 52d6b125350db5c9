package cluster

import (
	"log/slog"
	"sync"
	"time"

	"github.com/gosente/gosente/chsk"
)

// Subscribers are the delivery functions of the Servers of one process
// (chsk calls Broker.Subscribe in New). The zero value is ready; its mutex
// is a leaf.
type Subscribers struct {
	mu   sync.Mutex
	subs map[int]func(chsk.Publication)
	next int
}

// Add registers deliver and returns the function that removes it.
func (s *Subscribers) Add(deliver func(chsk.Publication)) (cancel func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs == nil {
		s.subs = make(map[int]func(chsk.Publication))
	}
	id := s.next
	s.next++
	s.subs[id] = deliver
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.subs, id)
	}
}

// Deliver hands p to every Server of the process, outside the lock.
func (s *Subscribers) Deliver(p chsk.Publication) {
	s.mu.Lock()
	subs := make([]func(chsk.Publication), 0, len(s.subs))
	for _, f := range s.subs {
		subs = append(subs, f)
	}
	s.mu.Unlock()
	for _, f := range subs {
		f(p)
	}
}

// Defaults fills in the defaults of the options every broker has: the
// prefix "gosente", a TTL of 15 s, a Timeout of 2 s, slog.Default().
func Defaults(prefix *string, ttl, timeout *time.Duration, log **slog.Logger) {
	if *prefix == "" {
		*prefix = "gosente"
	}
	if *ttl <= 0 {
		*ttl = 15 * time.Second
	}
	if *timeout <= 0 {
		*timeout = 2 * time.Second
	}
	if *log == nil {
		*log = slog.Default()
	}
}
