package wire

import "strconv"

// The value types print as EDN with fmt (%v, %s; %q quotes the EDN text), so
// a reply printed in a log or a test failure reads as Sente wrote it:
// {:echo "hello"}, not &{[{echo hello}] map[]}. Keyword, Symbol and UUID
// have their String methods in value.go.

// String returns the map as EDN, e.g. {:echo "hello"}; a nil map is {}.
func (m *Map) String() string { return ednText(m) }

// String returns the set as EDN, e.g. #{1 2}; a nil set is #{}.
func (s *Set) String() string { return ednText(s) }

// String returns the vector as EDN, e.g. [:a "b"].
func (v Vector) String() string { return ednText(v) }

// String returns the list as EDN, e.g. (1 2).
func (l List) String() string { return ednText(l) }

// String returns the tagged literal as EDN, e.g. #my.app/point [1 2].
func (t Tagged) String() string { return ednText(t) }

// String returns the character as EDN, e.g. \a or \newline.
func (c Char) String() string { return ednText(c) }

// String returns the decimal as EDN, with its M suffix: 1.50M.
func (d BigDecimal) String() string { return ednText(d) }

// String returns the text, which is EDN already.
func (r Raw) String() string { return string(r) }

// String returns the event as EDN, e.g. [:my-app/save {:id 1}].
func (e Event) String() string { return ednText(e) }

// String returns the entry as Clojure prints a map entry: [key value].
func (e MapEntry) String() string { return "[" + ednText(e.Key) + " " + ednText(e.Value) + "]" }

// ednText is v's EDN text, or, for a value the printer refuses (a channel
// inside a map, a cycle), fmt's style of reporting a bad operand: the
// printer's error in %!v(…).
func ednText(v any) string {
	b, err := Marshal(v)
	if err != nil {
		return "%!v(" + strconv.Quote(err.Error()) + ")"
	}
	return string(b)
}
