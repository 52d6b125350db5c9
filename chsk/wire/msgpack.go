package wire

import (
	"bytes"
	"slices"
	"sync"
)

// MsgPack is Sente's MessagePack packer (taoensso.sente.packers.msgpack,
// Sente 1.21+): frames are binary, in Sente's own dialect of MessagePack,
// written byte for byte as Sente's JVM encoder writes them (PROTOCOL §11.2).
//
// Values map as in the EDN packer (see the package documentation), with
// these MessagePack forms: keywords, symbols, characters, ratios, sets and
// UUIDs as Sente's extension types; instants as the 12-byte timestamp
// extension; lists as arrays (they read back as vectors); BigDecimal as its
// float64 value (as Sente does); *big.Int only within the int64 range; []byte
// as bin; Int32Array, Float32Array and Float64Array as Sente's typed-array
// extensions; Ext for any other extension. Map keys that are keywords or
// strings go through Sente's per-frame key cache. Tagged values have no
// MessagePack form.
//
// Unpack reads the first value of a frame and ignores what follows, as the
// JVM decoder does: Sente 1.22's browser client pads its Ajax POST bodies
// with zero bytes up to 1024.
//
// The zero value reads with the reader's default limits. Frames are always
// written in Format121: Sente has MessagePack only from 1.21 on.
type MsgPack struct {
	// Limits bounds what Unpack reads, as for the EDN packer: MaxBytes the
	// frame, MaxDepth the nesting, MaxElements each array, map or set.
	// MaxDigits and Tags are not used.
	Limits ReadOptions
}

// Int32Array is a JVM int[] (a JavaScript Int32Array), Sente's MessagePack
// extension type 5.
type Int32Array []int32

// Float32Array is a JVM float[] (a JavaScript Float32Array), extension type 6.
type Float32Array []float32

// Float64Array is a JVM double[] (a JavaScript Float64Array), extension type 7.
type Float64Array []float64

// Ext is a MessagePack extension value of a type Sente does not define,
// kept as it was read.
type Ext struct {
	Type int8
	Data []byte
}

var msgpackWriters = sync.Pool{New: func() any { return new(msgpackWriter) }}

// Pack appends the MessagePack frame for payload and cb to dst. Values
// MessagePack cannot express give an *UnsupportedValueError and dst
// unchanged.
func (p MsgPack) Pack(dst []byte, payload, cb any) ([]byte, error) {
	n := len(dst)
	w := msgpackWriters.Get().(*msgpackWriter)
	w.buf = dst
	err := w.value(Vector{payload, cb}, 0)
	dst = w.buf
	w.buf = nil
	clear(w.keys)
	msgpackWriters.Put(w)
	if err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// Unpack reads a MessagePack frame: [payload cb], or any vector or nil as
// for the other packers. Every failure is a *BadPackageError whose Err is a
// *SyntaxError or *LimitError with Format "msgpack", or ErrNotEnvelope.
func (p MsgPack) Unpack(data []byte) (Envelope, error) {
	v, err := readMsgpack(data, limitsOf(&p.Limits))
	if err != nil {
		return Envelope{}, &BadPackageError{Text: badText(data, err), Err: err}
	}
	env, ok := envelopeFrom(v, 0)
	if !ok {
		return Envelope{}, &BadPackageError{Text: badText(data, nil), Err: ErrNotEnvelope, value: v}
	}
	return env, nil
}

// Binary reports true: MessagePack frames are bytes.
func (MsgPack) Binary() bool { return true }

// equalBinary compares the values only MessagePack has: equal when of the
// same type with the same contents (typed arrays as Java's Arrays.equals).
func equalBinary(a, b any) bool {
	switch x := a.(type) {
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case Int32Array:
		y, ok := b.(Int32Array)
		return ok && slices.Equal(x, y)
	case Float32Array:
		y, ok := b.(Float32Array)
		return ok && slices.Equal(x, y)
	case Float64Array:
		y, ok := b.(Float64Array)
		return ok && slices.Equal(x, y)
	case Ext:
		y, ok := b.(Ext)
		return ok && x.Type == y.Type && bytes.Equal(x.Data, y.Data)
	}
	return false
}
