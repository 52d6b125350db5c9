package wire

import (
	"unicode/utf8"
)

// readString reads a string literal whose opening quote is at r.pos.
func (r *reader) readString() (any, error) {
	d := r.data
	start := r.pos + 1
	i := start
	for i < len(d) && class[d[i]]&cStrStop == 0 {
		i++
	}
	if i < len(d) && d[i] == '"' { // plain ASCII without escapes
		r.pos = i + 1
		return string(d[start:i]), nil
	}
	return r.readStringSlow(start, i)
}

// readStringSlow continues reading a string that starts at start and has a
// backslash or a non-ASCII byte at i (or ends there, unterminated).
func (r *reader) readStringSlow(start, i int) (any, error) {
	d := r.data
	buf := r.buf[:0]
	escaped := false
	plain := start // start of the run not yet copied to buf
	for i < len(d) {
		c := d[i]
		switch {
		case class[c]&cStrStop == 0:
			i++
		case c == '"':
			r.pos = i + 1
			if !escaped {
				return string(d[start:i]), nil
			}
			buf = append(buf, d[plain:i]...)
			r.buf = buf
			return string(buf), nil
		case c >= utf8.RuneSelf:
			ch, size := utf8.DecodeRune(d[i:])
			if ch == utf8.RuneError && size == 1 {
				return nil, r.syntax(i, "invalid UTF-8 in string")
			}
			i += size
		default: // backslash
			buf = append(buf, d[plain:i]...)
			escaped = true
			var err error
			if buf, i, err = r.appendEscape(buf, i, start); err != nil {
				r.buf = buf
				return nil, err
			}
			plain = i
		}
	}
	r.buf = buf
	return nil, r.syntax(start-1, "unexpected EOF while reading a string")
}

// appendEscape appends the character of the escape sequence whose backslash
// is at i, in the string starting at start, and returns the index after it.
func (r *reader) appendEscape(buf []byte, i, start int) ([]byte, int, error) {
	d := r.data
	j := i + 1
	if j >= len(d) {
		return buf, 0, r.syntax(start-1, "unexpected EOF while reading a string")
	}
	switch c := d[j]; c {
	case 't':
		return append(buf, '\t'), j + 1, nil
	case 'r':
		return append(buf, '\r'), j + 1, nil
	case 'n':
		return append(buf, '\n'), j + 1, nil
	case '\\':
		return append(buf, '\\'), j + 1, nil
	case '"':
		return append(buf, '"'), j + 1, nil
	case 'b':
		return append(buf, '\b'), j + 1, nil
	case 'f':
		return append(buf, '\f'), j + 1, nil
	case 'u':
		u, ok := hex4At(d, j+1)
		if !ok {
			return buf, 0, r.syntax(i, "invalid unicode escape")
		}
		next := j + 5
		if 0xd800 <= u && u < 0xdc00 && next+1 < len(d) && d[next] == '\\' && d[next+1] == 'u' {
			if lo, ok := hex4At(d, next+2); ok && 0xdc00 <= lo && lo <= 0xdfff {
				return utf8.AppendRune(buf, 0x10000+(u-0xd800)<<10+(lo-0xdc00)), next + 6, nil
			}
		}
		// A lone surrogate cannot be held in UTF-8: AppendRune writes U+FFFD.
		return utf8.AppendRune(buf, u), next, nil
	case '0', '1', '2', '3', '4', '5', '6', '7':
		// One to three octal digits; a shorter escape must be followed by
		// whitespace or a macro character.
		v := rune(c - '0')
		k := j + 1
		for n := 1; n < 3 && k < len(d); n++ {
			c := d[k]
			if c >= utf8.RuneSelf {
				ch, _ := utf8.DecodeRune(d[k:])
				if isSpaceRune(ch) {
					break
				}
				return buf, 0, r.syntax(k, "invalid digit in octal escape")
			}
			if class[c]&(cSpace|cMacro) != 0 {
				break
			}
			if c < '0' || c > '7' {
				return buf, 0, r.syntax(k, "invalid digit in octal escape")
			}
			v = v*8 + rune(c-'0')
			k++
		}
		if v > 0o377 {
			return buf, 0, r.syntax(i, "octal escape must be in range [0, 377]")
		}
		return utf8.AppendRune(buf, v), k, nil
	}
	return buf, 0, r.syntax(i, "unsupported escape character")
}

// hex4At parses the four hex digits at d[i:i+4].
func hex4At(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	return parseHex4(d[i : i+4])
}
