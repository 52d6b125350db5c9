package golden

import (
	"strings"
	"unicode/utf8"
)

// CanonicalEnvelope rewrites a packed Sente envelope (EDN packer) into the
// form Sente 1.21+ writes: unprefixed, always two elements, and a handshake
// payload with three slots:
//
//	+[[:chsk/handshake ["u" nil]]]  → [[:chsk/handshake ["u" nil nil]] nil]
//	+[{:n 1} "cb"]                  → [{:n 1} "cb"]
//	+[:chsk/timeout]                → [:chsk/timeout nil]
//	-[:a/b 1]                       → [[:a/b 1] nil]
//	[:chsk/ws-ping]                 → [:chsk/ws-ping nil]
//
// The rule is EDN-agnostic: it only splits top-level forms and copies their
// text unchanged, so the payload's own printing is still compared byte for
// byte. Text that is not an envelope (e.g. "Bad CSRF token") is returned
// unchanged. Use it through Translated to name "1.17 envelope, 1.21+ form"
// deviations.
func CanonicalEnvelope(s string) string {
	var payload, cb string
	switch {
	case strings.HasPrefix(s, "-"):
		forms, ok := splitForms(s[1:])
		if !ok || len(forms) != 1 {
			return s
		}
		payload, cb = forms[0], "nil"
	default:
		inner := strings.TrimPrefix(s, "+")
		if !strings.HasPrefix(inner, "[") || !strings.HasSuffix(inner, "]") {
			return s
		}
		top, ok := splitForms(inner)
		if !ok || len(top) != 1 || top[0] != inner {
			return s
		}
		elems, ok := splitForms(inner[1 : len(inner)-1])
		if !ok || len(elems) == 0 {
			return s
		}
		if len(elems) > 2 && !strings.HasPrefix(s, "+") {
			return s
		}
		payload, cb = elems[0], "nil"
		if len(elems) > 1 {
			cb = elems[1]
		}
	}
	return "[" + canonicalHandshake(payload) + " " + cb + "]"
}

// canonicalHandshake turns [:chsk/handshake [uid csrf]] into
// [:chsk/handshake [uid csrf nil]]; any other payload is returned unchanged.
func canonicalHandshake(p string) string {
	if !strings.HasPrefix(p, "[") || !strings.HasSuffix(p, "]") {
		return p
	}
	ev, ok := splitForms(p[1 : len(p)-1])
	if !ok || len(ev) != 2 || ev[0] != ":chsk/handshake" {
		return p
	}
	arg := ev[1]
	if !strings.HasPrefix(arg, "[") || !strings.HasSuffix(arg, "]") {
		return p
	}
	slots, ok := splitForms(arg[1 : len(arg)-1])
	if !ok || len(slots) != 2 {
		return p
	}
	return "[" + ev[0] + " [" + slots[0] + " " + slots[1] + " nil]]"
}

// Translated returns a Deviation.Match function that accepts actual when it
// equals translate(expected) byte for byte.
func Translated(translate func(string) string) func(expected, actual string) bool {
	return func(expected, actual string) bool { return translate(expected) == actual }
}

// Exactly returns a Deviation.Match function that accepts only want.
func Exactly(want string) func(expected, actual string) bool {
	return func(_, actual string) bool { return actual == want }
}

// AnyActual is a Deviation.Match function that accepts every actual value.
// Use it only when the difference itself is the documented behaviour (e.g. a
// timer gosente deliberately does not have); the report still names it.
func AnyActual(_, _ string) bool { return true }

// splitForms splits EDN text into its top-level forms (whitespace and commas
// separate them), returning each form's text unchanged. It understands
// strings, character literals, comments, nested collections, #{…} sets,
// #_ discards and #tag literals well enough to find form boundaries; it does
// not validate tokens. ok is false for unbalanced or unterminated text.
func splitForms(s string) (forms []string, ok bool) {
	i := 0
	for {
		i = skipSpace(s, i)
		if i >= len(s) {
			return forms, true
		}
		start := i
		j, ok := scanForm(s, i)
		if !ok {
			return nil, false
		}
		forms = append(forms, s[start:j])
		i = j
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '\f'
}

func isDelim(c byte) bool {
	return isSpace(c) || strings.IndexByte("()[]{}\";", c) >= 0
}

// skipSpace skips whitespace, commas and ; comments.
func skipSpace(s string, i int) int {
	for i < len(s) {
		switch {
		case isSpace(s[i]):
			i++
		case s[i] == ';':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		default:
			return i
		}
	}
	return i
}

// scanForm returns the end of the form starting at s[i] (not whitespace).
func scanForm(s string, i int) (int, bool) {
	switch c := s[i]; {
	case c == '(' || c == '[' || c == '{':
		return scanColl(s, i+1, closer(c))
	case c == ')' || c == ']' || c == '}':
		return 0, false
	case c == '"':
		return scanString(s, i+1)
	case c == '\\':
		// character literal: backslash, one rune, then any token chars
		// (\newline, \u00e9).
		if i+1 >= len(s) {
			return 0, false
		}
		_, w := utf8.DecodeRuneInString(s[i+1:])
		j := i + 1 + w
		for j < len(s) && !isDelim(s[j]) {
			j++
		}
		return j, true
	case c == '#':
		if i+1 >= len(s) {
			return 0, false
		}
		switch n := s[i+1]; {
		case n == '{':
			return scanColl(s, i+2, '}')
		case n == '"':
			return scanString(s, i+2)
		case n == '_':
			j, ok := nextForm(s, i+2)
			if !ok {
				return 0, false
			}
			return j, true
		default: // #tag form
			j := i + 1
			for j < len(s) && !isDelim(s[j]) {
				j++
			}
			return nextForm(s, j)
		}
	default:
		j := i
		for j < len(s) && !isDelim(s[j]) {
			j++
		}
		return j, true
	}
}

// nextForm skips whitespace and scans the following form.
func nextForm(s string, i int) (int, bool) {
	i = skipSpace(s, i)
	if i >= len(s) {
		return 0, false
	}
	return scanForm(s, i)
}

func closer(c byte) byte {
	switch c {
	case '(':
		return ')'
	case '[':
		return ']'
	}
	return '}'
}

func scanColl(s string, i int, end byte) (int, bool) {
	for {
		i = skipSpace(s, i)
		if i >= len(s) {
			return 0, false
		}
		if s[i] == end {
			return i + 1, true
		}
		j, ok := scanForm(s, i)
		if !ok {
			return 0, false
		}
		i = j
	}
}

func scanString(s string, i int) (int, bool) {
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1, true
		default:
			i++
		}
	}
	return 0, false
}
