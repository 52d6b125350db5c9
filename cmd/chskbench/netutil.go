package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// connectTimeout bounds every TCP connect, WebSocket upgrade and handshake.
const connectTimeout = 15 * time.Second

// srcDialer dials TCP from 127.0.0.1 … 127.0.0.n in turn, so that more
// client sockets fit than one source address has ephemeral ports.
type srcDialer struct {
	dialers []*net.Dialer
	next    atomic.Uint64
}

// newSrcDialer returns a dialer over n source addresses; n ≤ 1 means the
// system's choice.
func newSrcDialer(n int) *srcDialer {
	d := &srcDialer{}
	if n <= 1 {
		d.dialers = []*net.Dialer{{Timeout: connectTimeout}}
		return d
	}
	for k := 1; k <= min(n, 254); k++ {
		d.dialers = append(d.dialers, &net.Dialer{
			Timeout:   connectTimeout,
			LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(k))},
		})
	}
	return d
}

// DialContext dials with the next source address.
func (d *srcDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	i := d.next.Add(1) - 1
	return d.dialers[i%uint64(len(d.dialers))].DialContext(ctx, network, addr)
}

// newHTTPClient returns an HTTP/1.1 client with a cookie jar, dialing
// through d and keeping up to idle connections per host.
func newHTTPClient(d *srcDialer, idle int) *http.Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	return &http.Client{
		Jar: jar,
		Transport: &http.Transport{
			DialContext:           d.DialContext,
			ForceAttemptHTTP2:     false,
			MaxIdleConns:          idle,
			MaxIdleConnsPerHost:   idle,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: 0, // long-polls take up to the server's timeout
			TLSHandshakeTimeout:   connectTimeout,
		},
	}
}

// closeHTTPClient drops the idle connections of c.
func closeHTTPClient(c *http.Client) {
	if t, ok := c.Transport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
}

// endpoints are the URLs a load run uses, all derived from the Sente URL.
type endpoints struct {
	chsk    string // the Sente endpoint, http or https
	page    string // the page that hands out the CSRF token and cookies
	rawEcho string // ws URL of the raw echo baseline
	rawHub  string // ws URL of the raw hub baseline
	mem     string // http URL of /debug/mem
}

// newEndpoints derives the endpoints from the Sente URL and the page URL
// (empty: the server root).
func newEndpoints(chskURL, page string) (endpoints, error) {
	u, err := url.Parse(chskURL)
	if err != nil {
		return endpoints{}, err
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	case "http", "https":
	default:
		return endpoints{}, fmt.Errorf("-url %q: want an http, https, ws or wss URL", chskURL)
	}
	if u.Host == "" {
		return endpoints{}, fmt.Errorf("-url %q has no host", chskURL)
	}
	root := u.Scheme + "://" + u.Host
	ws := "ws" + strings.TrimPrefix(root, "http")
	if page == "" {
		page = root + "/"
	}
	return endpoints{
		chsk:    u.String(),
		page:    page,
		rawEcho: ws + "/raw/echo",
		rawHub:  ws + "/raw/hub",
		mem:     root + "/debug/mem",
	}, nil
}

// wsScheme turns an http(s) URL into a ws(s) one.
func wsScheme(u string) string {
	if strings.HasPrefix(u, "http") {
		return "ws" + strings.TrimPrefix(u, "http")
	}
	return u
}
