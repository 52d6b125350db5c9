package client

import "strings"

// redact hides the CSRF token in err's text: Sente puts it in the query of
// WebSocket upgrades and Ajax polls, and net/http's errors quote the URL.
// The result still unwraps to err.
func (c *Client) redact(err error) error {
	tok := c.cfg.CSRFToken
	if err == nil || tok == "" {
		return err
	}
	msg := err.Error()
	hidden := msg
	for _, form := range []string{escapeComponent(tok), tok} {
		hidden = strings.ReplaceAll(hidden, form, "REDACTED")
	}
	if hidden == msg {
		return err
	}
	return &redactedError{msg: hidden, err: err}
}

// redactedError is an error whose text had the token taken out.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
