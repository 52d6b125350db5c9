package chsk

import (
	"runtime"
	"sync"
	"time"
)

// flushable is a client whose batching window closed: flush drains it.
type flushable interface{ flush() }

// writers drains clients whose batching window closed on a small pool of
// goroutines, not on one new goroutine per client: a broadcast to 10,000
// clients hands them to at most maxWriters goroutines, which exit when
// nothing is left.
//
// A client that does not read can hold a writer in a write for up to
// WriteTimeout. So that stuck clients do not make the others wait that
// long, a check runs every stallAfter while clients wait: when no writer
// took a client since the last check (every one is stuck in a write), as
// many writers again start, above the bound. One stuck client delays the
// others by at most two checks; n stuck clients ahead of them by about
// 2·log2(n) checks, and cost up to one goroutine each while they are stuck,
// as before the pool. Each client is drained by one writer at a time (its
// queue's writing flag), so the pool keeps per-client FIFO order.
//
// Its mutex is a leaf: nothing else is locked while it is held.
type writers struct {
	life *lifecycle
	max  int // writers started without a stall

	mu       sync.Mutex
	work     []flushable // clients to drain, in order; work[head:] wait
	head     int
	running  int    // writers running
	taken    uint64 // clients taken by writers, for the stall check
	watching bool   // a stall check is armed
}

// stallAfter is how long waiting clients may see no writer progress before
// one more writer starts.
const stallAfter = 5 * time.Millisecond

// maxWriters is the pool's bound: writes are mostly system calls, so a few
// per core keep the cores busy.
func maxWriters() int { return max(4, 4*runtime.GOMAXPROCS(0)) }

// submit queues clients for draining and starts the writers they need.
func (w *writers) submit(cs ...flushable) {
	w.mu.Lock()
	if w.head > 0 && w.head >= len(w.work)/2 { // under steady load the queue may never empty
		n := copy(w.work, w.work[w.head:])
		clear(w.work[n:])
		w.work, w.head = w.work[:n], 0
	}
	w.work = append(w.work, cs...)
	start := max(min(w.max-w.running, len(w.work)-w.head), 0)
	w.running += start
	watch, taken := w.armLocked(), w.taken
	w.mu.Unlock()
	w.start(start)
	if watch {
		w.life.afterFunc(stallAfter, w.checkFunc(taken))
	}
}

// armLocked reports whether a stall check must be armed: clients wait and
// every writer is busy. w.mu is held.
func (w *writers) armLocked() bool {
	if w.watching || w.head == len(w.work) || w.running < w.max {
		return false
	}
	w.watching = true
	return true
}

// checkFunc returns the stall check for the progress count seen when it
// was armed.
func (w *writers) checkFunc(seen uint64) func() {
	return func() {
		w.mu.Lock()
		if w.head == len(w.work) {
			w.watching = false
			w.mu.Unlock()
			return
		}
		start := 0
		if w.taken == seen { // every writer is stuck in a write: as many again
			start = min(w.running, len(w.work)-w.head)
			w.running += start
		}
		now := w.taken
		w.mu.Unlock()
		w.start(start)
		w.life.afterFunc(stallAfter, w.checkFunc(now))
	}
}

// start starts n writers, counted in running already.
func (w *writers) start(n int) {
	for range n {
		if !w.life.enter() {
			// Shutdown began: it drains every client itself.
			w.mu.Lock()
			w.running -= n
			clear(w.work)
			w.work, w.head = w.work[:0], 0
			w.mu.Unlock()
			return
		}
		n--
		go w.run()
	}
}

// run drains clients until none waits.
func (w *writers) run() {
	defer w.life.leave()
	for {
		w.mu.Lock()
		if w.head == len(w.work) {
			w.work, w.head = w.work[:0], 0
			w.running--
			w.mu.Unlock()
			return
		}
		c := w.work[w.head]
		w.work[w.head] = nil
		w.head++
		w.taken++
		w.mu.Unlock()
		c.flush()
	}
}
