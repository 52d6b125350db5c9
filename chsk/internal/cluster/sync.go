package cluster

import (
	"context"
	"errors"
	"time"
)

// ErrLost is returned by a Store's Write or Heartbeat when the engine no longer holds
// a node's records (it restarted, or they expired during an outage): they
// are written again in full.
var ErrLost = errors.New("presence records lost")

// Store is an engine's side of presence.
type Store interface {
	// Write stores b (see Batch).
	Write(ctx context.Context, b Batch) error
	// Heartbeat tells the engine that nodes are alive for another TTL.
	Heartbeat(ctx context.Context, nodes []string) error
}

// Sync copies l to s until ctx ends: at once after every change, and
// with a heartbeat every interval. A failed write is retried in full at the
// next heartbeat, not at the next change, so an outage costs one attempt per
// interval, never one per connection change.
func Sync(ctx context.Context, l *Local, s Store, h *Health, interval, timeout time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	failed := false
	for {
		beat := false
		select {
		case <-ctx.Done():
			return
		case <-l.Changed():
			if failed {
				continue // the next tick retries everything
			}
		case <-tick.C:
			beat = true
		}
		failed = !syncOnce(ctx, l, s, h, beat, timeout)
	}
}

// Flush writes what changed since the last write, and reports whether it
// was stored.
func Flush(ctx context.Context, l *Local, s Store, h *Health, timeout time.Duration) bool {
	return syncOnce(ctx, l, s, h, false, timeout)
}

func syncOnce(parent context.Context, l *Local, s Store, h *Health, beat bool, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	failed := func(err error) bool {
		l.Retry()
		if parent.Err() == nil { // a broker that stops is no outage
			h.PresenceFailed(err)
		}
		return false
	}
	b := l.Take()
	if len(b.Records) > 0 || b.Full {
		err := s.Write(ctx, b)
		if errors.Is(err, ErrLost) {
			l.Retry()
			err = s.Write(ctx, l.Take())
		}
		if err != nil {
			return failed(err)
		}
	}
	if beat && len(b.Nodes) > 0 {
		err := s.Heartbeat(ctx, b.Nodes)
		if errors.Is(err, ErrLost) {
			l.Retry()
			if err = s.Write(ctx, l.Take()); err == nil {
				err = s.Heartbeat(ctx, b.Nodes)
			}
		}
		if err != nil {
			return failed(err)
		}
	}
	h.OK()
	return true
}
