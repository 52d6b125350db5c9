package chsk

import (
	"errors"
	"net/http"
	"sync/atomic"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

// Message is one event delivered to the server's Handler (Sente's event-msg).
type Message struct {
	// Event is the event; Event.ID and Event.Data are Sente's :id and :?data.
	Event wire.Event
	// UID is the user id of the request that carried the event.
	UID any
	// ClientID is the client's client-id (one per browser tab).
	ClientID string
	// Transport is the kind of connection the event came over.
	Transport adapter.Transport
	// Request is the request that carried the event: the WebSocket upgrade
	// request for every event of a socket, the POST for an Ajax event, the
	// connecting request for :chsk/uidport-open. A socket's events get its
	// upgrade request (treat it as read-only) or a copy of it: where sockets
	// park (Options.ParkAfter), a socket waits in the poller from its
	// handshake on and after each idle spell, keeping its header in wire
	// form, and the next message gets a new copy, with the header read back
	// and the form parsed again from the URL (a form that middleware set by
	// hand is not kept), shared by the messages until the socket waits
	// again. So do not key state by the pointer. The context is the same for every
	// copy: it keeps the request's values and ends with the socket. An Ajax
	// request's context ends when its response is written: do not use it
	// for work that outlives the handler call.
	Request *http.Request

	reply   func(any) error
	replied atomic.Bool
}

// ErrNoReply is returned by Reply when the client asked for no reply.
var ErrNoReply = errors.New("chsk: the client asked for no reply")

// ErrReplied is returned by Reply after the first call.
var ErrReplied = errors.New("chsk: already replied")

// ID returns the event's id.
func (m *Message) ID() wire.Keyword { return m.Event.ID }

// Data returns the event's data (Sente's :?data).
func (m *Message) Data() any { return m.Event.Data }

// Decode converts the event's data into dst, a pointer (see wire.Decode).
func (m *Message) Decode(dst any) error { return wire.Decode(m.Event.Data, dst) }

// WantsReply reports whether the client attached a callback (Sente's
// :?reply-fn is non-nil).
func (m *Message) WantsReply() bool { return m.reply != nil }

// Reply sends v to the client's callback. It may be called once, from any
// goroutine, also after the handler returned. Over Ajax the reply is the
// POST's response, so it must come within Options.LongPollTimeout.
func (m *Message) Reply(v any) error {
	if m.reply == nil {
		return ErrNoReply
	}
	if m.replied.Swap(true) {
		return ErrReplied
	}
	return m.reply(v)
}

// Handler responds to events.
type Handler interface {
	ServeEvent(m *Message)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(m *Message)

// ServeEvent calls f(m).
func (f HandlerFunc) ServeEvent(m *Message) { f(m) }
