//go:build !linux

package adapter

import (
	"errors"
	"net"
)

// Poller holds idle WebSockets without a goroutine each. It needs Linux's
// epoll: elsewhere NewPoller returns an error and sockets keep their
// goroutines.
type Poller struct{}

// NewPoller returns an error: there is no poller on this system.
func NewPoller() (*Poller, error) { return nil, errors.ErrUnsupported }

// Wait returns errors.ErrUnsupported, and turns ws's idle timeout off:
// nothing is parked.
func (p *Poller) Wait(ws *WS, f func()) error {
	ws.stopParking()
	return errors.ErrUnsupported
}

// CanWait returns false: nothing is parked.
func (p *Poller) CanWait(ws *WS) bool { return false }

// Close does nothing.
func (p *Poller) Close() error { return nil }

func (p *Poller) unpark(ws *WS, fd int32) {}

func (p *Poller) watch(s sleeper, c net.Conn, f func()) (int32, error) {
	return 0, errors.ErrUnsupported
}

func (p *Poller) unwatch(s sleeper, fd int32) {}

type sleeper interface{ unparked(p *Poller) }

var errWouldBlock = errors.ErrUnsupported

func readNow(c net.Conn, buf []byte) (int, error) { return 0, errors.ErrUnsupported }
