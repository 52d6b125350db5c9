package chsk

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/gosente/gosente/chsk/adapter"
)

// parker holds the server's Poller, where idle sockets and taken-over
// Ajax polls wait without a goroutine, and the Resumer that serves the next
// requests of those polls' connections. It is made when a first socket or
// poll goes idle. Only this file locks parker.mu; lock order: parker.mu
// before lifecycle.mu.
type parker struct {
	life *lifecycle
	log  *slog.Logger

	mu   sync.Mutex
	p    *adapter.Poller // nil until first use, or if unavailable
	none bool            // no poller on this system
	res  *adapter.Resumer

	refused    sync.Once // "cannot park" is logged once
	noTakeOver sync.Once // "cannot take a poll over" too
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
		k.res = adapter.NewResumer()
	}
	return k.p
}

// resumer returns the Resumer, once poller made one.
func (k *parker) resumer() *adapter.Resumer {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.res
}

// logRefused logs, once per server, why a socket could not park.
func (k *parker) logRefused(err error) {
	k.refused.Do(func() {
		k.log.Info("chsk: idle WebSockets keep a goroutine each", slog.Any("err", err))
	})
}

// logNoTakeOver logs, once per server, why a poll could not be taken over
// (a poll that ended meanwhile says nothing).
func (k *parker) logNoTakeOver(err error) {
	if errors.Is(err, adapter.ErrNoTakeOver) {
		k.noTakeOver.Do(func() {
			k.log.Info("chsk: parked Ajax polls keep their goroutines", slog.Any("err", err))
		})
	}
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

// shutdownResumed stops serving the connections of answered polls (idle
// ones at once), once Shutdown answered every poll.
func (k *parker) shutdownResumed(ctx context.Context) error {
	if res := k.resumer(); res != nil {
		return res.Shutdown(ctx)
	}
	return nil
}
