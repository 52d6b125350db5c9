package golden

import (
	"bufio"
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteRequestKeepsOrderAndCase(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, writeRequest(&b, "POST", "/chsk?a=1", []Header{{"Host", "h"}, {"x-csrf-token", "t"}, {"Content-Length", "2"}}, []byte("ab")))
	require.Equal(t, "POST /chsk?a=1 HTTP/1.1\r\nHost: h\r\nx-csrf-token: t\r\nContent-Length: 2\r\n\r\nab", b.String())
}

func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		name, raw, method string
		framing, body     string
		status            int
		headers           []Header
		rest              string
	}{
		{name: "content-length", raw: "HTTP/1.1 403 Forbidden\r\ncontent-length: 14\r\nServer: http-kit\r\n\r\nBad CSRF tokenXX",
			method: "GET", status: 403, framing: "content-length", body: "Bad CSRF token",
			headers: []Header{{"content-length", "14"}, {"Server", "http-kit"}}, rest: "XX"},
		{name: "chunked", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
			method: "GET", status: 200, framing: "chunked", body: "abcde", headers: []Header{{"Transfer-Encoding", "chunked"}}},
		{name: "eof", raw: "HTTP/1.1 200 OK\r\n\r\nuntil the end", method: "GET", status: 200, framing: "eof", body: "until the end"},
		{name: "101 keeps frames", raw: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x01x",
			method: "GET", status: 101, framing: "none", headers: []Header{{"Upgrade", "websocket"}}, rest: "\x81\x01x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReader(strings.NewReader(tc.raw))
			resp, err := readResponse(br, tc.method)
			require.NoError(t, err)
			require.Equal(t, tc.status, resp.Status)
			require.Equal(t, tc.framing, resp.Framing)
			require.Equal(t, tc.body, string(resp.Body))
			require.Equal(t, tc.headers, resp.Headers)
			rest, _ := br.Peek(br.Buffered())
			require.Equal(t, tc.rest, string(rest))
		})
	}
}

func TestReadResponseErrors(t *testing.T) {
	for name, raw := range map[string]string{
		"status line":    "HTTP/1.1 OK\r\n\r\n",
		"not http":       "SSH-2.0\r\n\r\n",
		"header":         "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
		"content-length": "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"too large":      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
		"long line":      "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", maxHeaderLine) + "\r\n\r\n",
		"many headers":   "HTTP/1.1 200 OK\r\n" + strings.Repeat("X: y\r\n", maxHeaders+1) + "\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := readResponse(bufio.NewReaderSize(strings.NewReader(raw), maxHeaderLine), "GET")
			require.True(t, errors.Is(err, errResponse), "%v", err)
		})
	}
	_, err := readResponse(bufio.NewReader(strings.NewReader("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab")), "GET")
	require.Error(t, err)
}
