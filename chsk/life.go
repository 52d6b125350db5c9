package chsk

import (
	"context"
	"sync"
	"time"
)

// lifecycle tracks the work a server does on its own goroutines and timers,
// so that Shutdown can refuse new work and wait for what runs. Its mutex is
// a leaf: nothing else is locked while it is held.
type lifecycle struct {
	ctx    context.Context // ends when Shutdown gives up on graceful work
	cancel context.CancelFunc

	mu      sync.Mutex
	closing bool           // Shutdown began
	running sync.WaitGroup // goroutines and timer callbacks in flight
}

func (l *lifecycle) init() { l.ctx, l.cancel = context.WithCancel(context.Background()) }

// enter registers work about to start; it fails once Shutdown began.
func (l *lifecycle) enter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return false
	}
	l.running.Add(1)
	return true
}

// leave ends work registered by enter.
func (l *lifecycle) leave() { l.running.Done() }

// afterFunc is time.AfterFunc for server work: f does not run after Shutdown
// began, and Shutdown waits for a running f.
func (l *lifecycle) afterFunc(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, func() {
		if !l.enter() {
			return
		}
		defer l.leave()
		f()
	})
}

// closed reports whether Shutdown began.
func (l *lifecycle) closed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closing
}

// close marks the start of Shutdown; it reports whether it had begun before.
func (l *lifecycle) close() (already bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	already, l.closing = l.closing, true
	return already
}

// wait waits until the work in flight ended, or ctx did.
func (l *lifecycle) wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		l.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
