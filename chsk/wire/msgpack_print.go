package wire

import (
	"encoding/binary"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// Extension types of Sente's MessagePack dialect (PROTOCOL §11.2).
const (
	extKeyword   = 0
	extSymbol    = 1
	extChar      = 2
	extRatio     = 3
	extSet       = 4
	extInt32s    = 5
	extFloat32s  = 6
	extFloat64s  = 7
	extCachedKey = 8
	extUUID      = 9
	extTime      = -1
)

// msgpackKeyCacheSize is the number of map keys the per-frame cache holds.
const msgpackKeyCacheSize = 256

// msgpackKey is an entry of the map-key cache: keyword :a and string "a"
// are different entries.
type msgpackKey struct {
	s  string
	kw bool
}

// msgpackWriter encodes one frame as Sente's JVM encoder does.
type msgpackWriter struct {
	buf  []byte
	keys map[msgpackKey]int
}

func (w *msgpackWriter) int(i int64) {
	b := w.buf
	switch {
	case i >= 0 && i <= 127:
		b = append(b, byte(i))
	case i >= 0 && i <= math.MaxUint8:
		b = append(b, 0xcc, byte(i))
	case i >= 0 && i <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(i))
	case i >= 0 && i <= math.MaxUint32:
		b = binary.BigEndian.AppendUint32(append(b, 0xce), uint32(i))
	case i >= -32 && i < 0:
		b = append(b, byte(i))
	case i >= math.MinInt8 && i < 0:
		b = append(b, 0xd0, byte(i))
	case i >= math.MinInt16 && i < 0:
		b = binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(i))
	case i >= math.MinInt32 && i < 0:
		b = binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(i))
	default: // the JVM encoder never writes uint64 (cf)
		b = binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(i))
	}
	w.buf = b
}

// head appends a length header: the fix form when n fits under fixMax, else
// the 8-bit (if op8 is not 0), 16-bit or 32-bit form.
func (w *msgpackWriter) head(n int, fix byte, fixMax int, op8, op16, op32 byte) {
	switch {
	case n <= fixMax:
		w.buf = append(w.buf, fix|byte(n))
	case op8 != 0 && n <= math.MaxUint8:
		w.buf = append(w.buf, op8, byte(n))
	case n <= math.MaxUint16:
		w.buf = binary.BigEndian.AppendUint16(append(w.buf, op16), uint16(n))
	default:
		w.buf = binary.BigEndian.AppendUint32(append(w.buf, op32), uint32(n))
	}
}

func (w *msgpackWriter) str(s string) error {
	if !utf8.ValidString(s) {
		return unsupported(reflect.TypeFor[string](), "invalid UTF-8")
	}
	if len(s) > math.MaxUint32 {
		return unsupported(reflect.TypeFor[string](), "longer than 4 GiB")
	}
	w.head(len(s), 0xa0, 31, 0xd9, 0xda, 0xdb)
	w.buf = append(w.buf, s...)
	return nil
}

// extHead appends the header of an extension of type typ with n bytes.
func (w *msgpackWriter) extHead(typ int8, n int) {
	switch n {
	case 1:
		w.buf = append(w.buf, 0xd4)
	case 2:
		w.buf = append(w.buf, 0xd5)
	case 4:
		w.buf = append(w.buf, 0xd6)
	case 8:
		w.buf = append(w.buf, 0xd7)
	case 16:
		w.buf = append(w.buf, 0xd8)
	default:
		switch {
		case n <= math.MaxUint8:
			w.buf = append(w.buf, 0xc7, byte(n))
		case n <= math.MaxUint16:
			w.buf = binary.BigEndian.AppendUint16(append(w.buf, 0xc8), uint16(n))
		default:
			w.buf = binary.BigEndian.AppendUint32(append(w.buf, 0xc9), uint32(n))
		}
	}
	w.buf = append(w.buf, byte(typ))
}

func (w *msgpackWriter) extText(typ int8, s string, t reflect.Type) error {
	if s == "" || !utf8.ValidString(s) {
		return unsupported(t, "empty or invalid UTF-8")
	}
	w.extHead(typ, len(s))
	w.buf = append(w.buf, s...)
	return nil
}

// extFrom turns the bytes appended since start into the payload of an
// extension of type typ, moving them behind its header.
func (w *msgpackWriter) extFrom(start int, typ int8) {
	payload := append([]byte(nil), w.buf[start:]...)
	w.buf = w.buf[:start]
	w.extHead(typ, len(payload))
	w.buf = append(w.buf, payload...)
}

func (w *msgpackWriter) value(v any, depth int) error {
	if depth > printMaxDepth {
		return tooDeep(reflect.TypeOf(v))
	}
	switch x := v.(type) {
	case nil:
		w.buf = append(w.buf, 0xc0)
	case bool:
		if x {
			w.buf = append(w.buf, 0xc3)
		} else {
			w.buf = append(w.buf, 0xc2)
		}
	case int64:
		w.int(x)
	case int:
		w.int(int64(x))
	case string:
		return w.str(x)
	case Keyword:
		return w.extText(extKeyword, string(x), reflect.TypeFor[Keyword]())
	case *Map:
		return w.mapValue(x, depth)
	case Vector:
		return w.array(x, depth)
	case []any:
		return w.array(x, depth)
	case List:
		return w.array(x, depth)
	case float64:
		w.float64(x)
	case float32:
		bits := math.Float32bits(x)
		if x != x {
			bits = 0x7fc00000 // Java's canonical NaN
		}
		w.buf = binary.BigEndian.AppendUint32(append(w.buf, 0xca), bits)
	case Symbol:
		return w.extText(extSymbol, string(x), reflect.TypeFor[Symbol]())
	case Char:
		if !utf8.ValidRune(rune(x)) {
			return unsupported(reflect.TypeFor[Char](), "not a valid character")
		}
		return w.extText(extChar, string(rune(x)), reflect.TypeFor[Char]())
	case *big.Int:
		if x == nil {
			w.buf = append(w.buf, 0xc0)
		} else if !x.IsInt64() {
			return unsupported(reflect.TypeFor[*big.Int](), "beyond the int64 range MessagePack has")
		} else {
			w.int(x.Int64())
		}
	case BigDecimal:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !isRangeErr(err) || !isDecimalLiteral(string(x)) {
			return unsupported(reflect.TypeFor[BigDecimal](), "not a decimal number: "+quoteShort(string(x)))
		}
		w.float64(f) // as Sente does
	case *big.Rat:
		if x == nil {
			w.buf = append(w.buf, 0xc0)
			break
		}
		if !x.Num().IsInt64() || !x.Denom().IsInt64() {
			return unsupported(reflect.TypeFor[*big.Rat](), "beyond the int64 range MessagePack has")
		}
		if x.IsInt() {
			w.int(x.Num().Int64())
			break
		}
		start := len(w.buf)
		w.int(x.Num().Int64())
		w.int(x.Denom().Int64())
		w.extFrom(start, extRatio)
	case *Set:
		start := len(w.buf)
		if err := w.array(x.Elems(), depth); err != nil {
			return err
		}
		w.extFrom(start, extSet)
	case UUID:
		w.extHead(extUUID, 36)
		w.buf = append(w.buf, x.String()...)
	case time.Time:
		w.extHead(extTime, 12)
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(x.Nanosecond()))
		w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(x.Unix()))
	case []byte:
		if len(x) > math.MaxUint32 {
			return unsupported(reflect.TypeFor[[]byte](), "longer than 4 GiB")
		}
		w.head(len(x), 0, -1, 0xc4, 0xc5, 0xc6)
		w.buf = append(w.buf, x...)
	case Int32Array:
		w.extHead(extInt32s, 4*len(x))
		for _, e := range x {
			w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(e))
		}
	case Float32Array:
		w.extHead(extFloat32s, 4*len(x))
		for _, e := range x {
			w.buf = binary.BigEndian.AppendUint32(w.buf, math.Float32bits(e))
		}
	case Float64Array:
		w.extHead(extFloat64s, 8*len(x))
		for _, e := range x {
			w.buf = binary.BigEndian.AppendUint64(w.buf, math.Float64bits(e))
		}
	case Ext:
		w.extHead(x.Type, len(x.Data))
		w.buf = append(w.buf, x.Data...)
	case Tagged:
		return unsupported(reflect.TypeFor[Tagged](), "MessagePack has no tagged literals")
	default:
		n, err := normalize(v)
		if err != nil {
			return unsupportedFrom(v, err)
		}
		return w.value(n, depth+1)
	}
	return nil
}

func (w *msgpackWriter) float64(f float64) {
	bits := math.Float64bits(f)
	if f != f {
		bits = 0x7ff8000000000000 // Java's canonical NaN
	}
	w.buf = binary.BigEndian.AppendUint64(append(w.buf, 0xcb), bits)
}

func (w *msgpackWriter) array(xs []any, depth int) error {
	w.head(len(xs), 0x90, 15, 0, 0xdc, 0xdd)
	for i, x := range xs {
		if err := w.value(x, depth+1); err != nil {
			return withIndex(err, i)
		}
	}
	return nil
}

func (w *msgpackWriter) mapValue(m *Map, depth int) error {
	entries := m.Entries()
	w.head(len(entries), 0x80, 15, 0, 0xde, 0xdf)
	for _, e := range entries {
		if err := w.key(e.Key, depth); err != nil {
			return withKey(err, e.Key)
		}
		if err := w.value(e.Value, depth+1); err != nil {
			return withKey(err, e.Key)
		}
	}
	return nil
}

// key writes a map key through the frame's key cache: a keyword or string
// seen before as a key becomes a reference to its index.
func (w *msgpackWriter) key(k any, depth int) error {
	var ck msgpackKey
	switch x := k.(type) {
	case Keyword:
		ck = msgpackKey{string(x), true}
	case string:
		ck = msgpackKey{x, false}
	default:
		return w.value(k, depth+1)
	}
	if i, ok := w.keys[ck]; ok {
		w.buf = append(w.buf, 0xd4, extCachedKey, byte(i))
		return nil
	}
	if err := w.value(k, depth+1); err != nil {
		return err
	}
	if w.keys == nil {
		w.keys = make(map[msgpackKey]int)
	}
	if len(w.keys) < msgpackKeyCacheSize {
		w.keys[ck] = len(w.keys)
	}
	return nil
}
