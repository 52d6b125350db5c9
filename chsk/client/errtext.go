package client

import "strings"

// redact hides the CSRF token in err's text: Sente puts it in the query of
// WebSocket upgrades and Ajax polls, and net/http's errors quote the URL.
// The result still unwraps to err.
func (c *Client) redact(err error) error {
	if err == nil {
		return err
	}
	t := c.token.Load()
	msg := err.Error()
	hidden := msg
	for _, tok := range []string{t.cur, t.prev} { // an error may still quote the token before the last
		if tok == "" {
			continue
		}
		for _, form := range []string{escapeComponent(tok), tok} {
			hidden = strings.ReplaceAll(hidden, form, "REDACTED")
		}
	}
	if hidden == msg {
		return err
	}
	return &textError{msg: hidden, err: err}
}

// prefix starts the text of every error of the package, once per chain.
const prefix = "client: "

// onePrefix returns err with "client: " once in its text, at the start: a
// wrapped error of the package keeps its words but loses its own prefix.
// The result still unwraps to err.
func onePrefix(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, prefix)
	if !ok {
		return err
	}
	for _, join := range []string{": ", "("} {
		rest = strings.ReplaceAll(rest, join+prefix, join)
	}
	if rest == msg[len(prefix):] {
		return err
	}
	return &textError{msg: prefix + rest, err: err}
}

// textError is an error whose text was rewritten (no token, one prefix).
type textError struct {
	msg string
	err error
}

func (e *textError) Error() string { return e.msg }
func (e *textError) Unwrap() error { return e.err }
