package wire

import (
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Default limits of the reader, used where ReadOptions leaves a field zero.
const (
	DefaultMaxBytes    = 8 << 20 // input size
	DefaultMaxDepth    = 512     // nesting of collections, tags and discards
	DefaultMaxDigits   = 4096    // digits in one number literal
	DefaultMaxElements = 1 << 20 // elements in one collection (map: entries)
)

// maxDepthCeiling bounds MaxDepth whatever the caller asks for, so that the
// recursive reader's stack stays small.
const maxDepthCeiling = 1 << 14

// ReadOptions configures the reader. A nil *ReadOptions or zero fields mean
// the defaults.
type ReadOptions struct {
	// MaxBytes is the largest input accepted; 0 means DefaultMaxBytes.
	MaxBytes int
	// MaxDepth bounds the nesting of collections, tagged values and #_
	// discards; 0 means DefaultMaxDepth. Values above 16384 count as 16384,
	// which keeps the reader's stack under about 8 MB.
	MaxDepth int
	// MaxDigits bounds the digits of one number literal (hex and radix
	// digits included; sign, point, exponent marker and suffix not), and the
	// magnitude of a BigDecimal's exponent; 0 means DefaultMaxDigits.
	MaxDigits int
	// MaxElements bounds the elements of one collection, or the entries of
	// one map; 0 means DefaultMaxElements.
	MaxElements int
	// Tags holds readers for tags beside #inst and #uuid; a reader given here
	// for inst or uuid replaces the built-in one, as in Clojure. The function
	// receives the value read after the tag; an error it returns makes the
	// read fail with a *SyntaxError wrapping it.
	Tags map[Symbol]func(v any) (any, error)
	// KeepUnknownTags reads a tag that has no reader as a Tagged value
	// instead of failing, as Clojure's reader does when given a :default
	// function (without one it fails). #object is refused even then: it marks
	// a JVM object that has no readable form.
	KeepUnknownTags bool
}

// Read reads exactly one EDN form from data. Whitespace, commas, comments and
// #_ discards may surround it; anything else after it is a *SyntaxError.
// Errors are *SyntaxError or *LimitError. Empty or blank input is a
// *SyntaxError (unexpected EOF).
//
// The reader follows Clojure's clojure.tools.reader.edn, so it reads all that
// Clojure and ClojureScript print, into the types listed in the package
// documentation. In particular: integer literals beyond the int64 range and
// those with an N suffix read as *big.Int, and hex (0x1F), octal (017) and
// radix (36rZZ) forms are accepted; a ratio whose denominator divides its
// numerator reads as an integer; 1e400 reads as +Inf, as Java's
// Double.parseDouble gives; strings take the escapes \t \r \n \\ \" \b \f
// \uXXXX and octal \ooo; a character literal is \newline or another named
// one, \uXXXX, \oNNN, or a backslash followed by any single character, a raw
// NUL included (which is how Clojure prints \u0000); duplicate map
// keys and set elements (by Equal) are errors; #:ns{} maps, #_ discards,
// ##Inf ##-Inf ##NaN and ; and #! comments are accepted; #inst reads every
// form clojure.instant accepts (date-only, partial, any offset, up to
// nanoseconds) as a time.Time in UTC and #uuid reads as a UUID (any case).
// Regular expressions, metadata, reader conditionals, function literals,
// @ ` ~, ::auto-resolved keywords and invalid UTF-8 are errors.
func Read(data []byte, opts *ReadOptions) (any, error) {
	r, err := newReader(data, opts)
	if err != nil {
		return nil, err
	}
	defer r.release()
	v, err := r.readTop()
	if err != nil {
		return nil, err
	}
	for {
		if err := r.skip(); err != nil {
			return nil, err
		}
		if r.pos >= len(r.data) {
			return v, nil
		}
		if !r.atDiscard() {
			return nil, r.syntax(r.pos, "unexpected data after the form")
		}
		if err := r.discard(); err != nil {
			return nil, err
		}
	}
}

// ReadPrefix reads one EDN form from the start of data, after optional
// whitespace, commas and comments, and returns it with the number of bytes
// consumed. What follows the form is not looked at, which is how Clojure's
// reader (and so Sente) treats a frame. Errors are as for Read.
func ReadPrefix(data []byte, opts *ReadOptions) (v any, n int, err error) {
	r, err := newReader(data, opts)
	if err != nil {
		return nil, 0, err
	}
	defer r.release()
	v, err = r.readTop()
	if err != nil {
		return nil, 0, err
	}
	return v, r.pos, nil
}

// reader is the state of one read. Readers are pooled; release returns one.
type reader struct {
	data []byte
	pos  int

	depth, maxDepth int
	maxDigits       int
	maxElements     int
	tags            map[Symbol]func(v any) (any, error)
	keepUnknown     bool

	stack []any  // elements of the collections being read, innermost last
	buf   []byte // scratch for strings with escapes and namespaced names
}

var readerPool = sync.Pool{New: func() any { return new(reader) }}

// Pooled scratch space above these capacities is dropped, not kept.
const (
	maxPooledStack = 1 << 12
	maxPooledBuf   = 1 << 16
)

func newReader(data []byte, opts *ReadOptions) (*reader, error) {
	maxBytes := DefaultMaxBytes
	if opts != nil && opts.MaxBytes > 0 {
		maxBytes = opts.MaxBytes
	}
	if len(data) > maxBytes {
		return nil, &LimitError{Limit: "bytes", Max: maxBytes, Offset: maxBytes}
	}
	r := readerPool.Get().(*reader)
	r.data, r.pos, r.depth = data, 0, 0
	lim := limitsOf(opts)
	r.maxDepth, r.maxDigits, r.maxElements = lim.maxDepth, lim.maxDigits, lim.maxElements
	r.tags, r.keepUnknown = nil, false
	if opts != nil {
		r.tags, r.keepUnknown = opts.Tags, opts.KeepUnknownTags
	}
	return r, nil
}

func (r *reader) release() {
	clear(r.stack) // drop references to values read, also after an error
	if cap(r.stack) > maxPooledStack {
		r.stack = nil
	} else {
		r.stack = r.stack[:0]
	}
	if cap(r.buf) > maxPooledBuf {
		r.buf = nil
	}
	r.data, r.tags = nil, nil
	readerPool.Put(r)
}

func (r *reader) readTop() (any, error) {
	v, _, err := r.readForm(0)
	return v, err
}

// Byte classes of ASCII characters.
const (
	cSpace    = 1 << iota // whitespace, commas included
	cMacro                // ends a number: " : ; ^ ( ) [ ] { } \ #
	cTerm                 // ends a symbol, keyword or character token: the macros but # : '
	cBad                  // may not appear in a token: @ ` ~
	cDigit                // 0-9
	cHex                  // 0-9 a-f A-F
	cAlnum                // 0-9 a-z A-Z
	cStrStop              // ends the plain run of a string: " \ and every non-ASCII byte
	cNameMark             // needs a closer look in a name: / : and every non-ASCII byte
)

var class = func() (t [256]uint16) {
	for _, c := range " \t\n\v\f\r\x1c\x1d\x1e\x1f," {
		t[c] |= cSpace
	}
	for _, c := range `":;^()[]{}\#` {
		t[c] |= cMacro
	}
	for _, c := range `";^()[]{}\` {
		t[c] |= cTerm
	}
	for _, c := range "@`~" {
		t[c] |= cBad
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= cDigit | cHex | cAlnum
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] |= cAlnum
		t[c-'a'+'A'] |= cAlnum
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] |= cHex
		t[c-'a'+'A'] |= cHex
	}
	t['"'] |= cStrStop
	t['\\'] |= cStrStop
	t['/'] |= cNameMark
	t[':'] |= cNameMark
	for c := 0x80; c < 0x100; c++ {
		t[c] |= cStrStop | cNameMark
	}
	return t
}()

// isSpaceRune reports whether a non-ASCII rune is whitespace in Java's
// Character.isWhitespace sense, which Clojure's reader uses.
func isSpaceRune(c rune) bool {
	switch {
	case c == 0x1680, c == 0x2028, c == 0x2029, c == 0x205f, c == 0x3000:
		return true
	case 0x2000 <= c && c <= 0x200a:
		return c != 0x2007
	}
	return false
}

// skip advances past whitespace, commas, ; comments and #! comments.
func (r *reader) skip() error {
	d := r.data
	for r.pos < len(d) {
		c := d[r.pos]
		switch {
		case class[c]&cSpace != 0:
			r.pos++
		case c == ';':
			if err := r.skipLine(r.pos + 1); err != nil {
				return err
			}
		case c == '#' && r.pos+1 < len(d) && d[r.pos+1] == '!':
			if err := r.skipLine(r.pos + 2); err != nil {
				return err
			}
		case c >= utf8.RuneSelf:
			ch, size := utf8.DecodeRune(d[r.pos:])
			if !isSpaceRune(ch) {
				return nil // a token; its reader validates the encoding
			}
			r.pos += size
		default:
			return nil
		}
	}
	return nil
}

// skipLine skips a comment whose text starts at i, up to and including the
// next newline.
func (r *reader) skipLine(i int) error {
	d := r.data
	end := len(d)
	for j := i; j < len(d); j++ {
		if d[j] == '\n' {
			end = j
			break
		}
	}
	if !utf8.Valid(d[i:end]) {
		return r.syntax(i, "invalid UTF-8 in comment")
	}
	r.pos = min(end+1, len(d))
	return nil
}

func (r *reader) atDiscard() bool {
	return r.pos+1 < len(r.data) && r.data[r.pos] == '#' && r.data[r.pos+1] == '_'
}

// enter counts one more level of nesting starting at offset at.
func (r *reader) enter(at int) error {
	r.depth++
	if r.depth > r.maxDepth {
		return &LimitError{Limit: "depth", Max: r.maxDepth, Offset: at}
	}
	return nil
}

// discard reads and drops the form after the #_ at r.pos.
func (r *reader) discard() error {
	if err := r.enter(r.pos); err != nil {
		return err
	}
	r.pos += 2
	if _, _, err := r.readForm(0); err != nil {
		return err
	}
	r.depth--
	return nil
}

// readForm reads the next form. Inside a collection closer is its closing
// delimiter, and done reports that the delimiter was consumed instead of a
// form being read; at top level closer is 0.
func (r *reader) readForm(closer byte) (v any, done bool, err error) {
	d := r.data
	for {
		if err := r.skip(); err != nil {
			return nil, false, err
		}
		if r.pos >= len(d) {
			return nil, false, r.syntax(len(d), eofMessage(closer))
		}
		c := d[r.pos]
		if c == closer && closer != 0 {
			r.pos++
			return nil, true, nil
		}
		switch c {
		case '"':
			v, err = r.readString()
		case ':':
			v, err = r.readKeyword()
		case '[':
			v, err = r.readVector()
		case '{':
			v, err = r.readMap(r.pos, "")
		case '(':
			v, err = r.readList()
		case '\\':
			v, err = r.readChar()
		case '#':
			if r.atDiscard() {
				if err := r.discard(); err != nil {
					return nil, false, err
				}
				continue
			}
			v, err = r.readDispatch()
		case ')', ']', '}':
			return nil, false, r.syntax(r.pos, "unmatched delimiter "+string(c))
		case '^':
			return nil, false, r.syntax(r.pos, "metadata (^) is not supported")
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			v, err = r.readNumber()
		case '+', '-':
			if r.pos+1 < len(d) && class[d[r.pos+1]]&cDigit != 0 {
				v, err = r.readNumber()
			} else {
				v, err = r.readSymbol()
			}
		default:
			v, err = r.readSymbol()
		}
		return v, false, err
	}
}

func eofMessage(closer byte) string {
	switch closer {
	case ']':
		return "unexpected EOF while reading a vector"
	case ')':
		return "unexpected EOF while reading a list"
	case '}':
		return "unexpected EOF while reading a map or set"
	}
	return "unexpected EOF"
}

func (r *reader) syntax(at int, msg string) error {
	return &SyntaxError{Offset: at, Msg: msg}
}

// readElems reads the forms of a collection up to closer, whose opening
// delimiter ends just before r.pos and starts at open. The forms are left on
// r.stack from the returned index on. per is the number of forms that make
// one element (2 for maps).
func (r *reader) readElems(open int, closer byte, per int) (int, error) {
	if err := r.enter(open); err != nil {
		return 0, err
	}
	start := len(r.stack)
	limit := r.maxElements * per
	for {
		at := r.pos
		v, done, err := r.readForm(closer)
		if err != nil {
			return 0, err
		}
		if done {
			break
		}
		if len(r.stack)-start >= limit {
			r.pos = at
			_ = r.skip() // report where the element starts
			return 0, &LimitError{Limit: "elements", Max: r.maxElements, Offset: r.pos}
		}
		r.stack = append(r.stack, v)
	}
	r.depth--
	return start, nil
}

// popElems copies the forms from start on off r.stack into a new slice.
func (r *reader) popElems(start int) []any {
	elems := make([]any, len(r.stack)-start)
	copy(elems, r.stack[start:])
	clear(r.stack[start:])
	r.stack = r.stack[:start]
	return elems
}

func (r *reader) readVector() (any, error) {
	open := r.pos
	r.pos++
	start, err := r.readElems(open, ']', 1)
	if err != nil {
		return nil, err
	}
	return Vector(r.popElems(start)), nil
}

func (r *reader) readList() (any, error) {
	open := r.pos
	r.pos++
	start, err := r.readElems(open, ')', 1)
	if err != nil {
		return nil, err
	}
	return List(r.popElems(start)), nil
}

func (r *reader) readSet() (any, error) {
	open := r.pos
	r.pos += 2
	start, err := r.readElems(open, '}', 1)
	if err != nil {
		return nil, err
	}
	elems := r.stack[start:]
	s := &Set{elems: make([]any, 0, len(elems))}
	for _, e := range elems {
		if !s.Add(e) {
			return nil, r.syntax(open, "duplicate set element "+describe(e))
		}
	}
	clear(elems)
	r.stack = r.stack[:start]
	return s, nil
}

// readMap reads a map whose { is at r.pos and whose literal starts at open.
// A non-empty ns is the namespace of a #:ns{} map.
func (r *reader) readMap(open int, ns string) (any, error) {
	r.pos++
	start, err := r.readElems(open, '}', 2)
	if err != nil {
		return nil, err
	}
	forms := r.stack[start:]
	if len(forms)%2 != 0 {
		return nil, r.syntax(open, "map literal must contain an even number of forms")
	}
	m := newMapSized(len(forms) / 2)
	for i := 0; i < len(forms); i += 2 {
		k := forms[i]
		if ns != "" {
			k = r.namespaceKey(ns, k)
		}
		if !m.add(k, forms[i+1]) {
			return nil, r.syntax(open, "duplicate map key "+describe(k))
		}
	}
	clear(forms)
	r.stack = r.stack[:start]
	return m, nil
}

// describe returns a short text for a value in an error message.
func describe(v any) string {
	const max = 40
	var s string
	switch v := v.(type) {
	case Keyword:
		s = v.String()
	case Symbol:
		s = string(v)
	case string:
		s = strconv.Quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case nil:
		return "nil"
	default:
		return fmt.Sprintf("of type %T", v)
	}
	if len(s) > max {
		i := max
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "…"
	}
	return s
}

// Small maps are allocated together with their entries, which saves an
// allocation for most maps read. (If such a map later grows past its
// capacity, the embedded array stays allocated with the map: at most eight
// entries.)
type (
	map2 struct {
		m Map
		e [2]MapEntry
	}
	map4 struct {
		m Map
		e [4]MapEntry
	}
	map8 struct {
		m Map
		e [8]MapEntry
	}
)

// newMapSized returns an empty map with room for n entries.
func newMapSized(n int) *Map {
	switch {
	case n == 0:
		return new(Map)
	case n <= 2:
		p := new(map2)
		p.m.entries = p.e[:0:n]
		return &p.m
	case n <= 4:
		p := new(map4)
		p.m.entries = p.e[:0:n]
		return &p.m
	case n <= 8:
		p := new(map8)
		p.m.entries = p.e[:0:n]
		return &p.m
	}
	return &Map{entries: make([]MapEntry, 0, n)}
}
