package golden

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Kind is the kind of a transcript record.
type Kind string

// The record kinds of a transcript (see testdata/README.md).
const (
	KindNote      Kind = "note"
	KindHTTP      Kind = "http"
	KindWSUpgrade Kind = "ws-upgrade"
	KindWSFrame   Kind = "ws-frame"
	KindWSSilence Kind = "ws-silence"
	KindWSEOF     Kind = "ws-eof"
	KindServerLog Kind = "server-log"
)

// Header is one HTTP header line as recorded: name (case preserved) and value.
type Header struct {
	Name, Value string
}

// UnmarshalJSON reads a header recorded as a two-element JSON array.
func (h *Header) UnmarshalJSON(b []byte) error {
	var pair []string
	if err := json.Unmarshal(b, &pair); err != nil {
		return err
	}
	if len(pair) != 2 {
		return fmt.Errorf("header: want [name, value], got %d elements", len(pair))
	}
	h.Name, h.Value = pair[0], pair[1]
	return nil
}

// MarshalJSON writes the header as a two-element JSON array.
func (h Header) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]string{h.Name, h.Value})
}

// Request is a recorded HTTP request, exactly as the probe sent it.
type Request struct {
	Method  string   `json:"method"`
	Target  string   `json:"target"`
	Headers []Header `json:"headers"`
	Body    *string  `json:"body,omitempty"`
}

// Response is a recorded HTTP response, exactly as received.
type Response struct {
	StatusLine string   `json:"status_line"`
	Status     int      `json:"status"`
	Headers    []Header `json:"headers"`
	Body       *string  `json:"body,omitempty"`
	BodyB64    string   `json:"body_b64,omitempty"`
	Framing    string   `json:"framing"`
}

// BodyBytes returns the response body, decoding body_b64 when present.
func (r *Response) BodyBytes() ([]byte, error) {
	if r.BodyB64 != "" {
		return base64.StdEncoding.DecodeString(r.BodyB64)
	}
	if r.Body != nil {
		return []byte(*r.Body), nil
	}
	return nil, nil
}

// Record is one line of a transcript. Which fields are set depends on Kind.
type Record struct {
	Seq      int    `json:"seq"`
	Label    string `json:"label"`
	Scenario string `json:"scenario"`
	Step     string `json:"step"`
	TMs      int    `json:"t_ms"`
	Kind     Kind   `json:"kind"`
	Text     string `json:"text,omitempty"`

	// http, ws-upgrade
	Request   *Request  `json:"request,omitempty"`
	Response  *Response `json:"response,omitempty"`
	ElapsedMs int       `json:"elapsed_ms,omitempty"`
	Error     string    `json:"error,omitempty"`

	// ws-*
	Conn        string  `json:"conn,omitempty"`
	Dir         string  `json:"dir,omitempty"`
	Type        string  `json:"type,omitempty"`
	Opcode      int     `json:"opcode,omitempty"`
	Fin         *bool   `json:"fin,omitempty"`
	Payload     *string `json:"payload,omitempty"`
	PayloadB64  string  `json:"payload_b64,omitempty"`
	CloseCode   int     `json:"close_code,omitempty"`
	CloseReason string  `json:"close_reason,omitempty"`
	WaitedMs    int     `json:"waited_ms,omitempty"`

	// server-log
	Source string `json:"source,omitempty"`
	Line   string `json:"line,omitempty"`
}

// PayloadBytes returns a ws-frame record's payload (payload or payload_b64).
func (r *Record) PayloadBytes() ([]byte, error) {
	if r.PayloadB64 != "" {
		return base64.StdEncoding.DecodeString(r.PayloadB64)
	}
	if r.Payload != nil {
		return []byte(*r.Payload), nil
	}
	return nil, nil
}

// IsEvent reports whether r is an event-log line of the reference app
// (server-log with source "events"), the only server-log lines compared.
func (r *Record) IsEvent() bool { return r.Kind == KindServerLog && r.Source == "events" }

// Transcript is a loaded golden transcript: the records of one Sente version
// in recording order, grouped into scenarios.
type Transcript struct {
	// Label names the Sente version, e.g. "sente-1.17.0".
	Label string
	// Records holds every record in seq order.
	Records []*Record

	scenarios []*Scenario
	instances []Instance
}

// Scenario is one run of consecutive records with the same scenario name.
// A name can occur more than once (scenario "a" runs again before "origin",
// on the second server instance); ID tells the occurrences apart.
type Scenario struct {
	// ID is unique within the transcript: the name, or name#N for the Nth
	// occurrence (N ≥ 2), e.g. "a#2".
	ID string
	// Name is the scenario name of the records ("a", "b", …, "origin").
	Name string
	// Instance indexes Transcript.Instances: the server the scenario ran on.
	Instance int
	// Records are the scenario's records in seq order.
	Records []*Record

	tr *Transcript
}

// Transcript returns the transcript the scenario belongs to.
func (s *Scenario) Transcript() *Transcript { return s.tr }

// Instance is one server the probe talked to. The reference run used two:
// the main app, then (for scenario "origin") an otherwise identical app
// whose :allowed-origins is #{"http://localhost:PORT"}, PORT being its own port.
type Instance struct {
	// Index is the position in Transcript.Instances.
	Index int
	// Host is the recorded Host header ("127.0.0.1:9117").
	Host string
	// AllowedOrigin is the recorded allowed origin announced by a scenario
	// note ("http://localhost:9217"), or "" for :allowed-origins :all.
	// A live instance must allow "http://localhost:<its own port>" instead.
	AllowedOrigin string
	// Scenarios lists the IDs of the scenarios that ran on this instance.
	Scenarios []string
}

// ParseError reports a malformed transcript line.
type ParseError struct {
	Line int
	Err  error
}

// Error renders the line number and the problem.
func (e *ParseError) Error() string {
	return fmt.Sprintf("golden: transcript line %d: %v", e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// maxLine bounds one transcript line (server-log lines can be several KiB).
const maxLine = 4 << 20

// Load reads a transcript file (JSON Lines).
func Load(path string) (*Transcript, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f)
}

var knownKinds = map[Kind]bool{
	KindNote: true, KindHTTP: true, KindWSUpgrade: true, KindWSFrame: true,
	KindWSSilence: true, KindWSEOF: true, KindServerLog: true,
}

// Parse reads a transcript (JSON Lines) and checks that it is well formed:
// known kinds, one label, increasing seq, the fields each kind needs.
func Parse(r io.Reader) (*Transcript, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	t := &Transcript{}
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		rec := &Record{}
		if err := json.Unmarshal(b, rec); err != nil {
			return nil, &ParseError{Line: line, Err: err}
		}
		if err := checkRecord(rec); err != nil {
			return nil, &ParseError{Line: line, Err: err}
		}
		if t.Label == "" {
			t.Label = rec.Label
		} else if rec.Label != t.Label {
			return nil, &ParseError{Line: line, Err: fmt.Errorf("label %q differs from %q", rec.Label, t.Label)}
		}
		if n := len(t.Records); n > 0 && rec.Seq <= t.Records[n-1].Seq {
			return nil, &ParseError{Line: line, Err: fmt.Errorf("seq %d not after %d", rec.Seq, t.Records[n-1].Seq)}
		}
		t.Records = append(t.Records, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, &ParseError{Line: line + 1, Err: err}
	}
	if len(t.Records) == 0 {
		return nil, &ParseError{Line: line, Err: errors.New("empty transcript")}
	}
	t.group()
	return t, nil
}

func checkRecord(r *Record) error {
	if !knownKinds[r.Kind] {
		return fmt.Errorf("unknown kind %q", r.Kind)
	}
	if r.Scenario == "" || r.Step == "" {
		return errors.New("missing scenario or step")
	}
	switch r.Kind {
	case KindHTTP, KindWSUpgrade:
		if r.Request == nil || r.Response == nil {
			return fmt.Errorf("%s record without request/response", r.Kind)
		}
		if r.Kind == KindWSUpgrade && r.Conn == "" {
			return errors.New("ws-upgrade record without conn")
		}
	case KindWSFrame:
		if r.Conn == "" || (r.Dir != "c2s" && r.Dir != "s2c") {
			return errors.New("ws-frame record without conn or dir")
		}
		if _, ok := frameOpcodes[r.Type]; !ok {
			return fmt.Errorf("ws-frame type %q", r.Type)
		}
		if _, err := r.PayloadBytes(); err != nil {
			return fmt.Errorf("ws-frame payload: %w", err)
		}
	case KindWSSilence, KindWSEOF:
		if r.Conn == "" {
			return fmt.Errorf("%s record without conn", r.Kind)
		}
	}
	return nil
}

// Scenarios returns the scenarios in recording order.
func (t *Transcript) Scenarios() []*Scenario { return t.scenarios }

// Scenario returns the scenario with the given ID, or nil.
func (t *Transcript) Scenario(id string) *Scenario {
	for _, s := range t.scenarios {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// Instances returns the servers the probe talked to, in order of first use.
func (t *Transcript) Instances() []Instance { return t.instances }

var allowedOriginNote = regexp.MustCompile(`allowed-origins #\{"([^"]+)"\}`)

func (t *Transcript) group() {
	seen := map[string]int{}
	var cur *Scenario
	for _, r := range t.Records {
		if cur == nil || r.Scenario != cur.Name {
			seen[r.Scenario]++
			id := r.Scenario
			if n := seen[r.Scenario]; n > 1 {
				id += "#" + strconv.Itoa(n)
			}
			cur = &Scenario{ID: id, Name: r.Scenario, tr: t}
			t.scenarios = append(t.scenarios, cur)
		}
		cur.Records = append(cur.Records, r)
	}
	hosts := map[string]int{}
	prev := 0
	for _, s := range t.scenarios {
		host := ""
		for _, r := range s.Records {
			if r.Request != nil {
				if h := headerValue(r.Request.Headers, "Host"); h != "" {
					host = h
					break
				}
			}
		}
		idx, ok := hosts[host]
		switch {
		case host == "":
			idx = prev
		case !ok:
			idx = len(t.instances)
			hosts[host] = idx
			t.instances = append(t.instances, Instance{Index: idx, Host: host})
		}
		if len(t.instances) == 0 { // a transcript without any request
			t.instances = append(t.instances, Instance{})
		}
		s.Instance, prev = idx, idx
		in := &t.instances[idx]
		in.Scenarios = append(in.Scenarios, s.ID)
		for _, r := range s.Records {
			if m := allowedOriginNote.FindStringSubmatch(r.Text); r.Kind == KindNote && m != nil {
				in.AllowedOrigin = m[1]
			}
		}
	}
}

// headerValue returns the first value of the named header (case-insensitive).
func headerValue(hs []Header, name string) string {
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// clientIDs returns the client-ids a scenario's requests name (query string
// or urlencoded body), in order of first appearance, including "" for a
// blank client-id parameter.
func (s *Scenario) clientIDs() []string {
	var ids []string
	seen := map[string]bool{}
	add := func(vs url.Values) {
		if v, ok := vs["client-id"]; ok && len(v) > 0 && !seen[v[0]] {
			seen[v[0]] = true
			ids = append(ids, v[0])
		}
	}
	for _, r := range s.Records {
		if r.Request == nil {
			continue
		}
		if i := strings.IndexByte(r.Request.Target, '?'); i >= 0 {
			if vs, err := url.ParseQuery(r.Request.Target[i+1:]); err == nil {
				add(vs)
			}
		}
		if r.Request.Body != nil {
			if vs, err := url.ParseQuery(*r.Request.Body); err == nil {
				add(vs)
			}
		}
	}
	return ids
}
