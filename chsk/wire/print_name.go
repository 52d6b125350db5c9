package wire

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Character classes of ASCII bytes in keyword and symbol names, after the EDN
// specification: names start with a letter or one of . * + ! - _ ? $ % & = < >
// and may go on with digits and the constituents # and :.
const (
	nameStart = 1 << iota // may start a name part
	nameInner             // may appear after the first character
	nameDigit             // a digit: inner only, and not right after a leading + - .
	nameFast              // inner, and never needs a closer look (all but ':')
)

var nameClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = nameStart | nameInner
		t[c-'a'+'A'] = nameStart | nameInner
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = nameInner | nameDigit
	}
	for _, c := range ".*+!-_?$%&=<>" {
		t[c] = nameStart | nameInner
	}
	t['#'] = nameInner
	for c := range t {
		if t[c]&nameInner != 0 {
			t[c] |= nameFast
		}
	}
	t[':'] = nameInner
	return t
}()

// checkName reports why the keyword (without its colon) or symbol text s would
// not read back as the same keyword or symbol, or "" when it would. It follows
// the EDN specification, which is stricter than what Clojure's reader takes:
// no leading digit, at most one slash with a non-empty namespace and name,
// no "::" and no trailing colon, no whitespace, delimiters, quotes or control
// characters. Non-ASCII letters, digits, marks and symbols are allowed.
func checkName(s string, keyword bool) string {
	// One pass over plain ASCII names accepts the common case; anything it
	// is unsure of goes to checkNameSlow, which also says what is wrong.
	n := len(s)
	slash := -1
	for i := 0; i < n; i++ {
		c := s[i]
		if nameClass[c]&nameFast != 0 {
			continue
		}
		if c == '/' && slash < 0 {
			slash = i
			continue
		}
		return checkNameSlow(s, keyword)
	}
	if n == 0 || !partStartOK(s, 0) || slash >= 0 && (slash == n-1 || !partStartOK(s, slash+1)) || !keyword && n <= 5 {
		return checkNameSlow(s, keyword)
	}
	return ""
}

// partStartOK reports whether s[i] may start a namespace or name.
func partStartOK(s string, i int) bool {
	c := s[i]
	return nameClass[c]&nameStart != 0 &&
		!((c == '+' || c == '-' || c == '.') && i+1 < len(s) && nameClass[s[i+1]]&nameDigit != 0)
}

// hasNamespace reports whether the keyword text s has a slash, for names
// checkName accepted (a loop beats strings.IndexByte on short names).
func hasNamespace(s string) bool {
	for i := 1; i < len(s); i++ {
		if s[i] == '/' {
			return true
		}
	}
	return false
}

func checkNameSlow(s string, keyword bool) string {
	if s == "" {
		return "is empty"
	}
	if !keyword {
		switch s {
		case "/":
			return "" // the division symbol
		case "nil", "true", "false":
			return "would read as a literal"
		}
	}
	slash := strings.IndexByte(s, '/')
	if slash < 0 {
		return checkNamePart(s)
	}
	if slash == 0 || slash == len(s)-1 {
		return "has an empty namespace or name"
	}
	if strings.IndexByte(s[slash+1:], '/') >= 0 {
		return "has more than one /"
	}
	if r := checkNamePart(s[:slash]); r != "" {
		return r
	}
	return checkNamePart(s[slash+1:])
}

// checkNamePart checks a namespace or a name (s has no slash and is not empty).
func checkNamePart(s string) string {
	c := s[0]
	if c < utf8.RuneSelf {
		if nameClass[c]&nameStart == 0 {
			return "cannot start with " + quoteChar(rune(c))
		}
		if (c == '+' || c == '-' || c == '.') && len(s) > 1 && nameClass[s[1]]&nameDigit != 0 {
			return "would read as a number"
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if nameClass[c]&nameInner == 0 {
				return "cannot contain " + quoteChar(rune(c))
			}
			if c == ':' && (i+1 == len(s) || s[i+1] == ':') {
				return "cannot contain \"::\" or end with ':'"
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return "is not valid UTF-8"
		case i == 0 && unicode.IsDigit(r):
			return "cannot start with a digit"
		case !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || unicode.IsSymbol(r)):
			return "cannot contain " + quoteChar(r)
		}
		i += size
	}
	return ""
}

// checkTag reports why t cannot be the tag of a tagged literal: it must be a
// symbol that starts with a letter (so that #tag is not another dispatch form
// such as #_ or #{).
func checkTag(t string) string {
	if t == "" || !('a' <= t[0] && t[0] <= 'z' || 'A' <= t[0] && t[0] <= 'Z') {
		return "must start with a letter"
	}
	return checkName(t, false)
}

func quoteChar(r rune) string { return strconv.QuoteRune(r) }
