package chsk

import (
	"sync/atomic"
	"time"

	"github.com/gosente/gosente/chsk/adapter"
)

// Stats is a snapshot of what a server did and holds, for dashboards and
// alerts (package chsk/chskprom exports it to Prometheus). Counters only
// grow; gauges say what holds now. Reading it takes the registry's lock
// once, briefly; counting costs the hot paths an atomic add each.
type Stats struct {
	// Connections open now (a gauge): WebSockets, and Ajax long-polls parked
	// on the server.
	Connections ByTransport
	// Clients registered now (a gauge): one per browser tab and transport,
	// including those within their close grace period.
	Clients ByTransport
	// UIDs is the number of users with a client now (a gauge).
	UIDs int

	// EventsIn counts client events received: WebSocket frames and Ajax
	// POSTs. BytesIn counts their bytes, BytesOut the bytes of every frame
	// the server wrote (handshakes, replies, pushes, pings; Ajax answers).
	EventsIn, BytesIn, BytesOut ByTransport
	// Replies counts replies to client events sent by handlers.
	Replies uint64
	// Pushes counts events queued to a client by Send, SendClient and
	// Broadcast: a push to a user with three tabs counts three.
	Pushes uint64
	// PushBatches counts the frames that carried pushes (Sente batches the
	// pushes of one window into one frame).
	PushBatches uint64
	// Rejections counts refused requests by kind (see RejectKind).
	Rejections map[RejectKind]uint64
	// QueueHighWater is the longest any client's send queue has been (a
	// gauge that only grows): compare it with Options.MaxQueue.
	QueueHighWater int
	// HandlerCalls counts calls of the Handler (client events and
	// uidport events), HandlerTime the time they took in all.
	HandlerCalls uint64
	HandlerTime  time.Duration
	// BrokerErrors counts failed Broker.Publish and Presence.Update calls.
	BrokerErrors uint64

	// PollsTakenOver counts Ajax polls whose connection the server took
	// from net/http to wait without a goroutine (see Options.ParkAfter).
	PollsTakenOver uint64

	// SlowDisconnects counts clients disconnected because their queue passed
	// Options.MaxQueue or a write to them outlasted Options.WriteTimeout.
	SlowDisconnects uint64
	// UndeliveredAtShutdown counts pushes that Send accepted and Shutdown
	// could not deliver, because their client had no connection then (an
	// Ajax client between polls, a socket in its close grace period).
	UndeliveredAtShutdown uint64
}

// ByTransport is a figure for each transport.
type ByTransport struct{ WS, Ajax uint64 }

// rejectKinds are the kinds Stats counts; any other counts as RejectHook
// (only a Reject hook could make one).
var rejectKinds = [...]RejectKind{RejectClientID, RejectHook, RejectCSRF, RejectOrigin, RejectLimit, RejectRequest}

// counters are the server's counters: atomics, so that counting takes no
// lock. Index [2] arrays by transport with ti.
type counters struct {
	conns                       [2]atomic.Int64
	eventsIn, bytesIn, bytesOut [2]atomic.Uint64
	replies, pushes, batches    atomic.Uint64
	rejections                  [len(rejectKinds)]atomic.Uint64
	queueHigh                   atomic.Int64
	handlerCalls, handlerNano   atomic.Uint64
	brokerErrors                atomic.Uint64
	slowDisconnects             atomic.Uint64
	takenOver                   atomic.Uint64
	undelivered                 atomic.Uint64
}

// ti is the index of a transport in counters' arrays.
func ti(kind adapter.Transport) int {
	if kind == adapter.Ajax {
		return 1
	}
	return 0
}

// queued notes a queue length, for the high-water mark.
func (k *counters) queued(n int) {
	for {
		high := k.queueHigh.Load()
		if int64(n) <= high || k.queueHigh.CompareAndSwap(high, int64(n)) {
			return
		}
	}
}

// rejected counts a refusal of the given kind.
func (k *counters) rejected(kind RejectKind) {
	for i, known := range rejectKinds {
		if known == kind {
			k.rejections[i].Add(1)
			return
		}
	}
	k.rejections[1].Add(1) // RejectHook
}

// snapshot reads the counters into a Stats; the registry's gauges are the
// caller's.
func (k *counters) snapshot() Stats {
	both := func(a *[2]atomic.Uint64) ByTransport { return ByTransport{WS: a[0].Load(), Ajax: a[1].Load()} }
	s := Stats{
		Connections:           ByTransport{WS: uint64(max(k.conns[0].Load(), 0)), Ajax: uint64(max(k.conns[1].Load(), 0))},
		EventsIn:              both(&k.eventsIn),
		BytesIn:               both(&k.bytesIn),
		BytesOut:              both(&k.bytesOut),
		Replies:               k.replies.Load(),
		Pushes:                k.pushes.Load(),
		PushBatches:           k.batches.Load(),
		Rejections:            make(map[RejectKind]uint64, len(rejectKinds)),
		QueueHighWater:        int(k.queueHigh.Load()),
		HandlerCalls:          k.handlerCalls.Load(),
		HandlerTime:           time.Duration(k.handlerNano.Load()),
		BrokerErrors:          k.brokerErrors.Load(),
		SlowDisconnects:       k.slowDisconnects.Load(),
		PollsTakenOver:        k.takenOver.Load(),
		UndeliveredAtShutdown: k.undelivered.Load(),
	}
	for i, kind := range rejectKinds {
		s.Rejections[kind] = k.rejections[i].Load()
	}
	return s
}
