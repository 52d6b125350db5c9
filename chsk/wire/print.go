package wire

import (
	"math"
	"math/big"
	"reflect"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// printMaxDepth bounds how deeply collections, structs and pointers may nest
// in a printed value, so that a cyclic Go value fails with an error instead of
// overflowing the stack.
const printMaxDepth = 1000

// UnsupportedValueError reports a value that the printer refuses because no
// EDN reader would read its text back as the same value: a keyword with a
// space, invalid UTF-8, a channel, a []byte, a cycle.
type UnsupportedValueError struct {
	Type   reflect.Type // Go type of the refused value; nil for a nil pointer to an unsupported type
	Path   string       // where it sits in the printed value, e.g. "[1].user"; "" at the top
	Reason string       // why it was refused
}

// Error implements error.
func (e *UnsupportedValueError) Error() string {
	s := "edn: cannot print "
	if e.Type != nil {
		s += e.Type.String()
	} else {
		s += "value"
	}
	if e.Path != "" {
		s += " at " + e.Path
	}
	return s + ": " + e.Reason
}

func unsupported(t reflect.Type, reason string) error {
	return &UnsupportedValueError{Type: t, Reason: reason}
}

// withPath prepends seg to the path of an *UnsupportedValueError. It runs only
// on the error path, while the recursion unwinds.
func withPath(err error, seg string) error {
	if e, ok := err.(*UnsupportedValueError); ok {
		e.Path = seg + e.Path
	}
	return err
}

func withIndex(err error, i int) error { return withPath(err, "["+strconv.Itoa(i)+"]") }

// withKey prepends the path segment of the map entry under key.
func withKey(err error, key any) error {
	switch k := key.(type) {
	case Keyword:
		return withPath(err, "."+string(k))
	case string:
		return withPath(err, "["+strconv.Quote(k)+"]")
	}
	if b, kerr := Append(nil, key); kerr == nil && len(b) <= 64 {
		return withPath(err, "["+string(b)+"]")
	}
	return withPath(err, "[?]")
}

// Marshal returns the EDN text of v. See Append.
func Marshal(v any) ([]byte, error) {
	bp := printBufPool.Get().(*[]byte)
	b, err := Append((*bp)[:0], v)
	var out []byte
	if err == nil {
		out = make([]byte, len(b))
		copy(out, b)
	}
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		printBufPool.Put(bp)
	}
	return out, err
}

var printBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Append appends the EDN text of v to dst, printed the way Clojure's pr-str
// prints the equivalent value, so that Clojure and ClojureScript read it back
// equal. On error it returns dst unchanged (its length restored) and an
// *UnsupportedValueError.
//
// Besides the value model (see the package documentation) it prints:
//   - every Go integer type; uint64 values beyond the int64 range print with
//     the N suffix (a Clojure BigInt), as does every *big.Int;
//   - float64 and float32 in Java's Double.toString / Float.toString form
//     (1.0, 0.001, 1.0E7, 1.5E-7), NaN and infinities as ##NaN ##Inf ##-Inf;
//   - Event as [:ns/id] or [:ns/id data];
//   - Raw verbatim: it is not checked, except that it must not be empty;
//   - any Go slice or array (a nil slice prints as []), except []byte, which
//     has no EDN form;
//   - Go maps, with entries sorted by their printed key text so that the
//     output is stable;
//   - structs and pointers to structs, as maps with keyword keys (see below);
//   - nil pointers as nil, other pointers as what they point to; named types
//     by their underlying kind (type Color string prints as a string).
//
// Struct fields print under a keyword named by the field's `edn` tag
// (`edn:"msg"`, `edn:"my.ns/k"`, `edn:",omitempty"`, `edn:"-"` to skip),
// or else by the field name in kebab-case (UserID → :user-id). Unexported
// fields are skipped and embedded structs are flattened as encoding/json
// does. Marshaler-style interfaces (encoding.TextMarshaler and the like) are
// deliberately not consulted: the surface is the value model plus plain Go
// data.
//
// Keywords, symbols and tags are checked so that they read back (no spaces,
// at most one slash, no leading digit, …); strings must be valid UTF-8;
// times must fall in the years 0000–9999. Channels, functions, complex
// numbers, unsafe pointers and values nested deeper than 1000 levels (which
// includes every cyclic value) are refused.
func Append(dst []byte, v any) ([]byte, error) {
	n := len(dst)
	out, err := appendAny(dst, v, 0)
	if err != nil {
		return dst[:n], err
	}
	return out, nil
}

func tooDeep(t reflect.Type) error {
	return unsupported(t, "nested deeper than "+strconv.Itoa(printMaxDepth)+" levels (a cycle?)")
}

// appendAny is the fast path: a type switch over the value model and the
// plain Go types, with no reflection.
func appendAny(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "nil"...), nil
	case bool:
		return appendBool(dst, x), nil
	case string:
		return appendString(dst, x)
	case Keyword:
		return appendKeyword(dst, x)
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case float64:
		return appendFloat(dst, x, 64), nil
	case *Map:
		return appendMap(dst, x, depth)
	case Vector:
		return appendSeq(dst, '[', ']', x, depth)
	case []any:
		return appendSeq(dst, '[', ']', x, depth)
	case Event:
		return appendEvent(dst, x, depth)
	case Raw:
		return appendRaw(dst, x)
	case List:
		return appendSeq(dst, '(', ')', x, depth)
	case *Set:
		return appendSet(dst, x, depth)
	case Symbol:
		return appendSymbol(dst, x)
	case Char:
		return appendChar(dst, x)
	case UUID:
		return appendUUID(dst, &x), nil
	case time.Time:
		return appendInst(dst, &x)
	case Tagged:
		return appendTagged(dst, &x, depth)
	case int32:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case uint:
		return appendUint(dst, uint64(x)), nil
	case uint64:
		return appendUint(dst, x), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(x), 10), nil
	case float32:
		return appendFloat(dst, float64(x), 32), nil
	case *big.Int:
		return appendBigInt(dst, x), nil
	case *big.Rat:
		return appendRat(dst, x), nil
	case BigDecimal:
		return appendBigDecimal(dst, x)
	}
	return appendReflect(dst, reflect.ValueOf(v), depth)
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

// appendUint prints u, with the BigInt suffix N when it exceeds the int64
// range (Clojure reads such a literal as a BigInt and prints it with N).
func appendUint(dst []byte, u uint64) []byte {
	dst = strconv.AppendUint(dst, u, 10)
	if u > math.MaxInt64 {
		dst = append(dst, 'N')
	}
	return dst
}

func appendBigInt(dst []byte, x *big.Int) []byte {
	if x == nil {
		return append(dst, "nil"...)
	}
	return append(x.Append(dst, 10), 'N')
}

// appendRat prints a ratio as Clojure does (-22/7); a ratio with denominator 1
// prints as a plain integer, as Clojure never holds such a ratio.
func appendRat(dst []byte, x *big.Rat) []byte {
	if x == nil {
		return append(dst, "nil"...)
	}
	dst = x.Num().Append(dst, 10)
	if x.IsInt() {
		return dst
	}
	dst = append(dst, '/')
	return x.Denom().Append(dst, 10)
}

// appendBigDecimal prints d with the M suffix after checking that it is a
// decimal literal Clojure reads: [+-]?digits(.digits*)?([eE][+-]?digits)?.
func appendBigDecimal(dst []byte, d BigDecimal) ([]byte, error) {
	if !isDecimalLiteral(string(d)) {
		return dst, unsupported(reflect.TypeFor[BigDecimal](), "BigDecimal "+quoteShort(string(d))+" is not a decimal literal")
	}
	dst = append(dst, d...)
	return append(dst, 'M'), nil
}

func isDecimalLiteral(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	if i == start {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start = i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// strEscape maps the bytes Clojure escapes in strings to their escape letter.
// Every other character, control characters included, is printed raw, as
// Clojure and ClojureScript do.
var strEscape = [256]byte{'"': '"', '\\': '\\', '\n': 'n', '\t': 't', '\r': 'r', '\f': 'f', '\b': 'b'}

func appendString(dst []byte, s string) ([]byte, error) {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if e := strEscape[c]; e != 0 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, '\\', e)
				start = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return dst, unsupported(reflect.TypeFor[string](), "invalid UTF-8 at byte "+strconv.Itoa(i))
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), nil
}

// printCharNames are the characters Clojure prints by name.
var printCharNames = map[Char]string{
	'\n': "newline", ' ': "space", '\t': "tab", '\r': "return", '\b': "backspace", '\f': "formfeed",
}

// appendChar prints c as Clojure does: \a, \é, \newline … and NUL as a
// backslash followed by a raw NUL byte. Where Clojure's raw output would be
// fragile it prints \uXXXX instead, which every EDN reader accepts: other C0
// and C1 control characters, DEL, and the Unicode whitespace characters (after
// a backslash tools.reader takes any first character, but a reader that skips
// whitespace or stops a token at it would misread them). Characters outside
// the Basic Multilingual Plane have no Clojure (UTF-16) character and are
// refused, as are surrogates and invalid code points.
func appendChar(dst []byte, c Char) ([]byte, error) {
	r := rune(c)
	switch {
	case r < 0 || r > 0xFFFF || (0xD800 <= r && r <= 0xDFFF):
		return dst, unsupported(reflect.TypeFor[Char](), "character U+"+strconv.FormatInt(int64(r), 16)+" has no EDN form (outside the BMP or a surrogate)")
	case r == 0:
		return append(dst, '\\', 0), nil
	case r < 0x80 && r > 0x20 && r != 0x7F:
		return append(dst, '\\', byte(r)), nil
	}
	if name, ok := printCharNames[c]; ok {
		dst = append(dst, '\\')
		return append(dst, name...), nil
	}
	if r < 0x20 || (0x7F <= r && r <= 0x9F) || isUnicodeSpace(r) {
		const hexDigits = "0123456789ABCDEF"
		return append(dst, '\\', 'u', hexDigits[r>>12], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF]), nil
	}
	dst = append(dst, '\\')
	return utf8.AppendRune(dst, r), nil
}

// isUnicodeSpace reports the non-ASCII characters that Java's
// Character.isWhitespace or Go's unicode.IsSpace treat as white space.
func isUnicodeSpace(r rune) bool {
	switch {
	case r == 0x85, r == 0xA0, r == 0x1680, r == 0x2028, r == 0x2029, r == 0x202F, r == 0x205F, r == 0x3000:
		return true
	case 0x2000 <= r && r <= 0x200A:
		return true
	}
	return false
}

func appendKeyword(dst []byte, k Keyword) ([]byte, error) {
	if reason := checkName(string(k), true); reason != "" {
		return dst, unsupported(reflect.TypeFor[Keyword](), "keyword :"+quoteShort(string(k))+" "+reason)
	}
	dst = append(dst, ':')
	return append(dst, k...), nil
}

func appendSymbol(dst []byte, s Symbol) ([]byte, error) {
	if reason := checkName(string(s), false); reason != "" {
		return dst, unsupported(reflect.TypeFor[Symbol](), "symbol "+quoteShort(string(s))+" "+reason)
	}
	return append(dst, s...), nil
}

// quoteShort quotes s for an error message, cut to a readable length.
func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

func appendSeq(dst []byte, open, close byte, xs []any, depth int) ([]byte, error) {
	if depth >= printMaxDepth {
		return dst, tooDeep(reflect.TypeFor[Vector]())
	}
	dst = append(dst, open)
	for i, x := range xs {
		if i > 0 {
			dst = append(dst, ' ')
		}
		var err error
		if dst, err = appendAny(dst, x, depth+1); err != nil {
			return dst, withIndex(err, i)
		}
	}
	return append(dst, close), nil
}

func appendMap(dst []byte, m *Map, depth int) ([]byte, error) {
	if depth >= printMaxDepth {
		return dst, tooDeep(reflect.TypeFor[*Map]())
	}
	dst = append(dst, '{')
	for i, e := range m.Entries() {
		if i > 0 {
			dst = append(dst, ',', ' ')
		}
		var err error
		if k, ok := e.Key.(Keyword); ok { // the common case, without a call through appendAny
			dst, err = appendKeyword(dst, k)
		} else {
			dst, err = appendAny(dst, e.Key, depth+1)
		}
		if err != nil {
			return dst, withPath(err, "{key "+strconv.Itoa(i)+"}")
		}
		dst = append(dst, ' ')
		if dst, err = appendAny(dst, e.Value, depth+1); err != nil {
			return dst, withKey(err, e.Key)
		}
	}
	return append(dst, '}'), nil
}

func appendSet(dst []byte, s *Set, depth int) ([]byte, error) {
	if depth >= printMaxDepth {
		return dst, tooDeep(reflect.TypeFor[*Set]())
	}
	dst = append(dst, '#', '{')
	for i, x := range s.Elems() {
		if i > 0 {
			dst = append(dst, ' ')
		}
		var err error
		if dst, err = appendAny(dst, x, depth+1); err != nil {
			return dst, withIndex(err, i)
		}
	}
	return append(dst, '}'), nil
}

func appendEvent(dst []byte, ev Event, depth int) ([]byte, error) {
	if depth >= printMaxDepth {
		return dst, tooDeep(reflect.TypeFor[Event]())
	}
	dst = append(dst, '[')
	var err error
	if dst, err = appendKeyword(dst, ev.ID); err != nil {
		return dst, withIndex(err, 0)
	}
	if !hasNamespace(string(ev.ID)) {
		return dst, unsupported(reflect.TypeFor[Event](), "event id :"+quoteShort(string(ev.ID))+" is not a namespaced keyword")
	}
	if ev.Data != nil {
		dst = append(dst, ' ')
		if dst, err = appendAny(dst, ev.Data, depth+1); err != nil {
			return dst, withIndex(err, 1)
		}
	}
	return append(dst, ']'), nil
}

func appendRaw(dst []byte, r Raw) ([]byte, error) {
	if len(r) == 0 {
		return dst, unsupported(reflect.TypeFor[Raw](), "empty Raw holds no form")
	}
	return append(dst, r...), nil
}

func appendUUID(dst []byte, u *UUID) []byte {
	const hexDigits = "0123456789abcdef"
	dst = append(dst, `#uuid "`...)
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[b>>4], hexDigits[b&0xF])
	}
	return append(dst, '"')
}

// appendInst prints t as java.util.Date prints: in UTC, to the millisecond
// (truncated), with the offset written -00:00.
func appendInst(dst []byte, t *time.Time) ([]byte, error) {
	u := t.UTC()
	year, month, day := u.Date()
	if year < 0 || year > 9999 {
		return dst, unsupported(reflect.TypeFor[time.Time](), "year "+strconv.Itoa(year)+" is outside 0000-9999, which #inst cannot hold")
	}
	hour, min, sec := u.Clock()
	ms := u.Nanosecond() / int(time.Millisecond)
	dst = append(dst, `#inst "`...)
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, min, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, ms, 3)
	return append(dst, `-00:00"`...), nil
}

// appendDigits appends the non-negative n zero-padded to width digits.
func appendDigits(dst []byte, n, width int) []byte {
	var b [4]byte
	for i := width - 1; i >= 0; i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, b[:width]...)
}

func appendTagged(dst []byte, t *Tagged, depth int) ([]byte, error) {
	if reason := checkTag(string(t.Tag)); reason != "" {
		return dst, unsupported(reflect.TypeFor[Tagged](), "tag #"+quoteShort(string(t.Tag))+" "+reason)
	}
	if depth >= printMaxDepth {
		return dst, tooDeep(reflect.TypeFor[Tagged]())
	}
	dst = append(dst, '#')
	dst = append(dst, t.Tag...)
	dst = append(dst, ' ')
	var err error
	if dst, err = appendAny(dst, t.Value, depth+1); err != nil {
		return dst, withPath(err, "#"+string(t.Tag))
	}
	return dst, nil
}
