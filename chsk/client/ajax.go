package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/gosente/gosente/chsk/wire"
)

// ajaxConn is an open Ajax "connection": a handshake, then one long-poll
// after another; events go as POSTs of their own (PROTOCOL §7).
type ajaxConn struct{ c *Client }

// runAjax handshakes and long-polls until a poll fails.
func (c *Client) runAjax() (res connResult) {
	ctx, cancel := context.WithCancelCause(c.ctx)
	defer cancel(nil)
	if !c.beginConn(cancel, TransportAjax) {
		return connResult{err: ErrClosed}
	}
	a := &ajaxConn{c: c}
	defer func() { c.detach(a, res.err) }()

	hctx, hcancel := context.WithTimeout(ctx, handshakeTimeout)
	env, err := a.get(hctx, true)
	hcancel()
	if err != nil {
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		return connResult{err: err}
	}
	hs, ok := wire.ParseHandshake(env.Payload)
	if !ok {
		return connResult{err: errNoHandshake}
	}
	c.attach(a, hs, TransportAjax)
	res.opened = true
	for {
		pctx, pcancel := context.WithTimeout(ctx, pollTimeout)
		env, err := a.get(pctx, false)
		expired := errors.Is(pctx.Err(), context.DeadlineExceeded)
		pcancel()
		switch {
		case ctx.Err() != nil:
			res.err = context.Cause(ctx)
			return res
		case err != nil && expired:
			continue // Sente polls again at once after its own request timeout
		case err != nil:
			res.err = err
			return res
		}
		if hs, ok := wire.ParseHandshake(env.Payload); ok {
			// The server forgot this client (a restart, a long pause).
			c.rehandshake(a, hs)
			res.stable = true
			continue
		}
		if k, ok := env.Payload.(wire.Keyword); ok && k == wire.KwTimeout {
			res.stable = true
			continue
		}
		evs, err := wire.ParseBatch(env.Payload)
		if err != nil {
			res.stable = false // back off: polling again at once would spin
			res.err = fmt.Errorf("client: bad long-poll answer: %w", err)
			return res
		}
		res.stable = true
		for _, ev := range evs {
			if err := c.out.event(c.ctx, ev); err != nil {
				res.err = ErrClosed
				return res
			}
		}
	}
}

// get sends an Ajax handshake or long-poll GET and reads its frame.
func (a *ajaxConn) get(ctx context.Context, handshake bool) (wire.Envelope, error) {
	c := a.c
	q := c.query()
	q.add("udt", udt())
	q.add("client-id", c.cfg.ClientID)
	if handshake {
		if c.cfg.ServerVersion == Server117 {
			q.add("handshake?", "true")
		} else {
			q.add("handshake?", "1")
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.endpoint(q), nil)
	if err != nil {
		return wire.Envelope{}, err
	}
	a.header(req)
	return a.do(req)
}

// post sends ev with callback marker cb (nil for none) as an Ajax POST and
// reads the server's answer. Close ends it.
func (a *ajaxConn) post(ctx context.Context, ev wire.Event, cb any) (wire.Envelope, error) {
	c := a.c
	frame, err := c.cfg.Packer.Pack(nil, ev, cb)
	if err != nil {
		return wire.Envelope{}, fmt.Errorf("client: send %s: %w", ev.ID, err)
	}
	var (
		target = c.endpoint(nil)
		body   io.Reader
		ctype  string
	)
	if c.cfg.Packer.Binary() {
		// Sente 1.21+ binary POST: the packed bytes as the body.
		q := new(queryBuilder)
		q.add("udt", udt())
		q.add("client-id", c.cfg.ClientID)
		q.add("binary?", "true")
		target, body, ctype = c.endpoint(q), bytes.NewReader(frame), "application/octet-stream"
	} else {
		f := new(queryBuilder)
		if c.cfg.ServerVersion == Server117 {
			c.addParams(f)
		}
		f.add("udt", udt())
		if c.cfg.ServerVersion == Server117 {
			f.add("csrf-token", c.csrfToken())
		}
		f.add("client-id", c.cfg.ClientID)
		f.add("ppstr", string(frame))
		body, ctype = strings.NewReader(f.String()), "application/x-www-form-urlencoded;charset=utf-8"
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(c.ctx, cancel)
	defer stop()
	req, err := http.NewRequestWithContext(pctx, http.MethodPost, target, body)
	if err != nil {
		return wire.Envelope{}, err
	}
	a.header(req)
	req.Header.Set("Content-Type", ctype)
	env, err := a.do(req)
	if err != nil {
		if c.ctx.Err() != nil {
			return env, ErrClosed
		}
		if ctx.Err() != nil {
			return env, c.waitErr(ctx)
		}
		return env, fmt.Errorf("%w: %w", ErrSendFailed, err)
	}
	return env, nil
}

// header sets the headers of an Ajax request.
func (a *ajaxConn) header(req *http.Request) {
	for k, v := range a.c.cfg.Header {
		req.Header[k] = slices.Clone(v)
	}
	if tok := a.c.csrfToken(); tok != "" {
		req.Header.Set("X-CSRF-Token", tok)
	}
	req.Header.Set("X-Requested-With", "XMLHTTPRequest")
}

// do sends req and reads the one frame of its 2xx answer.
func (a *ajaxConn) do(req *http.Request) (wire.Envelope, error) {
	resp, err := a.c.hc.Do(req)
	if err != nil {
		return wire.Envelope{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return wire.Envelope{}, statusError(TransportAjax, resp)
	}
	limit := a.c.cfg.MaxMessageBytes
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return wire.Envelope{}, err
	}
	if int64(len(body)) > limit {
		return wire.Envelope{}, fmt.Errorf("client: Ajax answer exceeds %d bytes", limit)
	}
	env, err := a.c.cfg.Packer.Unpack(body)
	if err != nil {
		return wire.Envelope{}, fmt.Errorf("client: unreadable Ajax answer: %w", err)
	}
	return env, nil
}

func (a *ajaxConn) send(ctx context.Context, ev wire.Event) error {
	env, err := a.post(ctx, ev, nil)
	if err != nil {
		return err
	}
	if k, ok := env.Payload.(wire.Keyword); !ok || k != wire.KwDummyCB200 {
		a.c.log.Debug("client: unexpected answer to an Ajax event without callback", slog.Any("payload", env.Payload))
	}
	return nil
}

func (a *ajaxConn) request(ctx context.Context, ev wire.Event) (any, error) {
	var marker any = wire.AjaxCB
	if a.c.cfg.ServerVersion == Server117 {
		marker = int64(0) // what 1.17 clients send; every server reads both
	}
	env, err := a.post(ctx, ev, marker)
	if err != nil {
		return nil, err
	}
	return replyValue(env.Payload)
}
