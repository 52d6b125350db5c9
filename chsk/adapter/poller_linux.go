//go:build linux

package adapter

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
)

// Poller holds idle WebSockets without a goroutine each: one goroutine waits
// on an epoll set for all of them and starts a reader when one has bytes to
// read. On systems without epoll NewPoller returns an error and sockets keep
// their goroutines.
type Poller struct {
	epfd int
	wake [2]int // a pipe that interrupts the wait at Close

	mu      sync.Mutex
	waiting map[int32]*parked
	closed  bool
	stopped chan struct{}
}

// parked is one WebSocket waiting in the poller, and what to run when it
// wakes.
type parked struct {
	ws *WS
	fd int32
	f  func()
}

// NewPoller starts a poller. Close stops it.
func NewPoller() (*Poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("adapter: epoll: %w", err)
	}
	p := &Poller{epfd: epfd, waiting: map[int32]*parked{}, stopped: make(chan struct{})}
	if err := syscall.Pipe2(p.wake[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		syscall.Close(epfd)
		return nil, fmt.Errorf("adapter: poller pipe: %w", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.wake[0])}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		p.closeFDs()
		return nil, fmt.Errorf("adapter: epoll: %w", err)
	}
	go p.loop()
	return p, nil
}

// Wait parks ws until it has bytes to read, its peer hangs up, it is closed,
// or the poller closes; then f runs once, on a new goroutine. Wait reports
// false, and f never runs, if ws cannot be parked: f's caller then keeps
// reading on its own goroutine.
//
// Only a connection that is a syscall.Conn and buffers nothing of its own
// (a *net.TCPConn, as net/http hijacks it) can be parked; for any other
// (TLS terminated in Go, a wrapping listener) Wait reports false and turns
// ws's idle timeout off, so its reader simply keeps waiting.
func (p *Poller) Wait(ws *WS, f func()) bool {
	rc, err := rawConn(ws.conn)
	if err != nil {
		ws.parkAfter = 0 // the reader's own field: Wait runs on the reader
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	ws.pmu.Lock()
	defer ws.pmu.Unlock()
	if ws.isDone() {
		return false
	}
	var ctlErr error
	w := &parked{ws: ws, f: f}
	err = rc.Control(func(fd uintptr) {
		w.fd = int32(fd)
		// Level-triggered and one-shot: bytes already there wake it at once,
		// and it wakes once.
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: w.fd}
		ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
		if ctlErr == syscall.EEXIST { // parked before: the registration is spent, not gone
			ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, int(fd), &ev)
		}
	})
	if err != nil || ctlErr != nil {
		return false
	}
	p.waiting[w.fd] = w
	ws.parked, ws.parkedFD = p, w.fd
	return true
}

// rawConn returns the descriptor of a connection the poller can watch.
func rawConn(c net.Conn) (syscall.RawConn, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}

// unpark wakes ws if it is parked here: its reader runs, and finds the
// connection closed. WS.Close calls it before closing the descriptor.
func (p *Poller) unpark(ws *WS, fd int32) {
	p.mu.Lock()
	w, ok := p.waiting[fd]
	if ok && w.ws == ws {
		delete(p.waiting, fd)
		_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	}
	p.mu.Unlock()
	if ok && w.ws == ws {
		go w.f()
	}
}

// loop waits for ready sockets and starts their readers.
func (p *Poller) loop() {
	defer close(p.stopped)
	events := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return
		}
		var ready []*parked
		p.mu.Lock()
		for _, ev := range events[:n] {
			if int(ev.Fd) == p.wake[0] {
				p.mu.Unlock()
				return
			}
			if w, ok := p.waiting[ev.Fd]; ok {
				delete(p.waiting, ev.Fd)
				ready = append(ready, w)
			}
		}
		p.mu.Unlock()
		for _, w := range ready {
			w.ws.pmu.Lock()
			if w.ws.parked == p {
				w.ws.parked = nil
			}
			w.ws.pmu.Unlock()
			go w.f()
		}
	}
}

// Close stops the poller and wakes every socket still parked.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	rest := p.waiting
	p.waiting = nil
	p.mu.Unlock()
	_, _ = syscall.Write(p.wake[1], []byte{1})
	<-p.stopped
	p.closeFDs()
	for _, w := range rest {
		w.ws.pmu.Lock()
		w.ws.parked = nil
		w.ws.pmu.Unlock()
		go w.f()
	}
	return nil
}

func (p *Poller) closeFDs() {
	syscall.Close(p.wake[0])
	syscall.Close(p.wake[1])
	syscall.Close(p.epfd)
}
