package client

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// tokens are the CSRF token in use and the one before it, which errors of
// the last connection may still quote (see redact).
type tokens struct{ cur, prev string }

// csrfToken returns the CSRF token in use.
func (c *Client) csrfToken() string { return c.token.Load().cur }

// tokenTimeout bounds one call of Options.TokenSource.
const tokenTimeout = 15 * time.Second

// refreshToken gets a fresh token from Options.TokenSource. The connection
// loop calls it between connections, so no request is using the old one.
func (c *Client) refreshToken() error {
	ctx, cancel := context.WithTimeout(c.ctx, tokenTimeout)
	defer cancel()
	tok, err := c.cfg.TokenSource(ctx, c.hc)
	if err != nil {
		return c.redact(onePrefix(fmt.Errorf("client: token source: %w", err)))
	}
	c.token.Store(&tokens{cur: tok, prev: c.csrfToken()})
	c.log.Debug("client: got a fresh CSRF token")
	return nil
}

// PageToken returns an Options.TokenSource that loads pageURL, a page of
// the application, with the client's HTTP client and reads its token as
// Bootstrap does: a new session's cookie lands in the client's cookie jar.
func PageToken(pageURL string) func(ctx context.Context, hc *http.Client) (string, error) {
	return func(ctx context.Context, hc *http.Client) (string, error) { return Bootstrap(ctx, pageURL, hc) }
}
