package wire

import (
	"errors"
	"fmt"
	"io"
)

// Event is a Sente event: the vector [:ns/id] or [:ns/id data]. The id must be
// a namespaced keyword. An Event prints as [:ns/id] when Data is nil and as
// [:ns/id data] otherwise.
type Event struct {
	ID   Keyword
	Data any
}

// Reserved event ids. The chsk namespace belongs to Sente: applications must
// not use it for their own events, and a server must not push chsk events.
const (
	// EvHandshake is the first server frame of a connection,
	// [:chsk/handshake [uid nil]] or [:chsk/handshake [uid nil data]]
	// (see Handshake).
	EvHandshake Keyword = "chsk/handshake"
	// EvWsPing is both the id of a client's keep-alive event [:chsk/ws-ping]
	// and, as a bare keyword, the payload of a server's keep-alive ping.
	EvWsPing Keyword = "chsk/ws-ping"
	// EvWsPong is the id of the event [:chsk/ws-pong] with which 1.19+
	// clients answer a server ping.
	EvWsPong Keyword = "chsk/ws-pong"
	// EvUidportOpen is the server-local event [:chsk/uidport-open uid]: the
	// first connection of a uid opened.
	EvUidportOpen Keyword = "chsk/uidport-open"
	// EvUidportClose is the server-local event [:chsk/uidport-close uid]: the
	// last connection of a uid closed.
	EvUidportClose Keyword = "chsk/uidport-close"
	// EvBadEvent wraps a payload that read fine but is not a valid event:
	// [:chsk/bad-event payload] (see BadEvent).
	EvBadEvent Keyword = "chsk/bad-event"
	// EvBadPackage reports a frame that could not be read:
	// [:chsk/bad-package text] (see BadPackage and ServerEvent).
	EvBadPackage Keyword = "chsk/bad-package"
	// EvState is the client-local event [:chsk/state [old new]] (1.17) or
	// [:chsk/state [old new open-changed?]] (1.18+).
	EvState Keyword = "chsk/state"
	// EvRecv is the client-local event [:chsk/recv ev] with which 1.17
	// clients wrap each pushed event.
	EvRecv Keyword = "chsk/recv"
	// EvClose is the special server push [:chsk/close], which makes a
	// server close the uid's connections instead of sending it.
	EvClose Keyword = "chsk/close"
)

// Reserved keywords that travel as payloads or callback values, never as
// event ids.
const (
	// KwTimeout is the payload of an Ajax long-poll that timed out, of an
	// Ajax POST whose handler did not reply in time, and the value a client
	// callback receives when its own timer expires.
	KwTimeout Keyword = "chsk/timeout"
	// KwDummyCB200 is the immediate reply to an Ajax POST without a callback.
	KwDummyCB200 Keyword = "chsk/dummy-cb-200"
	// KwClosed is the client-local callback value for a send attempted while
	// the channel socket is not open. It never travels on the wire.
	KwClosed Keyword = "chsk/closed"
	// KwError is the client-local callback value for a failed send. It never
	// travels on the wire.
	KwError Keyword = "chsk/error"
	// NilUID117 is the uid of a request without a user, as 1.17 servers
	// name it.
	NilUID117 Keyword = "taoensso.sente/nil-uid"
	// NilUID is the uid of a request without a user, as 1.18+ servers name it.
	NilUID Keyword = "sente/nil-uid"
	// AllUsersWithoutUID is the special server send target that reaches
	// every connection whose uid is the nil uid.
	AllUsersWithoutUID Keyword = "sente/all-users-without-uid"
)

// ErrBadEvent reports a value that is not a valid event: not a vector of one
// or two elements whose first element is a namespaced keyword.
var ErrBadEvent = errors.New("wire: not a valid event")

// ParseEvent validates v as Sente does and returns it as an Event. v is valid
// iff it is a vector (Vector or []any) of one or two elements whose first
// element is a Keyword with a namespace; a valid Event value is returned as
// is. Lists, like everything else, are rejected with ErrBadEvent: Sente's
// validate-event requires a vector.
//
// Both [:ns/id] and [:ns/id nil] give Event{ID: "ns/id"}.
func ParseEvent(v any) (Event, error) {
	var xs []any
	switch x := v.(type) {
	case Vector:
		xs = x
	case []any:
		xs = x
	case Event:
		if x.ID.Namespace() == "" {
			return Event{}, ErrBadEvent
		}
		return x, nil
	default:
		return Event{}, ErrBadEvent
	}
	if len(xs) != 1 && len(xs) != 2 {
		return Event{}, ErrBadEvent
	}
	id, ok := xs[0].(Keyword)
	if !ok || id.Namespace() == "" {
		return Event{}, ErrBadEvent
	}
	ev := Event{ID: id}
	if len(xs) == 2 {
		ev.Data = xs[1]
	}
	return ev, nil
}

// AsEvent returns v as an Event when it is valid (see ParseEvent) and
// BadEvent(v) otherwise, which is what a Sente server hands its handler.
func AsEvent(v any) Event {
	ev, err := ParseEvent(v)
	if err != nil {
		return BadEvent(v)
	}
	return ev
}

// BadEvent returns [:chsk/bad-event v], the event a server handler receives
// in place of a payload v that is not a valid event.
func BadEvent(v any) Event { return Event{ID: EvBadEvent, Data: v} }

// BadPackage returns [:chsk/bad-package text], the event a server handler
// receives for a frame whose text could not be read (see ServerEvent).
func BadPackage(text string) Event { return Event{ID: EvBadPackage, Data: text} }

// ErrBadBatch reports a push payload that is not a vector of valid events.
// The error returned by ParseBatch for an invalid element also matches
// ErrBadEvent.
var ErrBadBatch = errors.New("wire: push payload is not a vector of events")

// ParseBatch reads the payload of a server push: a vector of events, each
// valid per ParseEvent, delivered in order.
func ParseBatch(payload any) ([]Event, error) {
	var xs []any
	switch p := payload.(type) {
	case Vector:
		xs = p
	case []any:
		xs = p
	default:
		return nil, ErrBadBatch
	}
	evs := make([]Event, len(xs))
	for i, x := range xs {
		ev, err := ParseEvent(x)
		if err != nil {
			return nil, fmt.Errorf("%w: element %d: %w", ErrBadBatch, i, err)
		}
		evs[i] = ev
	}
	return evs, nil
}

// BadPackageMode selects how a server reports frames it cannot read
// (PROTOCOL §3.6). The zero value is the recommended BadPackageEvent; values
// other than the constants below act like it.
type BadPackageMode uint8

const (
	// BadPackageEvent delivers [:chsk/bad-package text] without a callback,
	// text being the frame minus its prefix: the documented intent of 1.17
	// and what 1.18–1.20 servers do for unreadable EDN. Frames that read as
	// something other than an envelope (42, {:a 1}, garbage) are reported
	// the same way, where real servers throw and drop them.
	BadPackageEvent BadPackageMode = iota
	// BadPackage117 reproduces a 1.17 server exactly: unreadable text
	// without prefix or with "+" becomes [:chsk/bad-event :chsk/bad-package]
	// with the text as callback id (so the handler gets a reply function),
	// with "-" it becomes [:chsk/bad-package text], empty text is unreadable
	// too, and frames that read as something other than an envelope are
	// dropped (a top-level string is split into its first two characters,
	// which become payload and callback id).
	BadPackage117
	// BadPackageDrop reproduces a 1.21+ server: unreadable frames and every
	// frame with a "+" or "-" prefix are dropped without an event, as are
	// frames that read as something other than an envelope (except a
	// top-level string, split as in BadPackage117). An Ajax server answers
	// such a POST with status 500.
	BadPackageDrop
)

// ServerEvent reads a client frame and returns what a server handler
// receives: the event, after invalid events are wrapped as
// [:chsk/bad-event payload], and the callback id (nil for none; test it with
// Envelope.HasCB semantics). mode chooses how unreadable frames are reported.
//
// ok reports whether there is an event to deliver. err is nil for a frame
// that unpacked cleanly, including one that carries an invalid event;
// otherwise it describes what was wrong with the frame (a *BadPackageError),
// for logging, whether or not the mode turned the frame into an event.
//
// The callback id is Unpack's in every mode, so a 0 marker is AjaxCB even
// where a real 1.17 server would say :ajax-cb and a 1.21+ one would keep 0;
// both are only ever tested for truthiness.
func ServerEvent(data []byte, mode BadPackageMode, opts *ReadOptions) (ev Event, cb any, ok bool, err error) {
	if mode == BadPackage117 && len(data) == 0 {
		// Encore 3.23.0 short-cuts only the literal "" by identity; a frame
		// off the wire goes to the reader and fails at EOF.
		_, _, rerr := ReadPrefix(data, opts)
		if rerr == nil {
			rerr = io.ErrUnexpectedEOF
		}
		return BadEvent(EvBadPackage), "", true, &BadPackageError{Err: rerr}
	}
	if mode == BadPackageDrop && len(data) > 0 && (data[0] == '+' || data[0] == '-') {
		// A 1.21+ reader reads the prefix as a symbol (or a signed number)
		// and fails to destructure it.
		return Event{}, nil, false, &BadPackageError{Text: badText(data[1:], nil), Prefix: data[0], Err: ErrNotEnvelope}
	}
	env, err := Unpack(data, opts)
	if err == nil {
		return AsEvent(env.Payload), env.CB, true, nil
	}
	var bp *BadPackageError
	if !errors.As(err, &bp) {
		return Event{}, nil, false, err
	}
	if bp.Err == ErrNotEnvelope {
		if mode == BadPackageEvent {
			return BadPackage(bp.Text), nil, true, err
		}
		s, isString := bp.value.(string)
		if !isString {
			return Event{}, nil, false, err
		}
		env = firstTwo(splitChars(s))
		return AsEvent(env.Payload), env.CB, true, err
	}
	switch mode {
	case BadPackage117:
		if bp.Prefix == '-' {
			return BadPackage(bp.Text), nil, true, err
		}
		return BadEvent(EvBadPackage), bp.Text, true, err
	case BadPackageDrop:
		return Event{}, nil, false, err
	}
	return BadPackage(bp.Text), nil, true, err
}

// splitChars returns the first two characters of s, as Clojure's sequential
// destructuring of a string sees them. It counts code points where Java
// counts UTF-16 units, which differs only beyond the Basic Multilingual Plane.
func splitChars(s string) []any {
	var cs []any
	for _, r := range s {
		if len(cs) == 2 {
			break
		}
		cs = append(cs, Char(r))
	}
	return cs
}
