package wire

import "strconv"

// SyntaxError reports EDN text that cannot be read: malformed syntax, invalid
// UTF-8, a duplicate map key or set element, or a tag without a reader.
type SyntaxError struct {
	Offset int    // byte offset in the input where the problem was found
	Msg    string // what is wrong, without the "edn: " prefix
	Err    error  // the underlying cause, such as ErrBadUUID or a tag reader's error; may be nil
}

// Error returns "edn: <msg> at offset N".
func (e *SyntaxError) Error() string {
	return "edn: " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

// Unwrap returns the underlying cause, if any.
func (e *SyntaxError) Unwrap() error { return e.Err }

// LimitError reports input that exceeds one of the limits of ReadOptions. The
// reader stops as soon as a limit is crossed, before allocating for it.
type LimitError struct {
	Limit  string // "bytes", "depth", "digits" or "elements"
	Max    int    // the limit in force
	Offset int    // byte offset in the input where the limit was crossed
}

// Error returns "edn: <limit> limit N exceeded at offset M".
func (e *LimitError) Error() string {
	return "edn: " + e.Limit + " limit " + strconv.Itoa(e.Max) +
		" exceeded at offset " + strconv.Itoa(e.Offset)
}
