package wire

// This file holds what the packers other than EDN share: the envelope as a
// value to encode, and the envelope read back from a decoded value.

// envelopeValue returns the value a packer encodes for payload and cb in
// format f, and the legacy prefix to put before it (0 for none).
func envelopeValue(f Format, payload, cb any) (prefix byte, v any) {
	f.mustValid()
	switch {
	case f == Format116 && cb == nil:
		return '-', payload
	case f == Format116 || f == Format117:
		prefix = '+'
	}
	switch {
	case cb != nil:
		return prefix, Vector{payload, cb}
	case f == Format121:
		return prefix, Vector{payload, nil}
	}
	return prefix, Vector{payload}
}

// envelopeFrom turns a decoded frame value into an envelope as Unpack does:
// after a '-' prefix the value is the payload; otherwise it must be a vector,
// a list or nil, whose first two elements are the payload and the callback
// id. It reports false for any other value. An integer 0 callback id becomes
// AjaxCB.
func envelopeFrom(v any, prefix byte) (Envelope, bool) {
	if prefix == '-' {
		return Envelope{Payload: v}, true
	}
	var env Envelope
	switch x := v.(type) {
	case nil:
		return env, true
	case Vector:
		env = firstTwo(x)
	case List:
		env = firstTwo(x)
	default:
		return env, false
	}
	if i, ok := asInt64(env.CB); ok && i == 0 {
		env.CB = AjaxCB
	}
	return env, true
}

// readLimits resolves the limits of o, nil or zero fields meaning the
// defaults, the way the EDN reader does.
type readLimits struct {
	maxBytes, maxDepth, maxDigits, maxElements int
}

func limitsOf(o *ReadOptions) readLimits {
	l := readLimits{DefaultMaxBytes, DefaultMaxDepth, DefaultMaxDigits, DefaultMaxElements}
	if o == nil {
		return l
	}
	if o.MaxBytes > 0 {
		l.maxBytes = o.MaxBytes
	}
	if o.MaxDepth > 0 {
		l.maxDepth = min(o.MaxDepth, maxDepthCeiling)
	}
	if o.MaxDigits > 0 {
		l.maxDigits = o.MaxDigits
	}
	if o.MaxElements > 0 {
		l.maxElements = o.MaxElements
	}
	return l
}
