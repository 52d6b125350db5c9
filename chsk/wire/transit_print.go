package wire

import (
	"encoding/base64"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"
)

// transitCacheSize is the number of cache codes Transit has: two base-44
// digits.
const transitCacheSize = 44 * 44

// transitWriter prints one frame as Transit JSON. The cache maps each
// cacheable string already written in this frame to its index.
type transitWriter struct {
	buf     []byte
	cache   map[string]int
	scratch []byte // the cache key being looked up
}

// isTransitCacheable is Transit's rule: strings longer than three characters
// that are map keys, or keywords, symbols and tags anywhere.
func isTransitCacheable(s string, asKey bool) bool {
	return len(s) > 3 && (asKey || s[0] == '~' && (s[1] == ':' || s[1] == '$' || s[1] == '#'))
}

// appendCacheCode appends ^ and the one or two base-44 digits of i.
func appendCacheCode(dst []byte, i int) []byte {
	dst = append(dst, '^')
	if i >= 44 {
		dst = append(dst, byte(i/44+48))
	}
	return append(dst, byte(i%44+48))
}

// str writes a Transit string (prefix, then s), or its cache code when the
// same string was written before in this frame.
func (w *transitWriter) str(prefix, s string, asKey bool) {
	if (prefix != "" || asKey) && len(prefix)+len(s) > 3 {
		w.scratch = append(append(w.scratch[:0], prefix...), s...)
		if isTransitCacheable(string(w.scratch), asKey) {
			if i, ok := w.cache[string(w.scratch)]; ok {
				w.buf = appendCacheCode(append(w.buf, '"'), i)
				w.buf = append(w.buf, '"')
				return
			}
			if w.cache == nil {
				w.cache = make(map[string]int)
			}
			if len(w.cache) == transitCacheSize {
				clear(w.cache)
			}
			w.cache[string(w.scratch)] = len(w.cache)
		}
	}
	w.buf = append(w.buf, '"')
	w.buf = appendJSONText(w.buf, prefix)
	w.buf = appendJSONText(w.buf, s)
	w.buf = append(w.buf, '"')
}

// appendJSONText appends s escaped for a JSON string, as JSON.stringify does:
// quote, backslash and control characters only.
func appendJSONText(dst []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	return append(dst, s[start:]...)
}

// escapeString is how Transit writes a string value: one starting with ~, ^
// or a backtick gets a ~ in front.
func (w *transitWriter) escapedString(s string, asKey bool) error {
	if !utf8.ValidString(s) {
		return unsupported(reflect.TypeFor[string](), "invalid UTF-8")
	}
	if len(s) > 0 && (s[0] == '~' || s[0] == '^' || s[0] == '`') {
		w.str("~", s, asKey)
	} else {
		w.str("", s, asKey)
	}
	return nil
}

// jsonSafeInt bounds the integers Transit writes as JSON numbers; others go
// as "~i" strings, which JavaScript readers turn into exact longs.
const jsonSafeInt = 1<<53 - 1

func (w *transitWriter) value(v any, asKey bool, depth int) error {
	if depth > printMaxDepth {
		return tooDeep(reflect.TypeOf(v))
	}
	switch x := v.(type) {
	case nil:
		if asKey {
			w.str("~_", "", true)
		} else {
			w.buf = append(w.buf, "null"...)
		}
	case bool:
		switch {
		case asKey && x:
			w.str("~?t", "", true)
		case asKey:
			w.str("~?f", "", true)
		default:
			w.buf = appendBool(w.buf, x)
		}
	case string:
		return w.escapedString(x, asKey)
	case Keyword:
		if !utf8.ValidString(string(x)) || x == "" {
			return unsupported(reflect.TypeFor[Keyword](), "empty or invalid UTF-8")
		}
		w.str("~:", string(x), asKey)
	case Symbol:
		if !utf8.ValidString(string(x)) || x == "" {
			return unsupported(reflect.TypeFor[Symbol](), "empty or invalid UTF-8")
		}
		w.str("~$", string(x), asKey)
	case int64:
		w.int(x, asKey)
	case int:
		w.int(int64(x), asKey)
	case float64:
		w.float(x, 64, asKey)
	case float32:
		w.float(float64(x), 32, asKey)
	case *big.Int:
		if x == nil {
			return w.value(nil, asKey, depth)
		}
		w.str("~n", x.String(), asKey)
	case BigDecimal:
		if !isDecimalLiteral(string(x)) {
			return unsupported(reflect.TypeFor[BigDecimal](), "not a decimal number: "+quoteShort(string(x)))
		}
		w.str("~f", string(x), asKey)
	case *big.Rat:
		if x == nil {
			return w.value(nil, asKey, depth)
		}
		if x.IsInt() {
			w.str("~n", x.Num().String(), asKey)
			break
		}
		w.tagged("ratio")
		w.buf = append(w.buf, '[')
		w.str("~n", x.Num().String(), false)
		w.buf = append(w.buf, ',')
		w.str("~n", x.Denom().String(), false)
		w.buf = append(w.buf, "]]"...)
	case Char:
		if !utf8.ValidRune(rune(x)) {
			return unsupported(reflect.TypeFor[Char](), "not a valid character")
		}
		w.str("~c", string(rune(x)), asKey)
	case UUID:
		w.str("~u", x.String(), asKey)
	case time.Time:
		w.str("~m", strconv.FormatInt(x.UnixMilli(), 10), asKey)
	case []byte:
		w.str("~b", base64.StdEncoding.EncodeToString(x), asKey)
	case Vector:
		return w.array(x, depth)
	case []any:
		return w.array(x, depth)
	case List:
		w.tagged("list")
		if err := w.array(x, depth); err != nil {
			return err
		}
		w.buf = append(w.buf, ']')
	case *Set:
		w.tagged("set")
		if err := w.array(x.Elems(), depth); err != nil {
			return err
		}
		w.buf = append(w.buf, ']')
	case *Map:
		return w.mapValue(x, asKey, depth)
	case Tagged:
		if x.Tag == "" || !utf8.ValidString(string(x.Tag)) {
			return unsupported(reflect.TypeFor[Tagged](), "empty or invalid tag")
		}
		w.tagged(string(x.Tag))
		if err := w.value(x.Value, false, depth+1); err != nil {
			return err
		}
		w.buf = append(w.buf, ']')
	default:
		n, err := normalize(v)
		if err != nil {
			return unsupportedFrom(v, err)
		}
		return w.value(n, asKey, depth+1)
	}
	return nil
}

// unsupportedFrom turns normalize's error into the printers' error.
func unsupportedFrom(v any, err error) error {
	return &UnsupportedValueError{Type: reflect.TypeOf(v), Reason: err.Error()}
}

func (w *transitWriter) int(i int64, asKey bool) {
	if asKey || i > jsonSafeInt || i < -jsonSafeInt {
		w.str("~i", strconv.FormatInt(i, 10), asKey)
		return
	}
	w.buf = strconv.AppendInt(w.buf, i, 10)
}

func (w *transitWriter) float(f float64, bits int, asKey bool) {
	switch {
	case math.IsNaN(f):
		w.str("~z", "NaN", asKey)
	case math.IsInf(f, 1):
		w.str("~z", "INF", asKey)
	case math.IsInf(f, -1):
		w.str("~z", "-INF", asKey)
	case asKey:
		w.str("~d", string(appendFloat(nil, f, bits)), true)
	default:
		w.buf = appendFloat(w.buf, f, bits)
	}
}

// tagged opens a tagged value: ["~#tag", — the caller writes the value and
// the closing bracket.
func (w *transitWriter) tagged(tag string) {
	w.buf = append(w.buf, '[')
	w.str("~#", tag, true)
	w.buf = append(w.buf, ',')
}

func (w *transitWriter) array(xs []any, depth int) error {
	w.buf = append(w.buf, '[')
	for i, x := range xs {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		if err := w.value(x, false, depth+1); err != nil {
			return withIndex(err, i)
		}
	}
	w.buf = append(w.buf, ']')
	return nil
}

// stringableKey reports whether Transit writes k as a map key string; maps
// with any other key are written as ["~#cmap", [k1, v1, …]].
func stringableKey(k any) bool {
	if _, ok := k.([]byte); !ok && !isModelValue(k) {
		if n, err := normalize(k); err == nil {
			k = n
		}
	}
	switch k.(type) {
	case Vector, []any, List, *Set, *Map, Tagged, *big.Rat:
		return false
	}
	return true
}

func (w *transitWriter) mapValue(m *Map, asKey bool, depth int) error {
	entries := m.Entries()
	cmap := false
	for _, e := range entries {
		if !stringableKey(e.Key) {
			cmap = true
			break
		}
	}
	if cmap {
		w.tagged("cmap")
		w.buf = append(w.buf, '[')
	} else {
		w.buf = append(w.buf, `["^ "`...)
	}
	for i, e := range entries {
		if cmap && i > 0 || !cmap {
			w.buf = append(w.buf, ',')
		}
		if err := w.value(e.Key, !cmap, depth+1); err != nil {
			return withKey(err, e.Key)
		}
		w.buf = append(w.buf, ',')
		if err := w.value(e.Value, false, depth+1); err != nil {
			return withKey(err, e.Key)
		}
	}
	w.buf = append(w.buf, ']')
	if cmap {
		w.buf = append(w.buf, ']')
	}
	return nil
}
