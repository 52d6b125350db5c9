package client

import (
	"maps"
	"net/url"
	"slices"
	"strings"
)

// queryBuilder builds a query string in insertion order, as Sente's clients
// do, escaping like JavaScript's encodeURIComponent (spaces as %20).
type queryBuilder struct{ b strings.Builder }

func (q *queryBuilder) add(key, value string) {
	if q.b.Len() > 0 {
		q.b.WriteByte('&')
	}
	q.b.WriteString(escapeComponent(key))
	q.b.WriteByte('=')
	q.b.WriteString(escapeComponent(value))
}

func (q *queryBuilder) String() string { return q.b.String() }

func escapeComponent(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// query starts a query string with the user's Params (Sente places them
// before its own keys), sorted by name.
func (c *Client) query() *queryBuilder {
	q := new(queryBuilder)
	c.addParams(q)
	return q
}

func (c *Client) addParams(q *queryBuilder) {
	for _, k := range slices.Sorted(maps.Keys(c.cfg.Params)) {
		for _, v := range c.cfg.Params[k] {
			q.add(k, v)
		}
	}
}

// endpoint returns the channel-socket URL with q appended to the query it
// already has.
func (c *Client) endpoint(q *queryBuilder) string {
	u := *c.httpURL
	switch {
	case q == nil || q.b.Len() == 0:
	case u.RawQuery == "":
		u.RawQuery = q.String()
	default:
		u.RawQuery += "&" + q.String()
	}
	return u.String()
}
