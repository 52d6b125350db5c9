package golden

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is one live server instance to replay against.
type Server struct {
	// BaseURL is "http://127.0.0.1:PORT".
	BaseURL string
	// Events returns every line of the app's event log so far, oldest first
	// (cumulative: the replay remembers how many it has seen). Lines must be
	// formatted like EventLine.String. Required.
	Events func() []string
}

// Config configures a replay.
type Config struct {
	// Servers holds one live server per transcript instance (see
	// Transcript.Instances): [0] the main app, [1] the app restricted to
	// :allowed-origins #{"http://localhost:<its port>"} for scenario origin.
	// Only instances with a selected scenario need an entry.
	Servers []Server
	// TimeScale multiplies every recorded wait and divides every measured
	// time before comparison: run the server with its timers scaled alike.
	// Zero means 1.
	TimeScale float64
	// Tolerance is how far a measured time (in recorded units) may be from
	// the recorded one and still match. Zero means 250ms.
	Tolerance time.Duration
	// MaxWait bounds every single wait of the replay (after scaling).
	// Zero means 30s.
	MaxWait time.Duration
	// Deviations names gosente's deliberate differences.
	Deviations []Deviation
	// Scenarios restricts Run to these scenario IDs; empty runs them all.
	Scenarios []string
	// Logf, if set, receives progress lines (e.g. t.Logf).
	Logf func(format string, args ...any)
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("golden: invalid config")

const (
	defaultTolerance = 250 * time.Millisecond
	defaultMaxWait   = 30 * time.Second
	dialTimeout      = 5 * time.Second
	// httpSlack is added to a request's recorded duration to get its
	// deadline (recorded units).
	httpSlack = 3000
	// settleMs is waited (recorded units) before the final event-log read.
	settleMs = 300
	// A frame the probe waited for is awaited until its recorded arrival
	// plus awaitSlackMs (recorded units; the probe's quiet window was 400
	// ms) plus awaitGrace (live), then the replay moves on without it.
	awaitSlackMs = 500
	awaitGrace   = 100 * time.Millisecond
)

// Replay replays one scenario against cfg.Servers[sc.Instance] and compares
// every status, header, body, frame, timing and event line with the
// recording. A scenario other than "a" first gets a session with GET / (not
// compared). Event lines of this scenario's clients that the recording saw
// only during later scenarios are awaited (bounded) before comparing.
// The error is non-nil only when the replay could not run at all.
func Replay(ctx context.Context, sc *Scenario, cfg Config) (*Result, error) {
	r, err := newRunner(sc.tr, cfg, []*Scenario{sc})
	if err != nil {
		return nil, err
	}
	res, err := r.scenario(ctx, sc)
	if err != nil {
		return nil, err
	}
	r.awaitLate(ctx, sc)
	r.compareEvents(sc, res)
	r.cls.finish(res)
	return res, nil
}

// Run replays the transcript's scenarios (all, or cfg.Scenarios) in
// recording order, sharing sessions the way the probe did, then compares.
func Run(ctx context.Context, tr *Transcript, cfg Config) (*Report, error) {
	var sel []*Scenario
	want := map[string]bool{}
	for _, id := range cfg.Scenarios {
		if tr.Scenario(id) == nil {
			return nil, fmt.Errorf("%w: no scenario %q in %s", ErrConfig, id, tr.Label)
		}
		want[id] = true
	}
	for _, sc := range tr.Scenarios() {
		if len(want) == 0 || want[sc.ID] {
			sel = append(sel, sc)
		}
	}
	r, err := newRunner(tr, cfg, sel)
	if err != nil {
		return nil, err
	}
	rep := &Report{Label: tr.Label}
	for _, sc := range sel {
		res, err := r.scenario(ctx, sc)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, res)
	}
	if err := r.sleep(ctx, r.scaled(settleMs)); err != nil {
		return nil, err
	}
	for i := len(rep.Results) - 1; i >= 0; i-- { // new lines go to each instance's last scenario
		r.readLog(sel[i].Instance, rep.Results[i].Scenario, "(end)")
	}
	for i, res := range rep.Results {
		r.compareEvents(sel[i], res)
		r.cls.finish(res)
	}
	rep.Unused = r.cls.unused(tr.Label)
	return rep, nil
}

// logLine is a live event-log line and where the replay first saw it.
type logLine struct {
	line, scenario, step string
}

type instState struct {
	srv     Server
	live    side // live session (once known) and host
	rec     side // recorded session and host
	hasSess bool
	seen    int // lines of srv.Events() consumed
	lines   []logLine
	owner   map[string]string // client-id → scenario ID (whole transcript)
}

type runner struct {
	tr    *Transcript
	cfg   Config
	scale float64
	tol   time.Duration
	max   time.Duration
	cls   *classifier
	inst  []*instState
}

func newRunner(tr *Transcript, cfg Config, sel []*Scenario) (*runner, error) {
	cls, err := newClassifier(cfg.Deviations)
	if err != nil {
		return nil, err
	}
	r := &runner{tr: tr, cfg: cfg, scale: cfg.TimeScale, tol: cfg.Tolerance, max: cfg.MaxWait, cls: cls}
	if r.scale == 0 {
		r.scale = 1
	}
	if r.scale < 0 {
		return nil, fmt.Errorf("%w: negative TimeScale", ErrConfig)
	}
	if r.tol == 0 {
		r.tol = defaultTolerance
	}
	if r.max == 0 {
		r.max = defaultMaxWait
	}
	r.inst = make([]*instState, len(tr.Instances()))
	for _, sc := range sel {
		i := sc.Instance
		if r.inst[i] != nil {
			continue
		}
		if i >= len(cfg.Servers) {
			return nil, fmt.Errorf("%w: scenario %s needs Servers[%d] (%s)", ErrConfig, sc.ID, i, instanceNote(tr.Instances()[i]))
		}
		srv := cfg.Servers[i]
		u, err := url.Parse(srv.BaseURL)
		if err != nil || u.Scheme != "http" || u.Port() == "" {
			return nil, fmt.Errorf("%w: Servers[%d].BaseURL %q: want http://host:port", ErrConfig, i, srv.BaseURL)
		}
		if srv.Events == nil {
			return nil, fmt.Errorf("%w: Servers[%d].Events is nil", ErrConfig, i)
		}
		st := &instState{srv: srv, live: side{host: u.Host}, owner: map[string]string{}}
		st.rec = side{host: tr.Instances()[i].Host, sess: recordedSession(tr, i)}
		st.seen = len(srv.Events())
		for _, s := range tr.Scenarios() {
			if s.Instance != i {
				continue
			}
			for _, id := range s.clientIDs() {
				if _, ok := st.owner[id]; !ok {
					st.owner[id] = s.ID
				}
			}
		}
		r.inst[i] = st
	}
	return r, nil
}

func instanceNote(in Instance) string {
	if in.AllowedOrigin != "" {
		return "an app with :allowed-origins #{\"http://localhost:<its port>\"}, recorded as " + in.AllowedOrigin
	}
	return "the reference app, recorded at " + in.Host
}

// recordedSession finds the cookie and token the probe used on instance i:
// the first recorded page that renders a token, and the cookie it set.
func recordedSession(tr *Transcript, i int) session {
	for _, sc := range tr.Scenarios() {
		if sc.Instance != i {
			continue
		}
		for _, rec := range sc.Records {
			if rec.Kind != KindHTTP || rec.Response == nil || rec.Response.Body == nil {
				continue
			}
			if tok := sessionTokenFromPage(*rec.Response.Body); tok != "" {
				return session{Cookie: sessionCookieFrom(rec.Response.Headers), Token: tok}
			}
		}
	}
	return session{}
}

func (r *runner) scaled(ms int) time.Duration {
	return time.Duration(float64(ms) * r.scale * float64(time.Millisecond))
}

// unscaledMS converts a live duration to recorded milliseconds.
func (r *runner) unscaledMS(d time.Duration) int {
	return int(float64(d) / r.scale / float64(time.Millisecond))
}

func (r *runner) logf(format string, args ...any) {
	if r.cfg.Logf != nil {
		r.cfg.Logf(format, args...)
	}
}

// sleep waits d (bounded by MaxWait) or until ctx ends.
func (r *runner) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	d = min(d, r.max)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readLog consumes new event-log lines of an instance.
func (r *runner) readLog(inst int, scenario, step string) int {
	st := r.inst[inst]
	all := st.srv.Events()
	if len(all) < st.seen { // the log was reset: take it from the start
		st.seen = 0
	}
	n := 0
	for _, l := range all[st.seen:] {
		st.lines = append(st.lines, logLine{line: l, scenario: scenario, step: step})
		n++
	}
	st.seen = len(all)
	return n
}

// httpObs is the live outcome of one http/ws-upgrade record.
type httpObs struct {
	resp       *liveResponse
	err        error
	start, end time.Time
}

// scenarioRun is the live state of one scenario replay.
type scenarioRun struct {
	sc        *Scenario
	plan      *plan
	st        *instState
	res       *Result
	conns     map[string]*liveConn
	http      map[*Record]*httpObs
	mu        sync.Mutex // guards http (background requests)
	bg        sync.WaitGroup
	stepStart []time.Time // live start of each step (zero: never started)
	stepRec   []int       // recorded start of each step
	gotSess   bool        // scenario a: the live session was taken from its page
}

func (r *runner) scenario(ctx context.Context, sc *Scenario) (*Result, error) {
	st := r.inst[sc.Instance]
	began := time.Now()
	if sc.Name != "a" && !st.hasSess {
		if err := r.fetchSession(ctx, st); err != nil {
			return nil, fmt.Errorf("golden: %s %s: getting a session: %w", r.tr.Label, sc.ID, err)
		}
	}
	p := buildPlan(sc)
	run := &scenarioRun{
		sc: sc, plan: p, st: st,
		res:       &Result{Label: r.tr.Label, Scenario: sc.ID, Actions: map[string][]string{}},
		conns:     map[string]*liveConn{},
		http:      map[*Record]*httpObs{},
		stepStart: make([]time.Time, len(p.steps)),
		stepRec:   make([]int, len(p.steps)),
	}
	for i, s := range p.steps {
		run.res.Steps = append(run.res.Steps, s.name)
		run.stepRec[i] = -1
	}
	for _, o := range p.ops {
		if run.stepRec[o.step] < 0 {
			run.stepRec[o.step] = o.recStart
		}
	}
	r.logf("golden: %s %s: %d steps, %d actions", r.tr.Label, sc.ID, len(p.steps), len(p.ops))

	anchorLive, anchorRec := time.Now(), 0
	cur := -1
	var runErr error
	for _, o := range p.ops {
		target := anchorLive.Add(r.scaled(max(o.recStart-anchorRec, 0)))
		if o.kind != opAwait {
			if err := r.sleep(ctx, time.Until(target)); err != nil {
				runErr = err
				break
			}
		}
		if o.step != cur {
			if cur >= 0 {
				run.endStep(cur)
			}
			cur = o.step
			run.stepStart[cur] = time.Now()
			if resp := p.steps[cur].responder; resp != nil {
				if c := run.conns[resp.conn]; c != nil {
					c.setResponder(resp)
				}
			}
		}
		var end time.Time
		if o.kind == opAwait {
			end = r.await(ctx, run, o, target)
			if err := ctx.Err(); err != nil {
				runErr = err
				break
			}
		} else {
			end = r.do(ctx, run, o)
		}
		if end.After(anchorLive) || o.kind != opAwait {
			anchorLive = end
		}
		anchorRec = o.recEnd
	}
	if cur >= 0 {
		run.endStep(cur)
	}
	for _, c := range run.conns {
		c.drop()
	}
	waitBG(&run.bg, r.max)
	r.readLog(sc.Instance, sc.ID, lastStep(p))
	if runErr != nil {
		return nil, fmt.Errorf("golden: %s %s: %w", r.tr.Label, sc.ID, runErr)
	}
	r.compareSteps(run)
	run.res.Duration = time.Since(began)
	return run.res, nil
}

func lastStep(p *plan) string {
	if len(p.steps) == 0 {
		return ""
	}
	return p.steps[len(p.steps)-1].name
}

func waitBG(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// endStep drops the connections the step used last and clears responders.
func (run *scenarioRun) endStep(i int) {
	st := run.plan.steps[i]
	if st.responder != nil {
		if c := run.conns[st.responder.conn]; c != nil {
			c.setResponder(nil)
		}
	}
	for _, name := range st.closeAfter {
		if c := run.conns[name]; c != nil {
			c.drop()
		}
	}
}

func (run *scenarioRun) action(step, format string, args ...any) {
	run.res.Actions[step] = append(run.res.Actions[step], fmt.Sprintf(format, args...))
}

// do performs one op and returns when the probe would have moved on.
func (r *runner) do(ctx context.Context, run *scenarioRun, o *op) time.Time {
	rec := o.rec
	switch o.kind {
	case opHTTP:
		if o.background {
			run.bg.Add(1)
			go func() {
				defer run.bg.Done()
				obs, _, _ := r.exchange(ctx, run.st, rec, false)
				run.mu.Lock()
				run.http[rec] = obs
				run.mu.Unlock()
			}()
			run.action(rec.Step, "%s %s (in the background)", rec.Request.Method, rec.Request.Target)
			return time.Now()
		}
		obs, _, _ := r.exchange(ctx, run.st, rec, false)
		run.mu.Lock()
		run.http[rec] = obs
		run.mu.Unlock()
		run.action(rec.Step, "%s %s → %s", rec.Request.Method, rec.Request.Target, obsStatus(obs))
		if run.sc.Name == "a" && obs.resp != nil && !run.gotSess {
			tok := sessionTokenFromPage(string(obs.resp.Body))
			if ck := sessionCookieFrom(obs.resp.Headers); tok != "" && ck != "" {
				run.st.live.sess, run.st.hasSess, run.gotSess = session{Cookie: ck, Token: tok}, true, true
			}
		}
		return obs.end
	case opUpgrade:
		obs, nc, br := r.exchange(ctx, run.st, rec, true)
		run.mu.Lock()
		run.http[rec] = obs
		run.mu.Unlock()
		run.action(rec.Step, "upgrade %s: %s %s → %s", rec.Conn, rec.Request.Method, rec.Request.Target, obsStatus(obs))
		if nc != nil {
			if old := run.conns[rec.Conn]; old != nil {
				old.drop()
			}
			run.conns[rec.Conn] = newLiveConn(rec.Conn, nc, br)
		}
		return obs.end
	case opSend:
		f, err := recordFrame(rec)
		c := run.conns[rec.Conn]
		switch {
		case err != nil:
		case c == nil:
			err = fmt.Errorf("connection %s is not open", rec.Conn)
		default:
			err = c.send(f, "")
		}
		if err != nil {
			run.action(rec.Step, "send %s %s FAILED: %v", rec.Conn, renderFrame(f), err)
		} else {
			run.action(rec.Step, "send %s %s", rec.Conn, renderFrame(f))
		}
	case opLogRead:
		n := r.readLog(run.sc.Instance, run.sc.ID, rec.Step)
		run.action(rec.Step, "read event log: %d new line(s)", n)
	case opNote:
		if rec.Text != "" {
			run.action(rec.Step, "note: %s", rec.Text)
		}
	}
	return time.Now()
}

// await waits for a frame (or EOF) the probe waited for (see awaitSlackMs).
func (r *runner) await(ctx context.Context, run *scenarioRun, o *op, target time.Time) time.Time {
	c := run.conns[o.conn]
	if c == nil {
		return time.Now()
	}
	deadline := later(target, time.Now()).Add(r.scaled(awaitSlackMs) + awaitGrace)
	return c.await(ctx, run.stepStart[o.step], o.k, o.eof, deadline)
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func obsStatus(obs *httpObs) string {
	d := obs.end.Sub(obs.start).Round(time.Millisecond)
	if obs.err != nil {
		return fmt.Sprintf("error after %s: %v", d, obs.err)
	}
	return fmt.Sprintf("%s (%s)", obs.resp.StatusLine, d)
}

// exchange sends a recorded request (rewritten for the live server) on a
// fresh connection and reads the response. For a 101 to an upgrade, the
// connection and its reader are returned open.
func (r *runner) exchange(ctx context.Context, st *instState, rec *Record, upgrade bool) (*httpObs, net.Conn, *bufio.Reader) {
	rw := newRewriter(st.rec, st.live)
	req := rec.Request
	var body []byte
	if req.Body != nil {
		body = []byte(rw.url.Replace(*req.Body))
	}
	headers := make([]Header, 0, len(req.Headers))
	for _, h := range req.Headers {
		v := rw.header.Replace(h.Value)
		if strings.EqualFold(h.Name, "Content-Length") {
			v = strconv.Itoa(len(body))
		}
		headers = append(headers, Header{Name: h.Name, Value: v})
	}
	target := rw.url.Replace(req.Target)

	obs := &httpObs{start: time.Now()}
	timeout := r.scaled(rec.ElapsedMs+httpSlack) + time.Second
	d := net.Dialer{Timeout: dialTimeout}
	nc, err := d.DialContext(ctx, "tcp", st.live.host)
	if err != nil {
		obs.err, obs.end = err, time.Now()
		return obs, nil, nil
	}
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	_ = nc.SetDeadline(time.Now().Add(timeout))
	br := bufio.NewReaderSize(nc, maxHeaderLine)
	if err = writeRequest(nc, req.Method, target, headers, body); err == nil {
		obs.resp, err = readResponse(br, req.Method)
	}
	obs.end = time.Now()
	if err != nil {
		obs.err, obs.resp = err, nil
		nc.Close()
		return obs, nil, nil
	}
	if upgrade && obs.resp.Status == 101 {
		_ = nc.SetDeadline(time.Time{})
		return obs, nc, br
	}
	nc.Close()
	return obs, nil, nil
}

// fetchSession gets a cookie and token with GET / (not compared).
func (r *runner) fetchSession(ctx context.Context, st *instState) error {
	rec := &Record{Kind: KindHTTP, Request: &Request{Method: "GET", Target: "/", Headers: []Header{
		{"Host", st.rec.host}, {"User-Agent", "sente-probe/1"}, {"Accept", "*/*"},
	}}}
	obs, _, _ := r.exchange(ctx, st, rec, false)
	if obs.err != nil {
		return obs.err
	}
	tok := sessionTokenFromPage(string(obs.resp.Body))
	ck := sessionCookieFrom(obs.resp.Headers)
	if tok == "" || ck == "" {
		return fmt.Errorf("GET / → %s: no ring-session cookie or data-csrf-token", obs.resp.StatusLine)
	}
	st.live.sess, st.hasSess = session{Cookie: ck, Token: tok}, true
	return nil
}

// awaitLate waits (bounded) for the event lines of sc's clients that the
// recording saw only during later scenarios.
func (r *runner) awaitLate(ctx context.Context, sc *Scenario) {
	st := r.inst[sc.Instance]
	exp, lateT, ownT := 0, int64(-1), int64(-1)
	in := false
	for _, s := range r.tr.Scenarios() {
		if s == sc {
			in = true
		}
		if s.Instance != sc.Instance {
			continue
		}
		for _, rec := range s.Records {
			if !rec.IsEvent() {
				continue
			}
			t := eventTime(rec.Line)
			if s == sc {
				ownT = max(ownT, t)
			}
			if st.owner[eventClientID(rec.Line)] != sc.ID {
				continue
			}
			exp++
			if s != sc && in {
				lateT = max(lateT, t)
			}
		}
	}
	if lateT < 0 {
		return
	}
	waitMs := 6000
	if ownT >= 0 && lateT > ownT {
		waitMs = int(min(lateT-ownT, 10000)) + 500
	}
	deadline := time.Now().Add(min(r.scaled(waitMs), r.max))
	for time.Now().Before(deadline) {
		r.readLog(sc.Instance, sc.ID, "(after)")
		got := 0
		for _, l := range st.lines {
			if st.owner[eventClientID(l.line)] == sc.ID {
				got++
			}
		}
		if got >= exp || r.sleep(ctx, 50*time.Millisecond) != nil {
			return
		}
	}
	r.readLog(sc.Instance, sc.ID, "(after)")
}

var reEventTime = regexp.MustCompile(`^\{:t (-?\d+),`)

func eventTime(line string) int64 {
	m := reEventTime.FindStringSubmatch(line)
	if m == nil {
		return -1
	}
	t, _ := strconv.ParseInt(m[1], 10, 64)
	return t
}
