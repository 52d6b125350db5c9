package wire

import "sync"

// Transit is Sente's Transit packer (taoensso.sente.packers.transit, format
// :json): frames are Transit JSON text, as transit-js and transit-clj write
// it, with the per-frame cache of repeated map keys, keywords, symbols and
// tags. Unpack also reads the :json-verbose form and skips the leading space
// a reused JVM writer puts before a frame.
//
// Values map as in the EDN packer (see the package documentation), with
// these Transit forms: keywords "~:k", symbols "~$s", lists ["~#list",[…]],
// sets ["~#set",[…]], maps with keys that are not scalars ["~#cmap",[…]],
// UUIDs "~u…", instants "~m<ms>" (read also as "~t<RFC 3339>"), integers
// beyond ±(2^53−1) "~i…", *big.Int "~n…", BigDecimal "~f…", ratios
// ["~#ratio",[…]], characters "~c…", ##NaN/##Inf "~z…", []byte "~b<base64>".
// Other tags read as Tagged values.
//
// The zero value writes Format121 and reads every format with the reader's
// default limits.
type Transit struct {
	// Format is the envelope format Pack writes: Format117 puts Sente
	// 1.17's "+" before the Transit text. Unpack reads all of them.
	Format Format
	// Limits bounds what Unpack reads, as for the EDN packer: MaxBytes the
	// frame, MaxDepth the nesting, MaxElements each array or map, MaxDigits
	// each number. Tags is not used.
	Limits ReadOptions
}

var transitWriters = sync.Pool{New: func() any { return new(transitWriter) }}

// Pack appends the Transit JSON frame for payload and cb to dst. Values
// Transit cannot express give an *UnsupportedValueError and dst unchanged.
func (p Transit) Pack(dst []byte, payload, cb any) ([]byte, error) {
	prefix, v := envelopeValue(p.Format, payload, cb)
	n := len(dst)
	if prefix != 0 {
		dst = append(dst, prefix)
	}
	w := transitWriters.Get().(*transitWriter)
	w.buf = dst
	var err error
	if _, isVector := v.(Vector); !isVector {
		// A bare payload (Format116) that is not a collection is quoted,
		// as Transit writes a top-level scalar.
		w.tagged("'")
		if err = w.value(v, false, 0); err == nil {
			w.buf = append(w.buf, ']')
		}
	} else {
		err = w.value(v, false, 0)
	}
	dst = w.buf
	w.buf = nil
	if len(w.cache) > 256 {
		w.cache = nil
	} else {
		clear(w.cache)
	}
	transitWriters.Put(w)
	if err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// Unpack reads a Transit frame in any format. Every failure is a
// *BadPackageError, as for the EDN packer; its Err is a *SyntaxError or a
// *LimitError with Format "transit", or ErrNotEnvelope. Empty text is an
// error: it is not JSON.
func (p Transit) Unpack(data []byte) (Envelope, error) {
	var prefix byte
	text := data
	if len(text) > 0 && (text[0] == '+' || text[0] == '-') {
		prefix, text = text[0], text[1:]
	}
	v, err := readTransit(text, limitsOf(&p.Limits))
	if err != nil {
		return Envelope{}, &BadPackageError{Text: badText(text, err), Prefix: prefix, Err: err}
	}
	env, ok := envelopeFrom(v, prefix)
	if !ok {
		return Envelope{}, &BadPackageError{Text: badText(text, nil), Prefix: prefix, Err: ErrNotEnvelope, value: v}
	}
	return env, nil
}

// Binary reports false: Transit frames are text.
func (Transit) Binary() bool { return false }
