package wire

// Handshake is the content of the first frame a server sends on a
// connection: the payload [:chsk/handshake [uid nil]] or
// [:chsk/handshake [uid nil data]]. The middle slot is always nil; it carried
// a CSRF token before Sente 1.14.
type Handshake struct {
	// UID is the connection's user id: any EDN value, typically a string,
	// or the nil-uid keyword (NilUID117, NilUID) for a request without a
	// user.
	UID any
	// Data is the server's handshake data, nil for none.
	Data any
}

// Event returns the handshake event. With threeSlots false and no Data it is
// [:chsk/handshake [uid nil]], what servers before 1.21 send; otherwise
// [:chsk/handshake [uid nil data]], what 1.21+ servers always send. Clients
// of every version read both.
func (h Handshake) Event(threeSlots bool) Event {
	if !threeSlots && h.Data == nil {
		return Event{ID: EvHandshake, Data: Vector{h.UID, nil}}
	}
	return Event{ID: EvHandshake, Data: Vector{h.UID, nil, h.Data}}
}

// ParseHandshake recognises a handshake payload as Sente clients do: a vector
// whose first element is :chsk/handshake. It reads the uid and the handshake
// data from slots 0 and 2 of the second element, so both the 2-slot and the
// 3-slot shape work; a missing second element gives a zero Handshake. It
// reports false for any other payload, and for a second element that is not
// a vector, a list or nil.
func ParseHandshake(payload any) (Handshake, bool) {
	var xs []any
	switch p := payload.(type) {
	case Vector:
		xs = p
	case []any:
		xs = p
	case Event:
		xs = []any{p.ID, p.Data}
	default:
		return Handshake{}, false
	}
	if len(xs) == 0 {
		return Handshake{}, false
	}
	if id, ok := xs[0].(Keyword); !ok || id != EvHandshake {
		return Handshake{}, false
	}
	var h Handshake
	if len(xs) < 2 {
		return h, true
	}
	var slots []any
	switch s := xs[1].(type) {
	case nil:
	case Vector:
		slots = s
	case List:
		slots = s
	case []any:
		slots = s
	default:
		return Handshake{}, false
	}
	if len(slots) > 0 {
		h.UID = slots[0]
	}
	if len(slots) > 2 {
		h.Data = slots[2]
	}
	return h, true
}
