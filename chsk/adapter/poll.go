package adapter

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Poll is one parked Ajax long-poll: an HTTP response held open until the
// server has one frame for it. The handler that parked it must wait on Done
// (or its own timeout, answered through Send) before it returns, unless
// TakeOver took the connection from net/http.
type Poll struct {
	w           http.ResponseWriter
	contentType string
	stopCtx     func() bool // stops watching the request's context

	mu       sync.Mutex // lock order: before Poller.mu and Resumer.mu
	sent     bool
	done     chan struct{}
	doneOnce sync.Once
	hj       *hijacked // the connection, once taken over
}

// ParkPoll wraps the response of a long-poll GET. The poll ends by itself when
// the request's context ends (the client went away).
func ParkPoll(w http.ResponseWriter, r *http.Request, contentType string) *Poll {
	p := &Poll{w: w, contentType: contentType, done: make(chan struct{})}
	// The request's context ends when the handler returns at the latest, so
	// this never outlives the request.
	p.stopCtx = context.AfterFunc(r.Context(), p.finishAfterSend)
	return p
}

// Transport returns Ajax.
func (p *Poll) Transport() Transport { return Ajax }

// Send answers the poll with frame and completes the response. Only the first
// call writes; later ones return ErrAnswered, and calls after the client went
// away return ErrClosed. A deadline on ctx bounds the write.
func (p *Poll) Send(ctx context.Context, frame []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sent {
		return ErrAnswered
	}
	if p.isDone() {
		return ErrClosed
	}
	p.sent = true
	if p.hj != nil {
		return p.hj.answerLocked(ctx, p, frame, false)
	}
	defer p.finish()
	rc := http.NewResponseController(p.w)
	if dl, ok := ctx.Deadline(); ok {
		_ = rc.SetWriteDeadline(dl) // not every ResponseWriter supports deadlines
		defer rc.SetWriteDeadline(time.Time{})
	}
	WriteFrame(p.w, p.contentType, http.StatusOK, frame)
	if err := rc.Flush(); err != nil && err != http.ErrNotSupported {
		return err
	}
	return nil
}

// Done is closed once the poll was answered or its client went away.
func (p *Poll) Done() <-chan struct{} { return p.done }

// Close ends the poll without an answer; the handler then returns and the
// client sees an empty response (written on its own goroutine, if the poll
// was taken over).
func (p *Poll) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hj != nil && !p.sent && !p.isDone() {
		p.sent = true
		p.finish()
		go p.closeTakenOver()
		return nil
	}
	p.finish()
	return nil
}

func (p *Poll) isDone() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// finishAfterSend ends the poll, waiting for a Send in progress: the handler
// must not return while a frame is being written.
func (p *Poll) finishAfterSend() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finish()
}

func (p *Poll) finish() {
	p.doneOnce.Do(func() { close(p.done) })
}

// WriteFrame writes a complete response holding one frame, with an explicit
// Content-Length as Sente's reference server sends.
func WriteFrame(w http.ResponseWriter, contentType string, status int, frame []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(frame)))
	w.WriteHeader(status)
	_, _ = w.Write(frame)
}
