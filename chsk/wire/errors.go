package wire

import "strconv"

// SyntaxError reports EDN text that cannot be read: malformed syntax, invalid
// UTF-8, a duplicate map key or set element, or a tag without a reader.
type SyntaxError struct {
	Offset int    // byte offset in the input where the problem was found
	Msg    string // what is wrong, without the "edn: " prefix
	Err    error  // the underlying cause, such as ErrBadUUID or a tag reader's error; may be nil
	Format string // the packer's format: "" for EDN, "transit", "msgpack" or "gzip"
}

// Error returns "edn: <msg> at offset N", with the format's name in place of
// edn for the other packers.
func (e *SyntaxError) Error() string {
	return formatName(e.Format) + ": " + e.Msg + " at offset " + strconv.Itoa(e.Offset)
}

func formatName(f string) string {
	if f == "" {
		return "edn"
	}
	return f
}

// Unwrap returns the underlying cause, if any.
func (e *SyntaxError) Unwrap() error { return e.Err }

// LimitError reports input that exceeds one of the limits of ReadOptions. The
// reader stops as soon as a limit is crossed, before allocating for it.
type LimitError struct {
	Limit  string // "bytes", "depth", "digits" or "elements"
	Max    int    // the limit in force
	Offset int    // byte offset in the input where the limit was crossed
	Format string // as in SyntaxError
}

// Error returns "edn: <limit> limit N exceeded at offset M", with the
// format's name in place of edn for the other packers.
func (e *LimitError) Error() string {
	return formatName(e.Format) + ": " + e.Limit + " limit " + strconv.Itoa(e.Max) +
		" exceeded at offset " + strconv.Itoa(e.Offset)
}
