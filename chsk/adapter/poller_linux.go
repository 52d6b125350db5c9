//go:build linux

package adapter

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
)

// Poller holds idle WebSockets, and Ajax polls taken over from net/http
// (Poll.TakeOver), without a goroutine each: one goroutine waits on an epoll
// set for all of them and starts a reader when one has bytes to read or its
// peer hung up. On systems without epoll NewPoller returns an error and sockets keep
// their goroutines.
type Poller struct {
	epfd int
	wake [2]int // a pipe that interrupts the wait at Close

	mu      sync.Mutex // lock order: a Poll's mu before this; this before a WS's pmu
	waiting map[int32]*parked
	closed  bool
	stopped chan struct{}
}

// parked is one connection waiting in the poller, and what to run when it
// wakes.
type parked struct {
	s  sleeper
	fd int32
	f  func()
}

// sleeper is what waits in a Poller: a *WS or a taken-over *Poll. The
// poller tells it when it leaves, before its f runs; p.mu is not held.
type sleeper interface{ unparked(p *Poller) }

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
// The reader calls Wait after Read returned ErrIdle; a server may also
// call it before the first Read, in place of starting a reader, so that a
// socket costs no goroutine until its first message (bytes that came with
// the upgrade request run f at once).
//
// Only a *net.TCPConn or *net.UnixConn can be parked (net/http hijacks the
// former), or a wrapper that says it keeps no bytes (UnbufferedConn): any
// other wrapper (TLS terminated in Go, a PROXY protocol listener) may hold
// bytes that epoll cannot see. For those, and when epoll refuses, Wait also
// turns ws's idle timeout off, so its reader simply keeps waiting.
func (p *Poller) Wait(ws *WS, f func()) error {
	if ws.rd.buffered() {
		go f() // bytes came with the upgrade request: epoll would not see them
		return nil
	}
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
	return ws.park(p, func() (int32, error) {
		fd, err := p.register(ws, rc, f)
		if err != nil {
			ws.stopParking()
		}
		return fd, err
	})
}

// watch parks a taken-over poll's connection c until its client sends bytes
// or hangs up, or the poller closes; then f runs once, on a new goroutine.
// The poll's mu is held.
func (p *Poller) watch(s sleeper, c net.Conn, f func()) (int32, error) {
	rc, err := rawConn(c)
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, ErrClosed
	}
	return p.register(s, rc, f)
}

// unwatch takes s out of the poller without running its f, if it is still
// there; a poll does so before its connection changes hands. The poll's mu
// is held.
func (p *Poller) unwatch(s sleeper, fd int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if w, ok := p.waiting[fd]; ok && w.s == s {
		delete(p.waiting, fd)
		_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	}
}

// register adds the descriptor behind rc to the epoll set, to run f when it
// is ready. p.mu is held (and a WS's pmu, when s is one).
func (p *Poller) register(s sleeper, rc syscall.RawConn, f func()) (int32, error) {
	var ctlErr error
	w := &parked{s: s, f: f}
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
		return 0, fmt.Errorf("adapter: cannot park the socket: %w", err)
	}
	p.waiting[w.fd] = w
	return w.fd, nil
}

// rawConn returns the descriptor of a connection the poller can watch,
// looking through wrappers that implement UnbufferedConn.
func rawConn(c net.Conn) (syscall.RawConn, error) {
	switch t := unwrapConn(c).(type) {
	case *net.TCPConn:
		return t.SyscallConn()
	case *net.UnixConn:
		return t.SyscallConn()
	}
	return nil, fmt.Errorf("adapter: cannot park a %T: not a TCP or Unix connection, nor an UnbufferedConn: %w", unwrapConn(c), errors.ErrUnsupported)
}

// unwrapConn looks through c's UnbufferedConn wrappers.
func unwrapConn(c net.Conn) net.Conn {
	for range 16 { // wrappers of wrappers, but no cycles
		u, ok := c.(UnbufferedConn)
		if !ok {
			break
		}
		c = u.Unbuffered()
	}
	return c
}

// CanWait reports whether Wait can park ws: whether its connection is one
// the poller can watch (see Wait), so that a caller need not prepare for a
// wait that would be refused. Wait may still fail, if epoll refuses.
func (p *Poller) CanWait(ws *WS) bool {
	switch unwrapConn(ws.conn).(type) {
	case *net.TCPConn, *net.UnixConn:
		return true
	}
	return false
}

// unpark wakes ws if it is parked here: its reader runs, and finds the
// connection closed. WS.Close calls it before closing the descriptor.
func (p *Poller) unpark(ws *WS, fd int32) {
	p.mu.Lock()
	w, ok := p.waiting[fd]
	if ok && w.s == ws {
		delete(p.waiting, fd)
		_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil)
	}
	p.mu.Unlock()
	if ok && w.s == ws {
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
			w.s.unparked(p)
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
		w.s.unparked(p)
		go w.f()
	}
	return nil
}

func (p *Poller) closeFDs() {
	syscall.Close(p.wake[0])
	syscall.Close(p.wake[1])
	syscall.Close(p.epfd)
}

// errWouldBlock is readNow's error when there is nothing to read.
var errWouldBlock = syscall.EAGAIN

// readNow reads what c has without waiting: errWouldBlock if nothing; 0 and
// no error at end of stream.
func readNow(c net.Conn, buf []byte) (int, error) {
	rc, err := rawConn(c)
	if err != nil {
		return 0, err
	}
	var n int
	var rerr error
	if err := rc.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), buf)
		return true // never wait
	}); err != nil {
		return 0, err
	}
	if n < 0 {
		n = 0
	}
	if rerr == syscall.EINTR {
		rerr = errWouldBlock
	}
	return n, rerr
}
