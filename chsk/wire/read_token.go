package wire

import (
	"bytes"
	"unicode"
	"unicode/utf8"
)

// scanToken returns the end of the symbol, keyword or character token
// starting at i: the first whitespace or macro-terminating character. It
// fails on @ ` ~ (never part of a token) and on invalid UTF-8. plain reports
// that the token has no '/', no ':' and no non-ASCII character, which makes
// any non-empty one a valid name.
func (r *reader) scanToken(i int, kind string) (end int, plain bool, err error) {
	d := r.data
	var seen uint16
	for i < len(d) {
		c := d[i]
		if c < utf8.RuneSelf {
			k := class[c]
			if k&(cSpace|cTerm|cBad) != 0 {
				if k&cBad != 0 {
					return 0, false, r.syntax(i, "invalid character "+string(rune(c))+" in "+kind)
				}
				break
			}
			seen |= k
			i++
			continue
		}
		ch, size := utf8.DecodeRune(d[i:])
		if ch == utf8.RuneError && size == 1 {
			return 0, false, r.syntax(i, "invalid UTF-8 in "+kind)
		}
		if isSpaceRune(ch) {
			break
		}
		seen |= cNameMark
		i += size
	}
	return i, seen&cNameMark == 0, nil
}

// validName reports whether tok is a well-formed symbol, or keyword without
// its colon, by the rules of tools.reader's parse-symbol: not empty, not
// ending in ':' nor starting with "::"; "/" alone, or no '/', or one '/'
// with a non-empty namespace not ending in ':' before it and a name that
// does not start with a digit after it (the name may be "/" itself).
func validName(tok []byte) bool {
	n := len(tok)
	if n == 0 || tok[n-1] == ':' || (n >= 2 && tok[0] == ':' && tok[1] == ':') {
		return false
	}
	i := bytes.IndexByte(tok, '/')
	switch {
	case i < 0:
		return true
	case i == 0:
		return n == 1
	}
	ns, name := tok[:i], tok[i+1:]
	if len(name) == 0 || ns[len(ns)-1] == ':' || startsWithDigit(name) {
		return false
	}
	return (len(name) == 1 && name[0] == '/') || bytes.IndexByte(name, '/') < 0
}

// startsWithDigit reports whether b starts with a decimal digit, in the
// Unicode sense Java's Character.isDigit has.
func startsWithDigit(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] < utf8.RuneSelf {
		return class[b[0]]&cDigit != 0
	}
	ch, _ := utf8.DecodeRune(b)
	return unicode.IsDigit(ch)
}

func (r *reader) readSymbol() (any, error) {
	d := r.data
	start := r.pos
	end, plain, err := r.scanToken(start, "symbol")
	if err != nil {
		return nil, err
	}
	tok := d[start:end]
	switch len(tok) {
	case 0: // cannot happen: readForm dispatched every terminating byte
		return nil, r.syntax(start, "invalid symbol")
	case 3:
		if string(tok) == "nil" {
			r.pos = end
			return nil, nil
		}
	case 4:
		if string(tok) == "true" {
			r.pos = end
			return true, nil
		}
	case 5:
		if string(tok) == "false" {
			r.pos = end
			return false, nil
		}
	}
	// Clojure reads a token starting with a digit, or a sign and a digit, as a
	// number; a non-ASCII digit makes it an invalid one.
	if !plain {
		if startsWithDigit(tok) || ((tok[0] == '+' || tok[0] == '-') && startsWithDigit(tok[1:])) {
			return nil, r.syntax(start, "invalid number")
		}
		if !validName(tok) {
			return nil, r.syntax(start, "invalid symbol")
		}
	}
	r.pos = end
	return internSymbol(tok), nil
}

func (r *reader) readKeyword() (any, error) {
	d := r.data
	start := r.pos
	i := start + 1
	if i >= len(d) {
		return nil, r.syntax(start, "unexpected EOF while reading a keyword")
	}
	if class[d[i]]&cSpace != 0 {
		return nil, r.syntax(start, "invalid keyword: single colon")
	}
	end, plain, err := r.scanToken(i, "keyword")
	if err != nil {
		return nil, err
	}
	tok := d[i:end]
	if len(tok) == 0 || (!plain && (!validName(tok) || tok[0] == ':' || bytes.Contains(tok, []byte("::")))) {
		return nil, r.syntax(start, "invalid keyword")
	}
	r.pos = end
	return internKeyword(tok), nil
}

// namespaceKey gives a key of a #:ns{} map its namespace: keywords and
// symbols without one get ns, those with the namespace _ lose it.
func (r *reader) namespaceKey(ns string, k any) any {
	switch k := k.(type) {
	case Keyword:
		kns, name := k.Namespace(), k.Name()
		switch kns {
		case "":
			return internKeyword(r.qualify(ns, name))
		case "_":
			return internKeyword(r.qualify("", name))
		}
	case Symbol:
		kns, name := Keyword(k).Namespace(), Keyword(k).Name()
		switch kns {
		case "":
			return internSymbol(r.qualify(ns, name))
		case "_":
			return internSymbol(r.qualify("", name))
		}
	}
	return k
}

// qualify returns ns/name, or name for an empty ns, in the scratch buffer.
func (r *reader) qualify(ns, name string) []byte {
	b := r.buf[:0]
	if ns != "" {
		b = append(append(b, ns...), '/')
	}
	b = append(b, name...)
	r.buf = b
	return b
}

var charNames = map[string]Char{
	"newline":   '\n',
	"space":     ' ',
	"tab":       '\t',
	"backspace": '\b',
	"formfeed":  '\f',
	"return":    '\r',
}

func (r *reader) readChar() (any, error) {
	d := r.data
	start := r.pos
	i := start + 1
	if i >= len(d) {
		return nil, r.syntax(start, "unexpected EOF while reading a character")
	}
	// A delimiter, @ ` ~ or whitespace right after the backslash is the
	// character itself.
	if c := d[i]; c < utf8.RuneSelf {
		if class[c]&(cSpace|cTerm|cBad) != 0 {
			r.pos = i + 1
			return Char(c), nil
		}
	} else {
		ch, size := utf8.DecodeRune(d[i:])
		if ch == utf8.RuneError && size == 1 {
			return nil, r.syntax(i, "invalid UTF-8 in character")
		}
		if isSpaceRune(ch) {
			r.pos = i + size
			return Char(ch), nil
		}
	}
	end, _, err := r.scanToken(i, "character")
	if err != nil {
		return nil, err
	}
	tok := d[i:end]
	if ch, size := utf8.DecodeRune(tok); size == len(tok) {
		r.pos = end
		return Char(ch), nil
	}
	if c, ok := charNames[string(tok)]; ok {
		r.pos = end
		return c, nil
	}
	switch tok[0] {
	case 'u':
		if len(tok) == 5 {
			if u, ok := parseHex4(tok[1:]); ok {
				if 0xd800 <= u && u <= 0xdfff {
					return nil, r.syntax(start, "invalid character constant: surrogate \\"+clip(tok))
				}
				r.pos = end
				return Char(u), nil
			}
		}
		return nil, r.syntax(start, "invalid unicode character \\"+clip(tok))
	case 'o':
		if len(tok) <= 4 {
			var v rune
			for _, c := range tok[1:] {
				if c < '0' || c > '7' {
					return nil, r.syntax(start, "invalid octal character \\"+clip(tok))
				}
				v = v*8 + rune(c-'0')
			}
			if v > 0o377 {
				return nil, r.syntax(start, "octal character must be in range [0, 377]")
			}
			r.pos = end
			return Char(v), nil
		}
		return nil, r.syntax(start, "invalid octal character \\"+clip(tok))
	}
	return nil, r.syntax(start, "unsupported character \\"+clip(tok))
}

// clip returns the start of tok for an error message.
func clip(tok []byte) string {
	const max = 40
	if len(tok) <= max {
		return string(tok)
	}
	i := max
	for i > 0 && !utf8.RuneStart(tok[i]) {
		i--
	}
	return string(tok[:i]) + "…"
}

// parseHex4 parses exactly four hex digits.
func parseHex4(b []byte) (rune, bool) {
	if len(b) != 4 {
		return 0, false
	}
	var v rune
	for _, c := range b {
		h, ok := unhex(c)
		if !ok {
			return 0, false
		}
		v = v<<4 | rune(h)
	}
	return v, true
}
