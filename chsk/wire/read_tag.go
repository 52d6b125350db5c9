package wire

import (
	"math"
	"unicode"
	"unicode/utf8"
)

// readDispatch reads the form after a # at r.pos: a set, a namespaced map, a
// symbolic value or a tagged literal. #_ and #! are handled before this.
func (r *reader) readDispatch() (any, error) {
	d := r.data
	at := r.pos
	if at+1 >= len(d) {
		return nil, r.syntax(at, "unexpected EOF after #")
	}
	switch d[at+1] {
	case '{':
		return r.readSet()
	case ':':
		return r.readNamespacedMap()
	case '#':
		return r.readSymbolic()
	case '"':
		return nil, r.syntax(at, "regular expressions (#\"…\") are not EDN")
	case '<':
		return nil, r.syntax(at, "unreadable form (#<…>)")
	case '^':
		return nil, r.syntax(at, "metadata (#^) is not supported")
	case '(':
		return nil, r.syntax(at, "function literals (#(…)) are not EDN")
	case '?':
		return nil, r.syntax(at, "reader conditionals (#?) are not EDN")
	case '=':
		return nil, r.syntax(at, "read-eval (#=) is not EDN")
	case '\'':
		return nil, r.syntax(at, "var quote (#') is not EDN")
	}
	return r.readTagged()
}

// readSymbolic reads ##Inf, ##-Inf or ##NaN.
func (r *reader) readSymbolic() (any, error) {
	at := r.pos
	r.pos += 2
	if err := r.skip(); err != nil {
		return nil, err
	}
	if r.pos >= len(r.data) {
		return nil, r.syntax(at, "unexpected EOF after ##")
	}
	end, _, err := r.scanToken(r.pos, "symbolic value")
	if err != nil {
		return nil, err
	}
	tok := r.data[r.pos:end]
	var f float64
	switch string(tok) {
	case "Inf":
		f = math.Inf(1)
	case "-Inf":
		f = math.Inf(-1)
	case "NaN":
		f = math.NaN()
	default:
		return nil, r.syntax(at, "invalid symbolic value ##"+clip(tok))
	}
	r.pos = end
	return f, nil
}

// readNamespacedMap reads #:ns{…}.
func (r *reader) readNamespacedMap() (any, error) {
	d := r.data
	at := r.pos
	i := at + 2
	if i >= len(d) {
		return nil, r.syntax(at, "unexpected EOF in namespaced map")
	}
	end, _, err := r.scanToken(i, "namespaced map")
	if err != nil {
		return nil, err
	}
	ns := d[i:end]
	if !validName(ns) || ns[0] == ':' || ns[0] == '/' || containsByte(ns, '/') {
		return nil, r.syntax(at, "invalid namespace in namespaced map")
	}
	r.pos = end
	for r.pos < len(d) {
		if c := d[r.pos]; c < utf8.RuneSelf {
			if class[c]&cSpace == 0 {
				break
			}
			r.pos++
		} else {
			ch, size := utf8.DecodeRune(d[r.pos:])
			if !isSpaceRune(ch) {
				break
			}
			r.pos += size
		}
	}
	if r.pos >= len(d) || d[r.pos] != '{' {
		return nil, r.syntax(at, "namespaced map must specify a map")
	}
	return r.readMap(at, string(ns))
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

// readTagged reads a tagged literal #tag value.
func (r *reader) readTagged() (any, error) {
	d := r.data
	at := r.pos
	r.pos++
	if err := r.skip(); err != nil {
		return nil, err
	}
	if r.pos >= len(d) {
		return nil, r.syntax(at, "unexpected EOF after #")
	}
	if !startsWithLetter(d[r.pos:]) {
		return nil, r.syntax(at, "no dispatch macro for #"+clip(d[r.pos:min(r.pos+1, len(d))]))
	}
	end, _, err := r.scanToken(r.pos, "tag")
	if err != nil {
		return nil, err
	}
	tok := d[r.pos:end]
	if !validName(tok) {
		return nil, r.syntax(at, "invalid tag #"+clip(tok))
	}
	var fn func(any) (any, error)
	if r.tags != nil {
		fn = r.tags[Symbol(tok)]
	}
	builtin := ""
	if fn == nil {
		switch string(tok) {
		case "inst":
			builtin = "inst"
		case "uuid":
			builtin = "uuid"
		case "object":
			return nil, r.syntax(at, "no reader function for tag object (an unreadable JVM object)")
		default:
			if !r.keepUnknown {
				return nil, r.syntax(at, "no reader function for tag "+clip(tok))
			}
		}
	}
	r.pos = end
	if err := r.enter(at); err != nil {
		return nil, err
	}
	v, _, err := r.readForm(0)
	if err != nil {
		return nil, err
	}
	r.depth--
	switch {
	case fn != nil:
		out, err := fn(v)
		if err != nil {
			return nil, &SyntaxError{Offset: at, Msg: "tag #" + clip(tok) + ": " + err.Error(), Err: err}
		}
		return out, nil
	case builtin == "inst":
		s, ok := v.(string)
		if !ok {
			return nil, r.syntax(at, "#inst needs a string")
		}
		t, ok := parseInst(s)
		if !ok {
			return nil, r.syntax(at, "invalid #inst "+clip([]byte(s)))
		}
		return t, nil
	case builtin == "uuid":
		s, ok := v.(string)
		if !ok {
			return nil, r.syntax(at, "#uuid needs a string")
		}
		if !canonicalUUID(s) {
			return nil, &SyntaxError{Offset: at, Msg: "invalid #uuid " + clip([]byte(s)), Err: ErrBadUUID}
		}
		u, err := ParseUUID(s)
		if err != nil {
			return nil, &SyntaxError{Offset: at, Msg: "invalid #uuid " + clip([]byte(s)), Err: err}
		}
		return u, nil
	}
	return Tagged{Tag: Symbol(tok), Value: v}, nil
}

// startsWithLetter reports whether b starts with a letter, as the EDN
// specification requires of a tag.
func startsWithLetter(b []byte) bool {
	if b[0] < utf8.RuneSelf {
		c := b[0] | 0x20
		return 'a' <= c && c <= 'z'
	}
	ch, _ := utf8.DecodeRune(b)
	return unicode.IsLetter(ch)
}

// canonicalUUID reports whether s has the 8-4-4-4-12 hex digit form, checked
// before ParseUUID is trusted with text from the wire.
func canonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if class[s[i]]&cHex == 0 {
				return false
			}
		}
	}
	return true
}
