package chsk

import "github.com/gosente/gosente/chsk/wire"

// sendQueue is what waits to be written to one client: frames of its own
// (a handshake, replies, pongs, pings) in out, written first and one by
// one, and pushes in pending, written as one batch once the batching window
// closed. One writer drains it at a time.
//
// A sendQueue has no lock of its own: it is a part of its tab, and every
// method is called with the tab's mutex held (only tab.go calls them).
type sendQueue struct {
	out      [][]byte   // frames to write before pushes
	pending  []wire.Raw // pushed events not yet sent
	flushing bool       // a batching window is open (see flusher)
	writing  bool       // a writer is draining the queue
	drops    uint64     // bumped whenever the queue is dropped
}

// len counts what waits: frames and pushes.
func (q *sendQueue) len() int { return len(q.out) + len(q.pending) }

// addPush queues a push; it reports whether this opened a batching window,
// which the caller must then schedule.
func (q *sendQueue) addPush(ev wire.Raw) (opened bool) {
	q.pending = append(q.pending, ev)
	if q.flushing {
		return false
	}
	q.flushing = true
	return true
}

// addFrame queues a frame of the client's own after the others.
func (q *sendQueue) addFrame(frame []byte) { q.out = append(q.out, frame) }

// addFirst queues a frame before everything else (a socket's handshake).
func (q *sendQueue) addFirst(frame []byte) { q.out = append([][]byte{frame}, q.out...) }

// closeWindow ends the batching window: pending pushes may be written.
func (q *sendQueue) closeWindow() { q.flushing = false }

// beginDrain makes the caller the queue's writer, unless there is one.
func (q *sendQueue) beginDrain() bool {
	if q.writing {
		return false
	}
	q.writing = true
	return true
}

// endDrain ends the caller's turn as the writer.
func (q *sendQueue) endDrain() { q.writing = false }

// next takes what to write now: the first frame of out, or else the pending
// pushes as one batch (packed by batch) once their window closed; nil when
// nothing may be written. What it returns has left the queue, so that
// MaxQueue counts what waits, not what is being written.
func (q *sendQueue) next(batch func([]wire.Raw) []byte) (frame []byte, taken []wire.Raw) {
	switch {
	case len(q.out) > 0:
		frame = q.out[0]
		q.out[0] = nil
		q.out = q.out[1:]
	case len(q.pending) > 0 && !q.flushing:
		taken = q.pending
		frame = batch(taken)
		q.pending = nil
	}
	return frame, taken
}

// putBack returns what next took and a connection did not take to the front
// of the queue, for the next connection: the pushes always, the frame when
// keepFrame (a frame of the connection's own dies with it).
func (q *sendQueue) putBack(frame []byte, taken []wire.Raw, keepFrame bool) {
	if taken != nil {
		q.pending = append(taken, q.pending...)
	} else if keepFrame {
		q.out = append([][]byte{frame}, q.out...)
	}
}

// generation changes whenever the queue is dropped: a writer that sees it
// change during a write knows its client is on its way out.
func (q *sendQueue) generation() uint64 { return q.drops }

// drop empties the queue and closes the window; it returns how many pushes
// were pending.
func (q *sendQueue) drop() (pending int) {
	pending = len(q.pending)
	clear(q.pending)
	clear(q.out)
	q.pending, q.out = nil, nil
	q.flushing = false
	q.drops++
	return pending
}
