package wire

import (
	"encoding/base64"
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// transitTag is a "~#tag" string read where a tagged value may start.
type transitTag string

// transitReader reads one Transit JSON frame (both the compact and the
// verbose form) straight into the value model.
type transitReader struct {
	data     []byte
	pos      int
	depth    int
	lim      readLimits
	cache    []any // the frame's read cache, in code order
	cacheIdx int   // where the next cached value goes
}

func (r *transitReader) fail(msg string) error {
	return &SyntaxError{Offset: r.pos, Msg: msg, Format: "transit"}
}

func (r *transitReader) limit(name string, max int) error {
	return &LimitError{Limit: name, Max: max, Offset: r.pos, Format: "transit"}
}

func (r *transitReader) skipSpace() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// readTransit reads exactly one Transit JSON value from data, surrounded by
// optional whitespace.
func readTransit(data []byte, lim readLimits) (any, error) {
	if len(data) > lim.maxBytes {
		return nil, &LimitError{Limit: "bytes", Max: lim.maxBytes, Offset: lim.maxBytes, Format: "transit"}
	}
	r := transitReader{data: data, lim: lim}
	r.skipSpace()
	v, err := r.value(false)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(transitTag); ok {
		return nil, r.fail("tag outside a tagged value")
	}
	r.skipSpace()
	if r.pos != len(r.data) {
		return nil, r.fail("unexpected data after the value")
	}
	return v, nil
}

func (r *transitReader) value(asKey bool) (any, error) {
	if r.pos >= len(r.data) {
		return nil, r.fail("unexpected end of input")
	}
	switch c := r.data[r.pos]; {
	case c == '"':
		s, err := r.jsonString()
		if err != nil {
			return nil, err
		}
		return r.decodeString(s, asKey)
	case c == '[':
		return r.array()
	case c == '{':
		return r.object()
	case c == '-' || '0' <= c && c <= '9':
		if asKey {
			return nil, r.fail("a number as a map key")
		}
		return r.number()
	case r.literal("null"):
		return nil, nil
	case r.literal("true"):
		return true, nil
	case r.literal("false"):
		return false, nil
	}
	return nil, r.fail("unexpected character " + strconv.QuoteRune(rune(r.data[r.pos])))
}

func (r *transitReader) literal(word string) bool {
	if len(r.data)-r.pos >= len(word) && string(r.data[r.pos:r.pos+len(word)]) == word {
		r.pos += len(word)
		return true
	}
	return false
}

func (r *transitReader) enter() error {
	r.depth++
	if r.depth > r.lim.maxDepth {
		return r.limit("depth", r.lim.maxDepth)
	}
	r.pos++ // the opening bracket
	r.skipSpace()
	return nil
}

// next moves past the separator after an element and reports whether another
// element follows (false at the closing bracket, which it consumes).
func (r *transitReader) next(closing byte) (bool, error) {
	r.skipSpace()
	if r.pos >= len(r.data) {
		return false, r.fail("unexpected end of input")
	}
	switch r.data[r.pos] {
	case ',':
		r.pos++
		r.skipSpace()
		return true, nil
	case closing:
		r.pos++
		r.depth--
		return false, nil
	}
	return false, r.fail("expected ',' or '" + string(closing) + "'")
}

func (r *transitReader) array() (any, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	if r.pos < len(r.data) && r.data[r.pos] == ']' {
		r.pos++
		r.depth--
		return Vector{}, nil
	}
	if r.literal(`"^ "`) {
		return r.mapAsArray()
	}
	first, err := r.value(false)
	if err != nil {
		return nil, err
	}
	more, err := r.next(']')
	if err != nil {
		return nil, err
	}
	if tag, ok := first.(transitTag); ok {
		if !more {
			return nil, r.fail("tag without a value")
		}
		v, err := r.value(false)
		if err != nil {
			return nil, err
		}
		if more, err = r.next(']'); err != nil {
			return nil, err
		}
		if more {
			return nil, r.fail("tagged value with more than one value")
		}
		return r.tagged(string(tag), v)
	}
	xs := Vector{first}
	for more {
		if len(xs) >= r.lim.maxElements {
			return nil, r.limit("elements", r.lim.maxElements)
		}
		v, err := r.value(false)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(transitTag); ok {
			return nil, r.fail("tag outside a tagged value")
		}
		xs = append(xs, v)
		if more, err = r.next(']'); err != nil {
			return nil, err
		}
	}
	return xs, nil
}

// mapAsArray reads the entries of ["^ ", k1, v1, …] after the marker.
func (r *transitReader) mapAsArray() (any, error) {
	m := &Map{}
	for {
		more, err := r.next(']')
		if err != nil {
			return nil, err
		}
		if !more {
			return m, nil
		}
		if m.Len() >= r.lim.maxElements {
			return nil, r.limit("elements", r.lim.maxElements)
		}
		k, err := r.value(true)
		if err != nil {
			return nil, err
		}
		if err := r.entry(m, k, ','); err != nil {
			return nil, err
		}
	}
}

// entry reads the separator sep after the key k, then a value, into m.
func (r *transitReader) entry(m *Map, k any, sep byte) error {
	if _, ok := k.(transitTag); ok {
		return r.fail("tag as a map key")
	}
	r.skipSpace()
	if r.pos >= len(r.data) || r.data[r.pos] != sep {
		return r.fail("expected '" + string(sep) + "' after a map key")
	}
	r.pos++
	r.skipSpace()
	v, err := r.value(false)
	if err != nil {
		return err
	}
	if _, ok := v.(transitTag); ok {
		return r.fail("tag as a map value")
	}
	m.Set(k, v)
	return nil
}

// object reads a verbose-form map, {"k": v, …}, or a tagged value
// {"~#tag": v}.
func (r *transitReader) object() (any, error) {
	if err := r.enter(); err != nil {
		return nil, err
	}
	m := &Map{}
	if r.pos < len(r.data) && r.data[r.pos] == '}' {
		r.pos++
		r.depth--
		return m, nil
	}
	// The first key decides between a map and a tagged value.
	k, err := r.objectKey()
	if err != nil {
		return nil, err
	}
	if tag, ok := k.(transitTag); ok {
		r.skipSpace()
		if r.pos >= len(r.data) || r.data[r.pos] != ':' {
			return nil, r.fail("expected ':' after a key")
		}
		r.pos++
		r.skipSpace()
		v, err := r.value(false)
		if err != nil {
			return nil, err
		}
		more, err := r.next('}')
		if err != nil {
			return nil, err
		}
		if more {
			return nil, r.fail("tagged value with more than one entry")
		}
		return r.tagged(string(tag), v)
	}
	for {
		if err := r.entry(m, k, ':'); err != nil {
			return nil, err
		}
		more, err := r.next('}')
		if err != nil {
			return nil, err
		}
		if !more {
			return m, nil
		}
		if m.Len() >= r.lim.maxElements {
			return nil, r.limit("elements", r.lim.maxElements)
		}
		if k, err = r.objectKey(); err != nil {
			return nil, err
		}
	}
}

func (r *transitReader) objectKey() (any, error) {
	if r.pos >= len(r.data) || r.data[r.pos] != '"' {
		return nil, r.fail("expected a string key")
	}
	s, err := r.jsonString()
	if err != nil {
		return nil, err
	}
	return r.decodeString(s, true)
}

// tagged builds the value of a tagged value read as tag and rep.
func (r *transitReader) tagged(tag string, rep any) (any, error) {
	switch tag {
	case "'":
		return rep, nil
	case "set", "list", "cmap", "ratio":
		xs, ok := rep.(Vector)
		if !ok {
			return nil, r.fail("~#" + tag + " needs an array")
		}
		switch tag {
		case "set":
			return NewSet(xs...), nil
		case "list":
			return List(xs), nil
		case "cmap":
			if len(xs)%2 != 0 {
				return nil, r.fail("~#cmap with an odd number of elements")
			}
			m := &Map{}
			for i := 0; i < len(xs); i += 2 {
				m.Set(xs[i], xs[i+1])
			}
			return m, nil
		}
		num, ok1 := asBigInt(rep0(xs, 0))
		den, ok2 := asBigInt(rep0(xs, 1))
		if len(xs) != 2 || !ok1 || !ok2 || den.Sign() == 0 {
			return nil, r.fail("~#ratio needs two integers, the second not zero")
		}
		q := new(big.Rat).SetFrac(num, den)
		if q.IsInt() {
			return bigOrInt64(q.Num()), nil
		}
		return q, nil
	}
	return Tagged{Tag: Symbol(tag), Value: rep}, nil
}

func rep0(xs Vector, i int) any {
	if i < len(xs) {
		return xs[i]
	}
	return nil
}

func bigOrInt64(z *big.Int) any {
	if z.IsInt64() {
		return z.Int64()
	}
	return z
}

// decodeString turns a Transit string into its value, through the cache.
func (r *transitReader) decodeString(s string, asKey bool) (any, error) {
	if isTransitCacheable(s, asKey) {
		v, err := r.parseString(s)
		if err != nil {
			return nil, err
		}
		if r.cacheIdx == transitCacheSize {
			r.cacheIdx = 0
		}
		if r.cacheIdx < len(r.cache) {
			r.cache[r.cacheIdx] = v
		} else {
			r.cache = append(r.cache, v)
		}
		r.cacheIdx++
		return v, nil
	}
	if len(s) > 0 && s[0] == '^' {
		i := -1
		switch {
		case len(s) == 2 && s[1] >= 48 && s[1] < 48+44:
			i = int(s[1] - 48)
		case len(s) == 3 && s[1] >= 48 && s[1] < 48+44 && s[2] >= 48 && s[2] < 48+44:
			i = int(s[1]-48)*44 + int(s[2]-48)
		}
		if i < 0 || i >= len(r.cache) {
			return nil, r.fail("bad cache reference " + strconv.Quote(s))
		}
		return r.cache[i], nil
	}
	return r.parseString(s)
}

// parseString decodes the scalar a Transit string stands for.
func (r *transitReader) parseString(s string) (any, error) {
	if len(s) < 2 || s[0] != '~' {
		return s, nil
	}
	rest := s[2:]
	switch s[1] {
	case '~', '^', '`':
		return s[1:], nil
	case ':':
		if rest == "" {
			return nil, r.fail("empty keyword")
		}
		return Keyword(rest), nil
	case '$':
		if rest == "" {
			return nil, r.fail("empty symbol")
		}
		return Symbol(rest), nil
	case '#':
		return transitTag(rest), nil
	case '_':
		return nil, nil
	case '?':
		return rest == "t", nil
	case 'i', 'n':
		if len(rest) > r.lim.maxDigits+1 {
			return nil, r.limit("digits", r.lim.maxDigits)
		}
		if s[1] == 'i' {
			if i, err := strconv.ParseInt(rest, 10, 64); err == nil {
				return i, nil
			}
		}
		z, ok := new(big.Int).SetString(rest, 10)
		if !ok {
			return nil, r.fail("bad integer " + quoteShort(rest))
		}
		if s[1] == 'i' {
			return bigOrInt64(z), nil
		}
		return z, nil
	case 'd':
		if len(rest) > r.lim.maxDigits+8 {
			return nil, r.limit("digits", r.lim.maxDigits)
		}
		f, err := strconv.ParseFloat(rest, 64)
		if err != nil && !isRangeErr(err) {
			return nil, r.fail("bad double " + quoteShort(rest))
		}
		return f, nil
	case 'f':
		if len(rest) > r.lim.maxDigits+8 {
			return nil, r.limit("digits", r.lim.maxDigits)
		}
		if !isDecimalLiteral(rest) {
			return nil, r.fail("bad decimal " + quoteShort(rest))
		}
		return BigDecimal(rest), nil
	case 'c':
		c, n := utf8.DecodeRuneInString(rest)
		if n == 0 || n != len(rest) {
			return nil, r.fail("bad character " + quoteShort(rest))
		}
		return Char(c), nil
	case 'u':
		u, err := ParseUUID(rest)
		if err != nil {
			return nil, r.fail("bad uuid " + quoteShort(rest))
		}
		return u, nil
	case 'm':
		ms, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return nil, r.fail("bad instant " + quoteShort(rest))
		}
		return time.UnixMilli(ms).UTC(), nil
	case 't':
		t, err := time.Parse(time.RFC3339Nano, rest)
		if err != nil {
			return nil, r.fail("bad instant " + quoteShort(rest))
		}
		return t.UTC(), nil
	case 'z':
		switch rest {
		case "NaN":
			return math.NaN(), nil
		case "INF":
			return math.Inf(1), nil
		case "-INF":
			return math.Inf(-1), nil
		}
		return nil, r.fail("bad special number " + quoteShort(rest))
	case 'b':
		b, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, r.fail("bad base64")
		}
		return b, nil
	case 'r':
		return rest, nil
	}
	return Tagged{Tag: Symbol(s[1:2]), Value: rest}, nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// number reads a JSON number: an int64, a *big.Int beyond that range, or a
// float64.
func (r *transitReader) number() (any, error) {
	start := r.pos
	if r.data[r.pos] == '-' {
		r.pos++
	}
	digits, isFloat := 0, false
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case '0' <= c && c <= '9':
			digits++
			if digits > r.lim.maxDigits {
				return nil, r.limit("digits", r.lim.maxDigits)
			}
		case c == '.' || c == 'e' || c == 'E' || (c == '+' || c == '-') && isFloat:
			isFloat = true
		default:
			goto done
		}
		r.pos++
	}
done:
	text := string(r.data[start:r.pos])
	if !validJSONNumber(text) {
		return nil, r.fail("bad number " + quoteShort(text))
	}
	if !isFloat {
		if i, err := strconv.ParseInt(text, 10, 64); err == nil {
			return i, nil
		}
		z, _ := new(big.Int).SetString(text, 10)
		return z, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil && !isRangeErr(err) {
		return nil, r.fail("bad number " + quoteShort(text))
	}
	return f, nil
}

// validJSONNumber checks JSON's number grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// jsonString reads a JSON string at r.pos, unescaped.
func (r *transitReader) jsonString() (string, error) {
	r.pos++ // the quote
	start := r.pos
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case c == '"':
			s := r.data[start:r.pos]
			if !utf8.Valid(s) {
				return "", r.fail("invalid UTF-8")
			}
			r.pos++
			return string(s), nil
		case c == '\\':
			return r.jsonStringSlow(start)
		case c < 0x20:
			return "", r.fail("control character in a string")
		}
		r.pos++
	}
	return "", r.fail("unexpected end of input in a string")
}

func (r *transitReader) jsonStringSlow(start int) (string, error) {
	buf := append([]byte(nil), r.data[start:r.pos]...)
	for r.pos < len(r.data) {
		c := r.data[r.pos]
		switch {
		case c == '"':
			if !utf8.Valid(buf) {
				return "", r.fail("invalid UTF-8")
			}
			r.pos++
			return string(buf), nil
		case c < 0x20:
			return "", r.fail("control character in a string")
		case c != '\\':
			buf = append(buf, c)
			r.pos++
			continue
		}
		if r.pos+1 >= len(r.data) {
			break
		}
		e := r.data[r.pos+1]
		r.pos += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			c1, ok := r.hex4()
			if !ok {
				return "", r.fail("bad \\u escape")
			}
			ch := rune(c1)
			if utf16.IsSurrogate(ch) {
				if r.pos+1 < len(r.data) && r.data[r.pos] == '\\' && r.data[r.pos+1] == 'u' {
					r.pos += 2
					c2, ok := r.hex4()
					if !ok {
						return "", r.fail("bad \\u escape")
					}
					ch = utf16.DecodeRune(ch, rune(c2))
				} else {
					ch = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, ch)
		default:
			return "", r.fail("bad escape in a string")
		}
	}
	return "", r.fail("unexpected end of input in a string")
}

func (r *transitReader) hex4() (uint16, bool) {
	if r.pos+4 > len(r.data) {
		return 0, false
	}
	var v uint16
	for _, c := range r.data[r.pos : r.pos+4] {
		d, ok := unhex(c)
		if !ok {
			return 0, false
		}
		v = v<<4 | uint16(d)
	}
	r.pos += 4
	return v, true
}
