package golden

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httputil"
	"strconv"
	"strings"
)

// Limits for reading a live response.
const (
	maxHeaderLine = 64 << 10
	maxHeaders    = 200
	maxBody       = 8 << 20
)

// errResponse is wrapped by every error about a malformed live response.
var errResponse = errors.New("golden: malformed HTTP response")

// liveResponse is a response read off the wire, header case and order kept.
type liveResponse struct {
	StatusLine string
	Status     int
	Headers    []Header
	Body       []byte
	Framing    string // content-length, chunked, eof, none
}

// writeRequest writes an HTTP/1.1 request with exactly the given headers,
// in order; the caller supplies Content-Length when there is a body.
func writeRequest(w io.Writer, method, target string, headers []Header, body []byte) error {
	var b bytes.Buffer
	b.WriteString(method + " " + target + " HTTP/1.1\r\n")
	for _, h := range headers {
		b.WriteString(h.Name + ": " + h.Value + "\r\n")
	}
	b.WriteString("\r\n")
	b.Write(body)
	_, err := w.Write(b.Bytes())
	return err
}

func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("%w: header line longer than %d bytes", errResponse, br.Size())
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// readResponse reads one response. A 101 leaves br positioned at the first
// WebSocket frame.
func readResponse(br *bufio.Reader, method string) (*liveResponse, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	parts := strings.SplitN(line, " ", 3)
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "HTTP/") {
		return nil, fmt.Errorf("%w: status line %q", errResponse, line)
	}
	code, err := strconv.Atoi(parts[1])
	if err != nil || code < 100 || code > 999 {
		return nil, fmt.Errorf("%w: status line %q", errResponse, line)
	}
	resp := &liveResponse{StatusLine: line, Status: code}
	for {
		l, err := readLine(br)
		if err != nil {
			return nil, err
		}
		if l == "" {
			break
		}
		if len(resp.Headers) == maxHeaders {
			return nil, fmt.Errorf("%w: more than %d headers", errResponse, maxHeaders)
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("%w: header line %q", errResponse, l)
		}
		resp.Headers = append(resp.Headers, Header{Name: name, Value: strings.TrimSpace(value)})
	}
	if code == 101 || code == 204 || code == 304 || code < 200 || method == "HEAD" {
		resp.Framing = "none"
		return resp, nil
	}
	if te := headerValue(resp.Headers, "Transfer-Encoding"); strings.EqualFold(strings.TrimSpace(te), "chunked") {
		resp.Framing = "chunked"
		if resp.Body, err = readLimited(httputil.NewChunkedReader(br)); err != nil {
			return nil, err
		}
		for { // trailer fields, up to the blank line
			l, err := readLine(br)
			if err != nil {
				return nil, err
			}
			if l == "" {
				return resp, nil
			}
		}
	}
	if cl := headerValue(resp.Headers, "Content-Length"); cl != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(cl), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: Content-Length %q", errResponse, cl)
		}
		if n > maxBody {
			return nil, fmt.Errorf("%w: Content-Length %d over %d", errResponse, n, maxBody)
		}
		resp.Framing = "content-length"
		resp.Body = make([]byte, n)
		_, err = io.ReadFull(br, resp.Body)
		return resp, err
	}
	resp.Framing = "eof"
	resp.Body, err = readLimited(br)
	return resp, err
}

func readLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxBody+1))
	if err == nil && len(b) > maxBody {
		return nil, fmt.Errorf("%w: body over %d bytes", errResponse, maxBody)
	}
	return b, err
}
