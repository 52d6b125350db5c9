package chsk

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

// serveAjaxGet answers an Ajax handshake at once, and parks a long-poll until
// there is a push batch for it or LongPollTimeout passes.
func (s *Server) serveAjaxGet(w http.ResponseWriter, r *http.Request, uid any, key, cid string) {
	c := s.reg.lookup(adapter.Ajax, key, cid)
	if c == nil || r.Form.Has("handshake?") {
		// A handshake, or a poll from a client the server forgot: (re)introduce it.
		if _, rej := s.reg.ensure(adapter.Ajax, uid, key, cid, r, false); rej != nil {
			s.reject(w, r, rej)
			return
		}
		hs, err := s.handshakeFrame(r, uid)
		if err != nil {
			s.log.Error("chsk: cannot pack the handshake", slog.Any("err", err))
			http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			return
		}
		s.writeFrame(w, hs)
		return
	}
	poll := adapter.ParkPoll(w, r, s.contentType)
	c, rej := s.reg.attach(c, poll, nil, r, nil)
	if rej != nil {
		s.answer(poll, s.timeoutFrame)
		return
	}
	s.stats.conns[1].Add(1)
	deadline := time.Now().Add(s.cfg.LongPollTimeout)
	timer := time.NewTimer(s.cfg.LongPollTimeout)
	defer timer.Stop()
	var parkC <-chan time.Time
	if d := s.cfg.ParkAfter; d > 0 && d < s.cfg.LongPollTimeout {
		if err := adapter.CanTakeOver(r); err != nil {
			s.park.logNoTakeOver(err)
		} else {
			park := time.NewTimer(d)
			defer park.Stop()
			parkC = park.C
		}
	}
	for {
		select {
		case <-poll.Done():
		case <-timer.C:
			s.answer(poll, s.timeoutFrame)
		case <-s.life.ctx.Done():
			s.answer(poll, s.timeoutFrame)
		case <-parkC:
			if s.takeOver(c, poll, r, deadline) {
				return
			}
			parkC = nil
			continue
		}
		break
	}
	c.detach(poll)
	s.stats.conns[1].Add(-1)
}

// takeOver lets the handler of a poll that waited ParkAfter return: its
// connection waits in the poller without a goroutine until a push, the
// deadline or Shutdown answers it, or its client goes away. It reports false
// if the poll cannot be taken over (see adapter.Poll.TakeOver); the handler
// then keeps waiting. Shutdown waits for a taken-over poll as for a
// handler: it answers every poll, and each ends right after its answer.
func (s *Server) takeOver(c *tab, poll *adapter.Poll, r *http.Request, deadline time.Time) bool {
	pl := s.park.poller()
	if pl == nil || !s.life.enter() {
		return false
	}
	t := s.life.afterFunc(time.Until(deadline), func() { s.answer(poll, s.timeoutFrame) })
	end := func() {
		defer s.life.leave()
		t.Stop()
		c.detach(poll)
		s.stats.conns[1].Add(-1)
	}
	if err := poll.TakeOver(r, pl, s.park.resumer(), end); err != nil {
		t.Stop()
		s.life.leave()
		s.park.logNoTakeOver(err)
		return false
	}
	s.stats.takenOver.Add(1)
	c.swapRequest(r, leanRequest(r))
	return true
}

// servePost runs the POST side: checks, one event, and the reply as the
// response: the handler's reply, :chsk/timeout when it does not come in
// time, or :chsk/dummy-cb-200 at once when the client wants none.
func (s *Server) servePost(w http.ResponseWriter, r *http.Request) {
	if !s.life.enter() {
		http.Error(w, "Server shutting down", http.StatusServiceUnavailable)
		return
	}
	defer s.life.leave()
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxMessageBytes)
	data, err := postData(r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.reject(w, r, &Rejection{Kind: RejectLimit, Status: http.StatusRequestEntityTooLarge,
				Body: "Request body too large", Reason: err.Error()})
			return
		}
		s.reject(w, r, &Rejection{Kind: RejectRequest, Status: http.StatusBadRequest, Body: "Bad request", Reason: err.Error()})
		return
	}
	if rej := s.check(r); rej != nil {
		s.reject(w, r, rej)
		return
	}
	cid := param(r, "client-id")
	if rej := checkClientIDLen(cid); rej != nil {
		s.reject(w, r, rej)
		return
	}
	s.stats.eventsIn[1].Add(1)
	s.stats.bytesIn[1].Add(uint64(len(data)))
	ev, cb, ok := s.unpackEvent(cid, data)
	if !ok {
		// Sente 1.21+ answers an unreadable POST with 500 and the reader's message.
		http.Error(w, "Bad package", http.StatusInternalServerError)
		return
	}
	m := &Message{Event: ev, UID: s.uidFor(r, cid), ClientID: cid, Transport: adapter.Ajax, Request: r}
	deliver := func() {
		if cid == "" {
			// Sente drops events without a client-id, yet still answers the POST.
			s.log.Debug("chsk: dropped an Ajax event without a usable client-id", slog.String("id", string(ev.ID)))
			return
		}
		s.deliver(m)
	}
	if !(wire.Envelope{CB: cb}).HasCB() {
		s.writeFrame(w, s.dummyFrame)
		_ = http.NewResponseController(w).Flush()
		deliver()
		return
	}
	rep := &postReply{ch: make(chan []byte, 1)}
	m.reply = func(v any) error {
		frame, err := s.cfg.Packer.Pack(nil, v, nil)
		if err != nil {
			return err
		}
		if err := rep.put(frame); err != nil {
			return err
		}
		s.stats.replies.Add(1)
		return nil
	}
	timer := time.NewTimer(s.cfg.LongPollTimeout)
	defer timer.Stop()
	deliver()
	var frame []byte
	select {
	case frame = <-rep.ch:
	case <-timer.C:
	case <-s.life.ctx.Done():
	case <-r.Context().Done():
	}
	rep.close()
	if frame == nil {
		frame = s.timeoutFrame
	}
	s.writeFrame(w, frame)
}

// writeFrame answers an Ajax request with one frame.
func (s *Server) writeFrame(w http.ResponseWriter, frame []byte) {
	s.stats.bytesOut[1].Add(uint64(len(frame)))
	adapter.WriteFrame(w, s.contentType, http.StatusOK, frame)
}

// ErrReplyTooLate is returned by Message.Reply for an Ajax event whose POST
// was already answered with :chsk/timeout.
var ErrReplyTooLate = errors.New("chsk: the Ajax request was answered already (timeout)")

// postReply carries an Ajax reply from the handler to the waiting POST.
type postReply struct {
	mu     sync.Mutex // a leaf
	ch     chan []byte
	closed bool
}

func (p *postReply) put(frame []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrReplyTooLate
	}
	p.ch <- frame // buffered, and Message.Reply lets only one call through
	return nil
}

func (p *postReply) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
}

// postData returns the packed envelope of an Ajax POST: the ppstr form field,
// or the raw body of a binary POST (binary?=true).
func postData(r *http.Request) ([]byte, error) {
	if r.URL.Query().Has("binary?") {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if err := r.ParseForm(); err != nil { // the query only, for client-id
			return nil, err
		}
		return b, nil
	}
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return []byte(r.Form.Get("ppstr")), nil
}
