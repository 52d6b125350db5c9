package cluster

import (
	"errors"
	"log/slog"
	"sync/atomic"
)

// ErrLocalOnly is returned by a Publish that could not reach the engine:
// the push went to this process's clients only.
var ErrLocalOnly = errors.New("engine unavailable: delivered to this node's clients only")

// Health tracks whether the engine is reachable, so that an outage is
// logged once when it begins and once when it ends, and counted.
type Health struct {
	Log    *slog.Logger
	Engine string // "nats" or "redis", for the log

	down          atomic.Bool
	outages       atomic.Uint64
	publishErrors atomic.Uint64
	presenceErrs  atomic.Uint64
}

// Down reports whether the engine is known to be unreachable.
func (h *Health) Down() bool { return h.down.Load() }

// Fail records an error talking to the engine; the first after a success
// starts an outage.
func (h *Health) Fail(err error) {
	if h.down.CompareAndSwap(false, true) {
		h.outages.Add(1)
		h.Log.Warn("chsk: "+h.Engine+" unavailable; serving this node's clients only until it returns", slog.Any("err", err))
	}
}

// OK records a success; the first after a failure ends the outage.
func (h *Health) OK() {
	if h.down.CompareAndSwap(true, false) {
		h.Log.Info("chsk: " + h.Engine + " reachable again")
	}
}

// PublishFailed counts a publication delivered locally only.
func (h *Health) PublishFailed(err error) {
	h.publishErrors.Add(1)
	h.Fail(err)
}

// PresenceFailed counts a presence write that will be retried.
func (h *Health) PresenceFailed(err error) {
	h.presenceErrs.Add(1)
	h.Fail(err)
}

// Stats counts what happened to a broker's traffic with its engine.
type Stats struct {
	// Outages counts the times the engine became unreachable.
	Outages uint64
	// PublishErrors counts pushes that reached only this node's clients
	// because the engine could not take them (Publish returned ErrLocalOnly).
	PublishErrors uint64
	// PresenceErrors counts presence writes that failed and were retried.
	PresenceErrors uint64
}

// Stats returns the counters.
func (h *Health) Stats() Stats {
	return Stats{Outages: h.outages.Load(), PublishErrors: h.publishErrors.Load(), PresenceErrors: h.presenceErrs.Load()}
}
