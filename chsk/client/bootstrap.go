package client

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"
)

// ErrNoCSRFToken is returned by Bootstrap for a page without the
// sente-csrf-token element.
var ErrNoCSRFToken = errors.New(`client: page has no <div id="sente-csrf-token" data-csrf-token="…">`)

// maxPageBytes bounds the page Bootstrap reads.
const maxPageBytes = 4 << 20

// Bootstrap does what a browser does before its Sente client connects: it
// loads the application page pageURL with hc, whose cookie jar keeps the
// session cookie the page sets, and returns the CSRF token that Sente apps
// put in the page as
//
//	<div id="sente-csrf-token" data-csrf-token="…"></div>
//
// Pass the token as Options.CSRFToken and hc as
// Options.HTTPClient. hc must have a Jar. A page answered with a
// non-2xx status gives a *StatusError; a page without the element
// ErrNoCSRFToken.
func Bootstrap(ctx context.Context, pageURL string, hc *http.Client) (string, error) {
	if hc == nil || hc.Jar == nil {
		return "", errors.New("client: bootstrap needs an http.Client with a cookie jar")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, pageURL, nil)
	if err != nil {
		return "", fmt.Errorf("client: bootstrap: %w", err)
	}
	req.Header.Set("Accept", "text/html")
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("client: bootstrap: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", onePrefix(fmt.Errorf("client: bootstrap: %w", statusError(TransportAuto, resp)))
	}
	page, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes))
	if err != nil {
		return "", fmt.Errorf("client: bootstrap: %w", err)
	}
	return csrfTokenFromHTML(string(page))
}

// csrfTokenFromHTML returns the data-csrf-token attribute of the element
// whose id is sente-csrf-token in page, HTML entities decoded. It skips
// comments, and reports ErrNoCSRFToken when there is no such element with
// that attribute.
func csrfTokenFromHTML(page string) (string, error) {
	for i := 0; i < len(page); {
		lt := strings.IndexByte(page[i:], '<')
		if lt < 0 {
			break
		}
		i += lt
		if strings.HasPrefix(page[i:], "<!--") {
			end := strings.Index(page[i+4:], "-->")
			if end < 0 {
				break
			}
			i += 4 + end + 3
			continue
		}
		attrs, next := parseTag(page, i+1)
		i = next
		if attrs["id"] == "sente-csrf-token" {
			if token, ok := attrs["data-csrf-token"]; ok {
				return token, nil
			}
		}
	}
	return "", ErrNoCSRFToken
}

// parseTag reads the start tag whose name begins at page[i] and returns its
// attributes (names lower-cased, values unescaped) and the index after it.
// Anything that is not a start tag gives no attributes.
func parseTag(page string, i int) (map[string]string, int) {
	isLetter := func(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
	if i >= len(page) || !isLetter(page[i]) {
		return nil, i
	}
	for i < len(page) && !isSpace(page[i]) && page[i] != '>' && page[i] != '/' {
		i++ // tag name
	}
	attrs := make(map[string]string)
	for i < len(page) {
		for i < len(page) && (isSpace(page[i]) || page[i] == '/') {
			i++
		}
		if i >= len(page) || page[i] == '>' {
			return attrs, i + 1
		}
		start := i
		for i < len(page) && !isSpace(page[i]) && page[i] != '=' && page[i] != '>' && page[i] != '/' {
			i++
		}
		name := strings.ToLower(page[start:i])
		for i < len(page) && isSpace(page[i]) {
			i++
		}
		if i >= len(page) || page[i] != '=' {
			if _, dup := attrs[name]; !dup && name != "" {
				attrs[name] = ""
			}
			if name == "" {
				i++ // a stray character: skip it
			}
			continue
		}
		i++ // '='
		for i < len(page) && isSpace(page[i]) {
			i++
		}
		var value string
		if i < len(page) && (page[i] == '"' || page[i] == '\'') {
			q := page[i]
			end := strings.IndexByte(page[i+1:], q)
			if end < 0 {
				return attrs, len(page)
			}
			value = page[i+1 : i+1+end]
			i += end + 2
		} else {
			start := i
			for i < len(page) && !isSpace(page[i]) && page[i] != '>' {
				i++
			}
			value = page[start:i]
		}
		if _, dup := attrs[name]; !dup { // HTML keeps the first of duplicates
			attrs[name] = html.UnescapeString(value)
		}
	}
	return attrs, len(page)
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}
