package chsk

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// Server is a Sente server: mount it on the channel-socket path (Sente's
// conventional /chsk) for GET and POST, and it speaks Sente's protocol to
// every client version from 1.17 on, over WebSocket and Ajax long-polling.
//
// A Server is an http.Handler; GetHandler and PostHandler give the two halves
// for routers that register methods separately.
type Server struct {
	hub  // options, logger, lifecycle, batching windows, counters
	reg  registry
	park parker

	// Lock order: pubMu before registry.mu (publishLocal holds it for
	// reading while it finds and queues the targets).
	stopping atomic.Bool  // Shutdown began, for publishers
	pubMu    sync.RWMutex // held for reading while a publication is queued

	unsubscribe func()
}

// Connected returns the uids that have clients connected to this server now.
func (s *Server) Connected() ConnectedUIDs { return s.reg.snapshot() }

// ConnectedAll returns the uids connected to any node of the cluster, as
// Options.Presence knows them; without a Presence it is Connected.
func (s *Server) ConnectedAll(ctx context.Context) (ConnectedUIDs, error) {
	if s.cfg.Presence == nil {
		return s.Connected(), nil
	}
	return s.cfg.Presence.Connected(ctx)
}

// Stats returns the server's counters and gauges.
func (s *Server) Stats() Stats {
	st := s.stats.snapshot()
	st.Clients, st.UIDs = s.reg.counts()
	return st
}

// Shutdown stops the server: new requests get 503; what is queued for each
// client is written at once; then WebSockets are dropped (so that clients of
// every Sente version reconnect, to another node or to the restarted server),
// and parked polls and POSTs waiting for a reply are answered :chsk/timeout.
// Pushes queued for a client with no connection are counted in
// Stats().UndeliveredAtShutdown. Kept-alive connections whose poll the
// server had taken over (see Options.ParkAfter) are closed once idle, after
// the requests in progress on them, as http.Server.Shutdown does.
// Shutdown returns once every goroutine and timer callback the server
// started has ended, or with ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.life.close() {
		// No publication is queued after this point, and the ones in flight
		// are queued before the final flush.
		s.stopping.Store(true)
		s.pubMu.Lock()
		s.pubMu.Unlock() //nolint:staticcheck // an empty critical section: waiting is the point
		// Last writes first, while sockets are still read (and handlers may
		// still reply), all clients at once.
		clients := s.reg.all()
		var flushes sync.WaitGroup
		for _, c := range clients {
			flushes.Go(c.shutdown)
		}
		flushed := make(chan struct{})
		go func() {
			flushes.Wait()
			close(flushed)
		}()
		select {
		case <-flushed:
		case <-ctx.Done():
		}
		s.life.cancel()
		if s.unsubscribe != nil {
			s.unsubscribe()
		}
		if s.cfg.Presence != nil { // this node's clients are going away
			s.reg.notifyAll(func(uid any) { s.uidChanged(UIDChange{UID: uid}) })
		}
		for _, c := range clients { // writes that outlived ctx end here
			c.closeConn()
		}
	}
	s.park.close() // wakes the sockets still parked, so that their readers end
	err := s.life.wait(ctx)
	return errors.Join(err, s.park.shutdownResumed(ctx))
}
