package wire

import (
	"encoding/binary"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"
)

// msgpackReader decodes one value of Sente's MessagePack dialect. end bounds
// the bytes it may read: the frame, or an extension's payload.
type msgpackReader struct {
	data  []byte
	pos   int
	end   int
	depth int
	lim   readLimits
	keys  []any // the frame's map-key cache
}

func (r *msgpackReader) fail(msg string) error {
	return &SyntaxError{Offset: r.pos, Msg: msg, Format: "msgpack"}
}

func (r *msgpackReader) limit(name string, max int) error {
	return &LimitError{Limit: name, Max: max, Offset: r.pos, Format: "msgpack"}
}

// readMsgpack reads the first value of data and ignores the rest.
func readMsgpack(data []byte, lim readLimits) (any, error) {
	if len(data) > lim.maxBytes {
		return nil, &LimitError{Limit: "bytes", Max: lim.maxBytes, Offset: lim.maxBytes, Format: "msgpack"}
	}
	r := msgpackReader{data: data, end: len(data), lim: lim}
	return r.value(false)
}

// take returns the next n bytes.
func (r *msgpackReader) take(n int) ([]byte, error) {
	if n < 0 || n > r.end-r.pos {
		return nil, r.fail("unexpected end of input")
	}
	b := r.data[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

// length reads a big-endian length of size bytes (1, 2 or 4).
func (r *msgpackReader) length(size int) (int, error) {
	b, err := r.take(size)
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return int(b[0]), nil
	case 2:
		return int(binary.BigEndian.Uint16(b)), nil
	}
	return int(binary.BigEndian.Uint32(b)), nil
}

// count checks a collection's element count against the limit and against
// the bytes left (each element takes at least minBytes).
func (r *msgpackReader) count(n, minBytes int) error {
	if n > r.lim.maxElements {
		return r.limit("elements", r.lim.maxElements)
	}
	if n > (r.end-r.pos)/minBytes {
		return r.fail("collection longer than its input")
	}
	return nil
}

func (r *msgpackReader) enter() error {
	r.depth++
	if r.depth > r.lim.maxDepth {
		return r.limit("depth", r.lim.maxDepth)
	}
	return nil
}

// value reads one value; asKey is true for map keys, which may be cache
// references and enter the cache when they are keywords or strings.
func (r *msgpackReader) value(asKey bool) (any, error) {
	if r.pos >= r.end {
		return nil, r.fail("unexpected end of input")
	}
	start := r.pos
	op := r.data[r.pos]
	r.pos++
	var (
		v   any
		err error
	)
	switch {
	case op <= 0x7f:
		v = int64(op)
	case op >= 0xe0:
		v = int64(int8(op))
	case op <= 0x8f:
		v, err = r.mapOf(int(op & 0x0f))
	case op <= 0x9f:
		v, err = r.arrayOf(int(op & 0x0f))
	case op <= 0xbf:
		v, err = r.strOf(int(op & 0x1f))
	default:
		v, err = r.typed(op, asKey)
	}
	if err != nil {
		return nil, err
	}
	if asKey {
		if ck, ok := v.(cachedKey); ok {
			if int(ck) >= len(r.keys) {
				r.pos = start
				return nil, r.fail("cached key " + strconv.Itoa(int(ck)) + " not in the cache")
			}
			return r.keys[ck], nil
		}
		switch v.(type) {
		case Keyword, string:
			if len(r.keys) < msgpackKeyCacheSize {
				r.keys = append(r.keys, v)
			}
		}
	} else if _, ok := v.(cachedKey); ok {
		r.pos = start
		return nil, r.fail("cached key outside a map key")
	}
	return v, nil
}

// cachedKey is a key-cache reference (extension type 8) just read.
type cachedKey uint8

func (r *msgpackReader) typed(op byte, asKey bool) (any, error) {
	switch op {
	case 0xc0:
		return nil, nil
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	case 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3:
		return r.intOf(op)
	case 0xca:
		b, err := r.take(4)
		if err != nil {
			return nil, err
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
	case 0xcb:
		b, err := r.take(8)
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	case 0xd9, 0xda, 0xdb:
		n, err := r.length(1 << (op - 0xd9))
		if err != nil {
			return nil, err
		}
		return r.strOf(n)
	case 0xc4, 0xc5, 0xc6:
		n, err := r.length(1 << (op - 0xc4))
		if err != nil {
			return nil, err
		}
		b, err := r.take(n)
		if err != nil {
			return nil, err
		}
		return append([]byte{}, b...), nil
	case 0xdc, 0xdd:
		n, err := r.length(2 << (op - 0xdc))
		if err != nil {
			return nil, err
		}
		return r.arrayOf(n)
	case 0xde, 0xdf:
		n, err := r.length(2 << (op - 0xde))
		if err != nil {
			return nil, err
		}
		return r.mapOf(n)
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return r.ext(1 << (op - 0xd4))
	case 0xc7, 0xc8, 0xc9:
		n, err := r.length(1 << (op - 0xc7))
		if err != nil {
			return nil, err
		}
		return r.ext(n)
	}
	r.pos--
	return nil, r.fail("unknown type byte 0x" + strconv.FormatUint(uint64(op), 16))
}

func (r *msgpackReader) intOf(op byte) (any, error) {
	size := 1 << ((op - 0xcc) & 3)
	b, err := r.take(size)
	if err != nil {
		return nil, err
	}
	var u uint64
	for _, c := range b {
		u = u<<8 | uint64(c)
	}
	if op <= 0xcf { // unsigned
		if u > math.MaxInt64 {
			return new(big.Int).SetUint64(u), nil
		}
		return int64(u), nil
	}
	shift := 64 - 8*size
	return int64(u<<shift) >> shift, nil
}

func (r *msgpackReader) strOf(n int) (any, error) {
	b, err := r.take(n)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		r.pos -= n
		return nil, r.fail("invalid UTF-8")
	}
	return string(b), nil
}

func (r *msgpackReader) arrayOf(n int) (any, error) {
	if err := r.count(n, 1); err != nil {
		return nil, err
	}
	if err := r.enter(); err != nil {
		return nil, err
	}
	xs := make(Vector, n)
	for i := range xs {
		v, err := r.value(false)
		if err != nil {
			return nil, err
		}
		xs[i] = v
	}
	r.depth--
	return xs, nil
}

func (r *msgpackReader) mapOf(n int) (any, error) {
	if err := r.count(n, 2); err != nil {
		return nil, err
	}
	if err := r.enter(); err != nil {
		return nil, err
	}
	m := &Map{entries: make([]MapEntry, 0, n)}
	for range n {
		k, err := r.value(true)
		if err != nil {
			return nil, err
		}
		v, err := r.value(false)
		if err != nil {
			return nil, err
		}
		m.Set(k, v)
	}
	r.depth--
	return m, nil
}

// ext reads the type byte and n bytes of payload of an extension.
func (r *msgpackReader) ext(n int) (any, error) {
	tb, err := r.take(1)
	if err != nil {
		return nil, err
	}
	typ := int8(tb[0])
	at := r.pos
	b, err := r.take(n)
	if err != nil {
		return nil, err
	}
	bad := func(what string) error {
		r.pos = at
		return r.fail("bad " + what + " extension")
	}
	switch typ {
	case extKeyword, extSymbol, extChar:
		if n == 0 || !utf8.Valid(b) {
			return nil, bad("keyword/symbol/char")
		}
		switch typ {
		case extKeyword:
			return Keyword(b), nil
		case extSymbol:
			return Symbol(b), nil
		}
		c, size := utf8.DecodeRune(b)
		if size != n {
			return nil, bad("char")
		}
		return Char(c), nil
	case extRatio, extSet:
		return r.inner(at, n, typ)
	case extInt32s, extFloat32s:
		if n%4 != 0 || n/4 > r.lim.maxElements {
			return nil, bad("typed array")
		}
		if typ == extInt32s {
			xs := make(Int32Array, n/4)
			for i := range xs {
				xs[i] = int32(binary.BigEndian.Uint32(b[4*i:]))
			}
			return xs, nil
		}
		xs := make(Float32Array, n/4)
		for i := range xs {
			xs[i] = math.Float32frombits(binary.BigEndian.Uint32(b[4*i:]))
		}
		return xs, nil
	case extFloat64s:
		if n%8 != 0 || n/8 > r.lim.maxElements {
			return nil, bad("typed array")
		}
		xs := make(Float64Array, n/8)
		for i := range xs {
			xs[i] = math.Float64frombits(binary.BigEndian.Uint64(b[8*i:]))
		}
		return xs, nil
	case extCachedKey:
		if n != 1 {
			return nil, bad("cached key")
		}
		return cachedKey(b[0]), nil
	case extUUID:
		u, err := ParseUUID(string(b))
		if err != nil {
			return nil, bad("uuid")
		}
		return u, nil
	case extTime:
		var sec int64
		var nsec uint32
		switch n {
		case 4:
			sec = int64(binary.BigEndian.Uint32(b))
		case 8:
			x := binary.BigEndian.Uint64(b)
			nsec, sec = uint32(x>>34), int64(x&(1<<34-1))
		case 12:
			nsec, sec = binary.BigEndian.Uint32(b), int64(binary.BigEndian.Uint64(b[4:]))
		default:
			return nil, bad("timestamp")
		}
		if nsec >= 1e9 {
			return nil, bad("timestamp")
		}
		return time.Unix(sec, int64(nsec)).UTC(), nil
	}
	return Ext{Type: typ, Data: append([]byte{}, b...)}, nil
}

// inner reads the payload of a ratio or set extension, which holds
// MessagePack values itself, sharing the frame's key cache.
func (r *msgpackReader) inner(at, n int, typ int8) (any, error) {
	after, end := r.pos, r.end
	r.pos, r.end = at, at+n
	defer func() { r.end = end }()
	if err := r.enter(); err != nil {
		return nil, err
	}
	var v any
	if typ == extSet {
		xs, err := r.value(false)
		if err != nil {
			return nil, err
		}
		elems, ok := xs.(Vector)
		if !ok {
			return nil, r.fail("set extension without an array")
		}
		v = NewSet(elems...)
	} else {
		num, err := r.value(false)
		if err != nil {
			return nil, err
		}
		den, err := r.value(false)
		if err != nil {
			return nil, err
		}
		a, ok1 := asBigInt(num)
		b, ok2 := asBigInt(den)
		if !ok1 || !ok2 || b.Sign() == 0 {
			return nil, r.fail("ratio extension without two integers")
		}
		q := new(big.Rat).SetFrac(a, b)
		if q.IsInt() {
			v = bigOrInt64(q.Num())
		} else {
			v = q
		}
	}
	if r.pos != r.end {
		return nil, r.fail("extension with bytes after its value")
	}
	r.depth--
	r.pos = after
	return v, nil
}
