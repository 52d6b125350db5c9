package golden

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer answers with the recorded responses of some scenarios, under
// its own session cookie, CSRF token and port, so a replay against it must
// match everything. It checks every request byte for byte against the
// recording (rewritten for its session and port) and answers 599 when a
// request does not match, so request mistakes show up as mismatches.
type fakeServer struct {
	t     *testing.T
	ln    net.Listener
	scale float64
	recs  []*Record   // records it can answer, in recording order
	scs   []*Scenario // the scenarios it plays
	late  bool        // log the lines of later scenarios' records at the end
	rw    rewriter    // recorded → fake
	fakeOptions

	mu        sync.Mutex
	events    []string
	stepsDone map[string]bool
	wg        sync.WaitGroup
}

// fakeSession uses characters that need URL escaping, unlike most recorded tokens.
var fakeSession = session{
	Cookie: "ring-session=fake0000-1111-2222-3333-444444444444",
	Token:  strings.Repeat("Fake+Tok/en=", 7)[:80],
}

// fakeOptions alter what the fake answers, to prove the suite notices.
type fakeOptions struct {
	alterBody  func(rec *Record, body string) string
	alterFrame func(payload string) string
	alterEvent func(line string) string
	extraDelay func(rec *Record) time.Duration
}

// newFakeServer serves the records of sc and of the "a" scenario of its
// instance (for the session). Event lines that the recording saw only in
// later scenarios are logged when sc's last connection ends.
func newFakeServer(t *testing.T, sc *Scenario, scale float64, opts fakeOptions) *fakeServer {
	var scs []*Scenario
	for _, s := range sc.Transcript().Scenarios() {
		if s.Instance == sc.Instance && (s == sc || s.Name == "a") {
			scs = append(scs, s)
		}
	}
	f := startFake(t, scs, scale, opts)
	f.late = true
	return f
}

// newInstanceFake serves every scenario of a transcript instance.
func newInstanceFake(t *testing.T, tr *Transcript, instance int, scale float64) *fakeServer {
	var scs []*Scenario
	for _, s := range tr.Scenarios() {
		if s.Instance == instance {
			scs = append(scs, s)
		}
	}
	return startFake(t, scs, scale, fakeOptions{})
}

func startFake(t *testing.T, scs []*Scenario, scale float64, opts fakeOptions) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{t: t, ln: ln, scale: scale, scs: scs, stepsDone: map[string]bool{}, fakeOptions: opts}
	for _, s := range scs {
		for _, r := range s.Records {
			if r.Kind == KindHTTP || r.Kind == KindWSUpgrade {
				f.recs = append(f.recs, r)
			}
		}
	}
	tr, inst := scs[0].Transcript(), scs[0].Instance
	rec := side{host: tr.Instances()[inst].Host, sess: recordedSession(tr, inst)}
	f.rw = newRewriter(rec, side{host: ln.Addr().String(), sess: fakeSession})
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(f.close)
	return f
}

func (f *fakeServer) baseURL() string { return "http://" + f.ln.Addr().String() }

func (f *fakeServer) close() {
	f.ln.Close()
	f.wg.Wait()
}

// Events is the fake app's event log.
func (f *fakeServer) Events() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.events...)
}

func (f *fakeServer) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer c.Close()
			f.handle(c)
		}()
	}
}

func (f *fakeServer) scaled(ms int) time.Duration {
	return time.Duration(float64(ms) * f.scale * float64(time.Millisecond))
}

type rawRequest struct {
	line    string
	headers []Header
	body    []byte
}

func readRawRequest(br *bufio.Reader) (*rawRequest, error) {
	line, err := readLine(br)
	if err != nil {
		return nil, err
	}
	req := &rawRequest{line: line}
	n := 0
	for {
		l, err := readLine(br)
		if err != nil {
			return nil, err
		}
		if l == "" {
			break
		}
		name, value, _ := strings.Cut(l, ": ")
		req.headers = append(req.headers, Header{name, value})
		if strings.EqualFold(name, "Content-Length") {
			n, _ = strconv.Atoi(value)
		}
	}
	req.body = make([]byte, n)
	_, err = io.ReadFull(br, req.body)
	return req, err
}

// wantRequest is a recorded request as the fake expects to receive it.
func (f *fakeServer) wantRequest(r *Record) *rawRequest {
	var body []byte
	if r.Request.Body != nil {
		body = []byte(f.rw.url.Replace(*r.Request.Body))
	}
	want := &rawRequest{line: r.Request.Method + " " + f.rw.url.Replace(r.Request.Target) + " HTTP/1.1", body: body}
	for _, h := range r.Request.Headers {
		v := f.rw.header.Replace(h.Value)
		if strings.EqualFold(h.Name, "Content-Length") {
			v = strconv.Itoa(len(body))
		}
		want.headers = append(want.headers, Header{h.Name, v})
	}
	return want
}

func sameRequest(a, b *rawRequest) bool {
	if a.line != b.line || !bytes.Equal(a.body, b.body) || len(a.headers) != len(b.headers) {
		return false
	}
	for i := range a.headers {
		if a.headers[i] != b.headers[i] {
			return false
		}
	}
	return true
}

func (f *fakeServer) handle(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	got, err := readRawRequest(br)
	if err != nil {
		return
	}
	var rec *Record
	for _, r := range f.recs {
		if sameRequest(got, f.wantRequest(r)) {
			rec = r
			break
		}
	}
	if rec == nil {
		msg := fmt.Sprintf("no recorded request matches %q %v %q", got.line, got.headers, got.body)
		fmt.Fprintf(c, "HTTP/1.1 599 No Match\r\nContent-Length: %d\r\n\r\n%s", len(msg), msg)
		return
	}
	f.emitStepEvents(rec)
	d := f.scaled(rec.ElapsedMs)
	if f.extraDelay != nil {
		d += f.extraDelay(rec)
	}
	replayPause(time.Now().Add(d))
	resp := rec.Response
	body := ""
	if resp.Body != nil {
		body = f.rw.header.Replace(*resp.Body)
	}
	if f.alterBody != nil {
		body = f.alterBody(rec, body)
	}
	var b strings.Builder
	b.WriteString(resp.StatusLine + "\r\n")
	for _, h := range resp.Headers {
		v := f.rw.header.Replace(h.Value)
		switch strings.ToLower(h.Name) {
		case "content-length":
			v = strconv.Itoa(len(body))
		case "date":
			v = time.Now().UTC().Format(time.RFC1123)
		}
		b.WriteString(h.Name + ": " + v + "\r\n")
	}
	b.WriteString("\r\n")
	if resp.Status != 101 {
		b.WriteString(body)
	}
	if _, err := io.WriteString(c, b.String()); err != nil || resp.Status != 101 {
		return
	}
	_ = c.SetDeadline(time.Time{})
	f.playWS(c, br, rec)
}

// scenarioOf returns the played scenario holding rec.
func (f *fakeServer) scenarioOf(rec *Record) *Scenario {
	for _, s := range f.scs {
		if len(s.Records) > 0 && rec.Seq >= s.Records[0].Seq && rec.Seq <= s.Records[len(s.Records)-1].Seq {
			return s
		}
	}
	return nil
}

// emitStepEvents logs the event lines recorded in rec's step (once), with a
// live :t.
func (f *fakeServer) emitStepEvents(rec *Record) {
	sc := f.scenarioOf(rec)
	f.mu.Lock()
	defer f.mu.Unlock()
	key := sc.ID + "/" + rec.Step
	if f.stepsDone[key] {
		return
	}
	f.stepsDone[key] = true
	f.emitLocked(sc, rec.Step)
	// Steps without traffic (await-uidport-close, origin/end) log their lines
	// about when the recording read them.
	steps, touched, firstLog := stepOrder(sc)
	for i, st := range steps {
		if st != rec.Step {
			continue
		}
		for _, next := range steps[i+1:] {
			if touched[next] {
				break
			}
			k := sc.ID + "/" + next
			if f.stepsDone[k] || firstLog[next] < 0 {
				continue
			}
			f.stepsDone[k] = true
			next := next
			time.AfterFunc(f.scaled((firstLog[next]-rec.TMs)*8/10), func() {
				f.mu.Lock()
				defer f.mu.Unlock()
				f.emitLocked(sc, next)
			})
		}
	}
}

func (f *fakeServer) emitLocked(sc *Scenario, step string) {
	for _, r := range sc.Records {
		if r.Step == step && r.IsEvent() {
			f.events = append(f.events, f.liveLine(r.Line))
		}
	}
}

// stepOrder lists a scenario's steps, which of them the fake sees traffic
// for, and the recorded time of each step's first log line (-1: none).
func stepOrder(sc *Scenario) (steps []string, touched map[string]bool, firstLog map[string]int) {
	touched, firstLog = map[string]bool{}, map[string]int{}
	for _, r := range sc.Records {
		if _, ok := firstLog[r.Step]; !ok {
			steps = append(steps, r.Step)
			firstLog[r.Step] = -1
		}
		if r.Conn != "" || r.Kind == KindHTTP {
			touched[r.Step] = true
		}
		if r.IsEvent() && firstLog[r.Step] < 0 {
			firstLog[r.Step] = r.TMs
		}
	}
	return steps, touched, firstLog
}

func (f *fakeServer) liveLine(line string) string {
	line = reEventT.ReplaceAllString(line, fmt.Sprintf("{:t %d,", time.Now().UnixMilli()))
	if f.alterEvent != nil {
		line = f.alterEvent(line)
	}
	return line
}

// emitLate logs the lines of sc's clients recorded in later scenarios.
func (f *fakeServer) emitLate(sc *Scenario) {
	tr := sc.Transcript()
	ids := sc.clientIDs()
	after := false
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range tr.Scenarios() {
		if s == sc {
			after = true
			continue
		}
		if !after || s.Instance != sc.Instance {
			continue
		}
		for _, r := range s.Records {
			if r.IsEvent() && containsString(ids, eventClientID(r.Line)) {
				f.events = append(f.events, f.liveLine(r.Line))
			}
		}
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// playWS plays the recorded frames of the upgrade's connection: server
// frames at their recorded offsets, client frames awaited and checked.
func (f *fakeServer) playWS(c net.Conn, br *bufio.Reader, up *Record) {
	sc := f.scenarioOf(up)
	anchor, anchorT := time.Now(), up.TMs+up.ElapsedMs
	lastSeq := 0
	for _, r := range sc.Records {
		if r.Conn != "" || r.Kind == KindHTTP {
			lastSeq = r.Seq
		}
	}
	for _, r := range sc.Records {
		if r.Conn != up.Conn || r.Seq <= up.Seq {
			continue
		}
		f.emitStepEvents(r)
		switch {
		case r.Kind == KindWSFrame && r.Dir == "s2c":
			replayPause(anchor.Add(f.scaled(r.TMs - anchorT)))
			fr, _ := recordFrame(r)
			if fr.Opcode == opText && f.alterFrame != nil {
				fr.Payload = []byte(f.alterFrame(string(fr.Payload)))
			}
			if err := writeServerFrame(c, fr); err != nil {
				return
			}
		case r.Kind == KindWSFrame && r.Dir == "c2s":
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			got, err := readFrame(br)
			if err != nil {
				return
			}
			want, _ := recordFrame(r)
			if !got.Masked || got.Opcode != want.Opcode || !bytes.Equal(got.Payload, want.Payload) {
				_ = writeServerFrame(c, wsFrame{Fin: true, Opcode: opText, Payload: []byte("FAKE: unexpected client frame " + renderFrame(got))})
			}
			anchor, anchorT = time.Now(), r.TMs
		case r.Kind == KindWSEOF:
			replayPause(anchor.Add(f.scaled(r.TMs - anchorT)))
			if r.Seq == lastSeq && f.late {
				time.AfterFunc(f.scaled(100), func() { f.emitLate(sc) })
			}
			return
		}
	}
	_, _ = io.Copy(io.Discard, br)
}

// writeServerFrame writes an unmasked frame.
func writeServerFrame(w io.Writer, f wsFrame) error {
	b0 := f.Opcode
	if f.Fin {
		b0 |= 0x80
	}
	hdr := []byte{b0}
	switch n := len(f.Payload); {
	case n < 126:
		hdr = append(hdr, byte(n))
	case n <= 0xFFFF:
		hdr = append(hdr, 126, byte(n>>8), byte(n))
	default:
		return fmt.Errorf("fake: frame too long")
	}
	_, err := w.Write(append(hdr, f.Payload...))
	return err
}

// replayPause waits until t: the fake server answers when the recorded Sente
// server did (scaled), which is the behaviour under test, not a wait for a
// state.
func replayPause(t time.Time) { time.Sleep(time.Until(t)) }
