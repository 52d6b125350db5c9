package wire

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Envelope is the logical content of one frame: a payload and an optional
// callback id. Every Sente frame, in either direction, is a packed envelope.
type Envelope struct {
	// Payload is an event, a vector of events, a bare keyword such as
	// :chsk/ws-ping, or any reply value.
	Payload any
	// CB is the callback id, or nil for none. It is an opaque value: a
	// 6-character string over WebSocket, AjaxCB for Ajax POSTs, but a peer
	// may send any EDN value and a reply must echo it unchanged.
	CB any
}

// HasCB reports whether the envelope asks for a reply, by Clojure truthiness:
// every CB except nil and false counts, including 0, "" and AjaxCB.
func (e Envelope) HasCB() bool { return truthy(e.CB) }

func truthy(v any) bool {
	b, isBool := v.(bool)
	return v != nil && (!isBool || b)
}

// AjaxCB is the callback marker of an Ajax POST that wants a reply, as 1.21+
// clients send it. Older clients send the integer 0, which Unpack turns into
// AjaxCB. The reply to an Ajax POST is its HTTP response, so the marker is only
// ever tested for truthiness.
const AjaxCB Keyword = "ajax"

// Format selects how envelopes are written (PROTOCOL §3.2). The zero value,
// Format121, is the recommended one: every client from 1.17 on reads it.
type Format uint8

const (
	// Format121 writes [payload cb-or-nil], always two elements
	// (Sente 1.21+).
	Format121 Format = iota
	// Format118 writes [payload] without a callback and [payload cb] with
	// one (Sente 1.18–1.20).
	Format118
	// Format117 writes "+" followed by [payload] or [payload cb]
	// (Sente 1.17). Clients from 1.21 on cannot read it.
	Format117
	// Format116 writes "-" followed by the bare payload without a callback
	// and "+[payload cb]" with one (Sente 1.16 and older, the only format
	// those clients read). Clients from 1.21 on cannot read it.
	Format116
)

// String returns the format's name, such as "Format121".
func (f Format) String() string {
	switch f {
	case Format121:
		return "Format121"
	case Format118:
		return "Format118"
	case Format117:
		return "Format117"
	case Format116:
		return "Format116"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// mustValid panics for a Format outside the defined constants: choosing one is
// a programming error, not a property of the data.
func (f Format) mustValid() {
	if f > Format116 {
		panic("wire: unknown envelope " + f.String())
	}
}

// AppendEnvelope appends the EDN frame for payload and cb (nil for no
// callback) in format f to dst. On error, which comes from printing a value
// EDN cannot express, it returns dst unchanged and the printer's error. It
// panics if f is not one of the defined formats.
func AppendEnvelope(dst []byte, f Format, payload, cb any) ([]byte, error) {
	f.mustValid()
	n := len(dst)
	var err error
	switch {
	case f == Format116 && cb == nil:
		dst = append(dst, '-')
		dst, err = Append(dst, payload)
	default:
		if f == Format117 || f == Format116 {
			dst = append(dst, '+')
		}
		dst = append(dst, '[')
		if dst, err = Append(dst, payload); err != nil {
			break
		}
		switch {
		case cb != nil:
			dst = append(dst, ' ')
			dst, err = Append(dst, cb)
		case f == Format121:
			dst = append(dst, " nil"...)
		}
		dst = append(dst, ']')
	}
	if err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// AppendBatch appends the frame of a push batch, the vector of the given
// events, in format f to dst. Each element must hold one printed event (see
// Raw), so that a server fanning a batch out to many connections prints each
// event once. The result is byte for byte what AppendEnvelope gives for
// Vector{events...} and no callback. It panics if f is not one of the defined
// formats.
func AppendBatch(dst []byte, f Format, events []Raw) []byte {
	f.mustValid()
	switch f {
	case Format116:
		dst = append(dst, '-')
	case Format117:
		dst = append(dst, '+', '[')
	default:
		dst = append(dst, '[')
	}
	dst = append(dst, '[')
	for i, e := range events {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, e...)
	}
	dst = append(dst, ']')
	switch f {
	case Format121:
		dst = append(dst, " nil]"...)
	case Format118, Format117:
		dst = append(dst, ']')
	}
	return dst
}

// ErrNotEnvelope reports frame text that reads as EDN but not as an envelope:
// a symbol, number, keyword, string, map or set where Sente expects a vector,
// a list or nil. Real Sente servers throw on such frames and drop them.
var ErrNotEnvelope = errors.New("wire: frame is not an envelope (expected a vector, a list or nil)")

// BadPackageError reports a frame that Unpack could not turn into an
// envelope. Its Err is the reader's error (a *SyntaxError, a *LimitError, or
// another error of the reader, reachable with errors.As) when the text is not
// readable EDN, and ErrNotEnvelope when it reads as something other than an
// envelope.
type BadPackageError struct {
	// Text is the frame's text without its '+' or '-' prefix: what a server
	// reports as [:chsk/bad-package text]. So that it can be printed, each
	// run of invalid UTF-8 (a binary frame, say) is replaced by U+FFFD. When
	// the reader rejected the frame for exceeding ReadOptions.MaxBytes, Text
	// holds only the first MaxBytes bytes.
	Text string
	// Prefix is the frame's legacy prefix, '+' or '-', or 0 for none.
	Prefix byte
	// Err is the reader's error or ErrNotEnvelope.
	Err error

	value any // what was read, when Err is ErrNotEnvelope
}

// Error describes the failure.
func (e *BadPackageError) Error() string {
	if e.Prefix != 0 {
		return fmt.Sprintf("wire: bad package (prefix %q): %v", e.Prefix, e.Err)
	}
	return "wire: bad package: " + e.Err.Error()
}

// Unwrap returns Err.
func (e *BadPackageError) Unwrap() error { return e.Err }

// Unpack reads one EDN frame as any Sente version may have written it
// (PROTOCOL §3.3), the union of every version's reader:
//
//   - "+" prefix: the rest reads as [payload] or [payload cb] (Sente ≤1.17);
//   - "-" prefix: the rest reads as the bare payload (Sente ≤1.16);
//   - no prefix: [payload], [payload cb] or [payload cb-or-nil] (1.18+).
//
// A vector or list contributes its first two elements (missing ones are nil,
// extra ones ignored); nil reads as an empty envelope. Empty text, including a
// lone prefix, gives a nil payload. The reader reads one form after optional
// whitespace and ignores anything after it, as Clojure's does. A callback id
// of integer 0, the Ajax marker of clients before 1.21, becomes AjaxCB.
//
// Every failure is a *BadPackageError: text that is not readable EDN
// (malformed, whitespace only, invalid UTF-8, over a limit of opts) or that
// reads as something other than a vector, a list or nil (ErrNotEnvelope).
// opts nil means the reader's default limits.
func Unpack(data []byte, opts *ReadOptions) (Envelope, error) {
	var prefix byte
	text := data
	if len(text) > 0 && (text[0] == '+' || text[0] == '-') {
		prefix, text = text[0], text[1:]
	}
	if len(text) == 0 {
		return Envelope{}, nil
	}
	v, _, err := ReadPrefix(text, opts)
	if err != nil {
		return Envelope{}, &BadPackageError{Text: badText(text, err), Prefix: prefix, Err: err}
	}
	env, ok := envelopeFrom(v, prefix)
	if !ok {
		return Envelope{}, &BadPackageError{Text: badText(text, nil), Prefix: prefix, Err: ErrNotEnvelope, value: v}
	}
	return env, nil
}

func firstTwo(xs []any) Envelope {
	var env Envelope
	if len(xs) > 0 {
		env.Payload = xs[0]
	}
	if len(xs) > 1 {
		env.CB = xs[1]
	}
	return env
}

// badText copies the frame text for a BadPackageError: only as much of it as
// the size limit allowed when that limit is what failed, and valid UTF-8.
func badText(text []byte, err error) string {
	var le *LimitError
	if errors.As(err, &le) && le.Limit == "bytes" && le.Max >= 0 && len(text) > le.Max {
		text = text[:le.Max]
	}
	if !utf8.Valid(text) {
		return string(bytes.ToValidUTF8(text, []byte("\uFFFD")))
	}
	return string(text)
}
