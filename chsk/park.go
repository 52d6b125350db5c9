package chsk

import (
	"log/slog"
	"sync"

	"github.com/gosente/gosente/chsk/adapter"
)

// parker holds the server's Poller, where idle sockets wait without a
// goroutine. It is made when a first socket goes idle. Only this file
// locks parker.mu; lock order: parker.mu before lifecycle.mu.
type parker struct {
	life *lifecycle
	log  *slog.Logger

	mu   sync.Mutex
	p    *adapter.Poller // nil until first use, or if unavailable
	none bool            // no poller on this system

	refused sync.Once // "cannot park" is logged once
}

// poller returns the poller, making it on first use, or nil if sockets
// cannot be parked (not Linux, or Shutdown began).
func (k *parker) poller() *adapter.Poller {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.life.closed() {
		return nil
	}
	if k.p == nil && !k.none {
		p, err := adapter.NewPoller()
		if err != nil {
			k.none = true
			k.log.Debug("chsk: idle sockets keep their goroutines", slog.Any("err", err))
			return nil
		}
		k.p = p
	}
	return k.p
}

// logRefused logs, once per server, why a socket could not park.
func (k *parker) logRefused(err error) {
	k.refused.Do(func() {
		k.log.Info("chsk: idle WebSockets keep a goroutine each", slog.Any("err", err))
	})
}

// close closes the poller, which wakes the sockets still parked so that
// their readers end. Shutdown calls it once no poller can be made any more.
func (k *parker) close() {
	k.mu.Lock()
	p := k.p
	k.mu.Unlock()
	if p != nil {
		_ = p.Close()
	}
}
