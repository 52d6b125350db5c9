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
// its read context ends, or the poller closes; then f runs once, on a new
// goroutine. Wait returns an error, and f never runs, if ws cannot be
// parked: f's caller then keeps reading on its own goroutine.
//
// Only a *net.TCPConn or *net.UnixConn can be parked (net/http hijacks the
// former), or a wrapper that says it keeps no bytes (UnbufferedConn): any
// other wrapper (TLS terminated in Go, a PROXY protocol listener) may hold
// bytes that epoll cannot see. For those, and when epoll refuses, Wait also
// turns ws's idle timeout off, so its reader simply keeps waiting.
func (p *Poller) Wait(ws *WS, f func()) error {
	rc, err := rawConn(ws.conn)
	if err != nil {
		ws.stopParking()
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		ws.stopParking()
		return ErrClosed
	}
	return ws.park(p, func() (int32, error) { return p.register(ws, rc, f) })
}

// register adds ws's descriptor to the epoll set, to run f when it is
// ready. p.mu and ws.pmu are held.
func (p *Poller) register(ws *WS, rc syscall.RawConn, f func()) (int32, error) {
	var ctlErr error
	w := &parked{ws: ws, f: f}
	err := rc.Control(func(fd uintptr) {
		w.fd = int32(fd)
		// Level-triggered and one-shot: bytes already there wake it at once,
		// and it wakes once.
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: w.fd}
		ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, int(fd), &ev)
		if ctlErr == syscall.EEXIST { // parked before: the registration is spent, not gone
			ctlErr = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, int(fd), &ev)
		}
	})
	if err == nil {
		err = ctlErr
	}
	if err != nil {
		ws.stopParking()
		return 0, fmt.Errorf("adapter: cannot park the socket: %w", err)
	}
	p.waiting[w.fd] = w
	return w.fd, nil
}

// rawConn returns the descriptor of a connection the poller can watch,
// looking through wrappers that implement UnbufferedConn.
func rawConn(c net.Conn) (syscall.RawConn, error) {
	for range 16 { // wrappers of wrappers, but no cycles
		switch t := c.(type) {
		case *net.TCPConn:
			return t.SyscallConn()
		case *net.UnixConn:
			return t.SyscallConn()
		case UnbufferedConn:
			c = t.Unbuffered()
			continue
		}
		break
	}
	return nil, fmt.Errorf("adapter: cannot park a %T: not a TCP or Unix connection, nor an UnbufferedConn: %w", c, errors.ErrUnsupported)
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
			w.ws.unparked(p)
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
		w.ws.unparked(p)
		go w.f()
	}
	return nil
}

func (p *Poller) closeFDs() {
	syscall.Close(p.wake[0])
	syscall.Close(p.wake[1])
	syscall.Close(p.epfd)
}
