package chsk

import (
	"errors"
	"fmt"

	"github.com/gosente/gosente/chsk/wire"
)

// ErrShutdown is returned by sends after Shutdown began.
var ErrShutdown = errors.New("chsk: server shut down")

// Send pushes ev to every client of the user uid, over both transports
// (Sente's send-fn). It never blocks on a client: the event is printed once,
// queued for each client, and sent with the other events of the batching
// window. Each client receives pushes in the order they were sent.
func (s *Server) Send(uid any, ev wire.Event) error {
	if uid == nil {
		return errors.New("chsk: Send to a nil uid (use Options.NilUID's value for anonymous clients)")
	}
	key, err := UIDKey(uid)
	if err != nil {
		return err
	}
	return s.publish(Publication{UID: key}, ev)
}

// SendClient pushes ev to one client (browser tab) of the user uid, which
// Sente cannot do. The uid is required: client-ids are chosen by clients, so
// a client-id alone must never select whom to send to.
func (s *Server) SendClient(uid any, clientID string, ev wire.Event) error {
	if uid == nil || clientID == "" {
		return errors.New("chsk: SendClient needs a uid and a client-id")
	}
	key, err := UIDKey(uid)
	if err != nil {
		return err
	}
	return s.publish(Publication{UID: key, ClientID: clientID}, ev)
}

// Broadcast pushes ev to every connected client.
func (s *Server) Broadcast(ev wire.Event) error {
	return s.publish(Publication{All: true}, ev)
}

func (s *Server) publish(p Publication, ev wire.Event) error {
	if ev.ID.Namespace() == "" {
		return fmt.Errorf("chsk: event id %s has no namespace", ev.ID)
	}
	if ev.ID.Namespace() == "chsk" {
		return fmt.Errorf("chsk: %s: the chsk namespace is Sente's own; clients reject pushes in it", ev.ID)
	}
	raw, err := wire.Marshal(ev)
	if err != nil {
		return err
	}
	p.Event = raw
	if s.stopping.Load() {
		return ErrShutdown
	}
	if s.cfg.Broker != nil {
		if err := s.cfg.Broker.Publish(s.life.ctx, p); err != nil {
			s.stats.brokerErrors.Add(1)
			return err
		}
		return nil
	}
	if !s.publishLocal(p) {
		return ErrShutdown
	}
	return nil
}

// publishLocal queues a publication for this node's clients. It reports
// false once Shutdown began: Shutdown waits for the publications in flight,
// so that what was queued before it is written (or counted) by its final
// flush, and nothing is queued after.
func (s *Server) publishLocal(p Publication) bool {
	s.pubMu.RLock()
	defer s.pubMu.RUnlock()
	if s.stopping.Load() {
		return false
	}
	for _, c := range s.reg.targets(p) {
		c.push(p.Event)
	}
	return true
}
