package golden

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// EventsStep is the step name of event-log items: event lines are compared
// per client over the whole scenario, because which step's log read first
// sees a line is a matter of timing (a :chsk/uidport-close comes seconds
// after its cause). Item.Note tells where the line was recorded and read.
const EventsStep = "events"

// ignoredHeaders vary with the HTTP server, not with Sente.
var ignoredHeaders = map[string]bool{"date": true, "server": true, "content-length": true, "transfer-encoding": true}

var reTokenLength = regexp.MustCompile(`csrf-token-length=(\d+)`)

func (r *runner) timing(base Item, field string, expMS int, live time.Duration) Item {
	act := r.unscaledMS(live)
	base.Field, base.Expected, base.Actual = field, formatMS(expMS), formatMS(act)
	if d := act - expMS; d <= int(r.tol/time.Millisecond) && -d <= int(r.tol/time.Millisecond) {
		base.Verdict = VerdictMatch
	}
	return base
}

// compareSteps builds the items of every step (events come later).
func (r *runner) compareSteps(run *scenarioRun) {
	expN, actN := newNormalizer(run.st.rec), newNormalizer(run.st.live)
	add := func(it Item) { run.res.Items = append(run.res.Items, it) }
	for i, st := range run.plan.steps {
		base := Item{Label: r.tr.Label, Scenario: run.sc.ID, Step: st.name}
		for _, rec := range st.records {
			switch {
			case rec.Kind == KindHTTP || rec.Kind == KindWSUpgrade:
				run.mu.Lock()
				obs := run.http[rec]
				run.mu.Unlock()
				r.compareHTTP(base, rec, obs, expN, actN, add)
			case rec.Kind == KindNote:
				if m := reTokenLength.FindStringSubmatch(rec.Text); m != nil {
					it := base
					it.Field, it.Expected, it.Actual = FieldSession, m[1]+" chars", Absent
					if run.st.hasSess {
						it.Actual = strconv.Itoa(len(run.st.live.sess.Token)) + " chars"
					}
					add(it)
				}
			}
		}
		r.compareWS(run, i, base, expN, actN, add)
	}
}

func (r *runner) compareHTTP(base Item, rec *Record, obs *httpObs, expN, actN normalizer, add func(Item)) {
	exp := rec.Response
	it := base
	it.Field, it.Expected = FieldStatus, exp.StatusLine
	switch {
	case obs == nil:
		it.Actual = "<not performed>"
	case obs.err != nil:
		it.Actual = "<error: " + obs.err.Error() + ">"
	default:
		it.Actual = obs.resp.StatusLine
	}
	add(it)
	var live *liveResponse
	if obs != nil && obs.err == nil {
		live = obs.resp
	}

	var names []string
	for _, h := range exp.Headers {
		n := strings.ToLower(h.Name)
		if !ignoredHeaders[n] && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if !slices.Contains(names, "content-type") {
		names = append(names, "content-type")
	}
	if live != nil && headerValue(live.Headers, "Set-Cookie") != "" && !slices.Contains(names, "set-cookie") {
		names = append(names, "set-cookie")
	}
	for _, n := range names {
		it := base
		it.Field = fieldHeader + n
		it.Expected = expN.apply(headerValues(exp.Headers, n))
		it.Actual = Absent
		if live != nil {
			it.Actual = actN.apply(headerValues(live.Headers, n))
		}
		add(it)
	}

	it = base
	it.Field, it.Actual = FieldBody, Absent
	eb, err := exp.BodyBytes()
	if err != nil {
		it.Expected = "<bad body_b64: " + err.Error() + ">"
	} else {
		it.Expected = expN.apply(renderBody(eb))
	}
	if live != nil {
		it.Actual = actN.apply(renderBody(live.Body))
	}
	add(it)

	if obs != nil && obs.err == nil {
		add(r.timing(base, FieldElapsed, rec.ElapsedMs, obs.end.Sub(obs.start)))
	}
}

// headerValues joins every value of the named header with "\n", or Absent.
func headerValues(hs []Header, lowerName string) string {
	var vs []string
	for _, h := range hs {
		if strings.ToLower(h.Name) == lowerName {
			vs = append(vs, h.Value)
		}
	}
	if vs == nil {
		return Absent
	}
	return strings.Join(vs, "\n")
}

func renderBody(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return "[base64] " + base64.StdEncoding.EncodeToString(b)
}

// compareWS compares what arrived on each connection during step i.
func (r *runner) compareWS(run *scenarioRun, i int, base Item, expN, actN normalizer, add func(Item)) {
	st := run.plan.steps[i]
	from, to := run.stepStart[i], time.Time{}
	for j := i + 1; j < len(run.stepStart); j++ {
		if !run.stepStart[j].IsZero() {
			to = run.stepStart[j]
			break
		}
	}
	inStep := func(t time.Time) bool {
		return !from.IsZero() && !t.Before(from) && (to.IsZero() || t.Before(to))
	}
	live := map[string][]wsEvent{}
	conns := append([]string(nil), st.conns...)
	var extra []string
	for name, c := range run.conns {
		for _, ev := range c.snapshot() {
			if !inStep(ev.at) || ev.failed {
				continue
			}
			live[name] = append(live[name], ev)
			if ev.dir == "c2s" && ev.auto != "" {
				run.action(st.name, "%s %s %s", ev.auto, name, renderFrame(ev.frame))
			}
			if ev.dir != "c2s" && !slices.Contains(conns, name) && !slices.Contains(extra, name) {
				extra = append(extra, name)
			}
		}
	}
	slices.Sort(extra)
	conns = append(conns, extra...)

	for _, name := range conns {
		var expFrames []*Record
		expSilence, expEOF := false, false
		for _, rec := range st.records {
			if rec.Conn != name {
				continue
			}
			switch {
			case rec.Kind == KindWSFrame && rec.Dir == "s2c":
				expFrames = append(expFrames, rec)
			case rec.Kind == KindWSSilence:
				expSilence = true
			case rec.Kind == KindWSEOF:
				expEOF = true
			}
		}
		var actFrames []wsEvent
		actEOF, stopped, lastC2S := false, false, -1
		for _, ev := range live[name] {
			switch {
			case ev.eof:
				actEOF = true
			case ev.dir == "c2s":
				lastC2S = len(actFrames)
				if ev.auto == autoCloseReply {
					stopped = true
				}
			default:
				actFrames = append(actFrames, ev)
			}
		}
		// The probe recorded silence when nothing arrived after its last
		// frame on the connection (or at all, if it sent none) while it
		// was still listening.
		framesAfter := len(actFrames) - max(lastC2S, 0)
		actSilence := slices.Contains(st.conns, name) && !actEOF && !stopped && framesAfter == 0

		b := base
		b.Conn = name
		for k := 0; k < max(len(expFrames), len(actFrames)); k++ {
			it := b
			it.Field, it.Index, it.Expected, it.Actual = FieldFrame, k, Absent, Absent
			if k < len(expFrames) {
				f, err := recordFrame(expFrames[k])
				if err != nil {
					it.Expected = "<bad record: " + err.Error() + ">"
				} else {
					it.Expected = expN.apply(renderFrame(f))
				}
			}
			if k < len(actFrames) {
				it.Actual = actN.apply(renderFrame(actFrames[k].frame))
			}
			add(it)
			if k < len(expFrames) && k < len(actFrames) && run.stepRec[i] >= 0 {
				t := b
				t.Index = k
				add(r.timing(t, FieldArrival, expFrames[k].TMs-run.stepRec[i], actFrames[k].at.Sub(from)))
			}
		}
		if expSilence || actSilence {
			it := b
			it.Field, it.Expected, it.Actual = FieldSilence, yesNo(expSilence), yesNo(actSilence)
			add(it)
		}
		if expEOF || actEOF {
			it := b
			it.Field, it.Expected, it.Actual = FieldEOF, yesNo(expEOF), yesNo(actEOF)
			add(it)
		}
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// compareEvents compares the event-log lines of sc's clients.
func (r *runner) compareEvents(sc *Scenario, res *Result) {
	st := r.inst[sc.Instance]
	expN, actN := newNormalizer(st.rec), newNormalizer(st.live)
	type line struct{ text, where string }
	exp, act := map[string][]line{}, map[string][]line{}
	var clients []string
	note := func(c string) {
		if !slices.Contains(clients, c) {
			clients = append(clients, c)
		}
	}
	for _, s := range r.tr.Scenarios() {
		if s.Instance != sc.Instance {
			continue
		}
		for _, rec := range s.Records {
			if !rec.IsEvent() {
				continue
			}
			if c := eventClientID(rec.Line); st.owner[c] == sc.ID {
				note(c)
				exp[c] = append(exp[c], line{expN.apply(rec.Line), s.ID + "/" + rec.Step})
			}
		}
	}
	for _, l := range st.lines {
		c := eventClientID(l.line)
		owner, known := st.owner[c]
		if owner == sc.ID || (!known && l.scenario == sc.ID) {
			note(c)
			act[c] = append(act[c], line{actN.apply(l.line), l.scenario + "/" + l.step})
		}
	}
	if len(clients) == 0 {
		return
	}
	res.Steps = append(res.Steps, EventsStep)
	for _, c := range clients {
		var e, a []string
		for _, l := range exp[c] {
			e = append(e, l.text)
		}
		for _, l := range act[c] {
			a = append(a, l.text)
		}
		for k, p := range alignLines(e, a) {
			it := Item{Label: r.tr.Label, Scenario: sc.ID, Step: EventsStep, Field: FieldEvent,
				Conn: c, Index: k, Expected: p.exp, Actual: p.act}
			var where []string
			if p.expIdx >= 0 {
				where = append(where, "recorded at "+exp[c][p.expIdx].where)
			}
			if p.actIdx >= 0 {
				where = append(where, "read at "+act[c][p.actIdx].where)
			}
			it.Note = strings.Join(where, ", ")
			res.Items = append(res.Items, it)
		}
	}
}

// String renders an item on one line (for test failure messages).
func (it Item) String() string {
	s := fmt.Sprintf("%s %s: want %q, got %q", it.Verdict, it.Where(), it.Expected, it.Actual)
	if it.Reason != "" {
		s += " (" + it.Reason + ")"
	}
	if it.Note != "" {
		s += " [" + it.Note + "]"
	}
	return s
}
