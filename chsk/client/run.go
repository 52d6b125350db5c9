package client

import (
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// connResult is how one connection or connection attempt ended.
type connResult struct {
	opened bool  // the handshake arrived
	stable bool  // the connection worked long enough to reset the back-off
	err    error // why it ended
}

// run is the Client's connection loop: connect, serve the connection until
// it ends, wait out the back-off, again, until Close. It owns every
// connection and waits for each one's goroutines before starting the next.
func (c *Client) run() {
	defer c.wg.Done()
	auto := c.cfg.Type == TransportAuto
	kind := c.cfg.Type
	if auto {
		kind = TransportWS
	}
	var (
		attempt   int
		wsOpened  bool      // a WebSocket of this client completed a handshake
		ajaxUntil time.Time // auto: stay on Ajax until then (zero: for good)
		fellBack  bool
		refresh   = c.cfg.TokenSource != nil && c.csrfToken() == "" // get a token before the next attempt
	)
	for {
		select {
		case <-c.kick: // a Reconnect that the previous connection already served
		default:
		}
		ran := kind
		var r connResult
		refreshed := refresh
		if refresh {
			refresh = false
			r.err = c.refreshToken()
		}
		noToken := r.err != nil
		switch {
		case noToken: // no attempt: the back-off, then the token source again
			refresh = true
		case ran == TransportWS:
			r = c.runWS()
		default:
			r = c.runAjax()
		}
		if c.ctx.Err() != nil {
			return
		}
		r.err = c.redact(r.err)
		if r.opened && ran == TransportWS {
			wsOpened = true
		}
		if fellBack && !ajaxUntil.IsZero() && time.Now().After(ajaxUntil) {
			// The fallback expired: the next attempt tries a WebSocket again.
			fellBack, kind = false, TransportWS
			c.log.Debug("client: trying WebSocket again after the Ajax fallback")
		}
		if errors.Is(r.err, errReconnect) {
			attempt = 0
			continue
		}
		var se *StatusError
		refused := errors.As(r.err, &se)
		// Before any WebSocket of the client opened, every failure counts
		// (Sente's rule); later only an upgrade the server refused with a 4xx
		// does, not a network error or a 5xx that a restart explains.
		// A 403 is the server refusing the session or its token: it says
		// nothing about the transport, so it never causes the fallback.
		forbidden := refused && se.Status == http.StatusForbidden
		if forbidden && c.cfg.TokenSource != nil && !refreshed {
			// The session or its token is gone (a restarted server): a fresh
			// token, and at once another attempt.
			c.log.Debug("client: CSRF token refused, getting a fresh one", slog.Any("err", r.err))
			refresh = true
			c.mu.Lock()
			c.setState(func(s *State) { s.LastError = r.err })
			c.mu.Unlock()
			continue
		}
		if auto && ran == TransportWS && !r.opened && !forbidden && !noToken && (!wsOpened || refused && se.Status < 500) {
			c.log.Info("client: WebSocket failed, falling back to Ajax long-polling", slog.Any("err", r.err))
			kind, fellBack = TransportAjax, true
			ajaxUntil = time.Time{}
			if c.cfg.FallbackTTL > 0 {
				ajaxUntil = time.Now().Add(c.cfg.FallbackTTL)
			}
			c.mu.Lock()
			c.setState(func(s *State) { s.LastError = r.err })
			c.mu.Unlock()
			continue
		}
		if !r.opened && refused && se.permanent() {
			select {
			case c.dialErr <- r.err: // Dial gives up; later, the client keeps trying
			default:
			}
		}
		if r.stable {
			attempt = 0
		}
		attempt++
		delay := max(c.cfg.Backoff(attempt), 0)
		next := time.Now().Add(delay)
		c.mu.Lock()
		c.setState(func(s *State) {
			s.LastError = r.err
			s.NextReconnect = next
		})
		c.mu.Unlock()
		c.log.Debug("client: connection lost, reconnecting", slog.String("transport", ran.String()),
			slog.Int("attempt", attempt), slog.Duration("delay", delay), slog.Any("err", r.err))
		if !c.sleep(delay) {
			attempt = 0 // Reconnect: a fresh start
		}
		if c.ctx.Err() != nil {
			return
		}
	}
}

// sleep waits d, or until Close or Reconnect; it reports false when cut
// short.
func (c *Client) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.kick:
		return false
	case <-c.ctx.Done():
		return false
	}
}
