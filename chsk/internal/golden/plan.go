package golden

import (
	"regexp"
	"strings"
)

// The probe was sequential: it performed one action, observed (waiting for
// the frames it expected, or for a quiet window), then the next. A plan turns a scenario's records into that sequence of actions
// ("ops") with their recorded times, so the replay can keep every recorded
// idle gap (poll 500 ms after a push, stay silent for 14 s, await the
// uidport-close) while waiting for live responses as long as they take.

type opKind int

const (
	opNote    opKind = iota // a scheduling point only
	opHTTP                  // an http record: send the request, read the response
	opUpgrade               // a ws-upgrade record: handshake, then read frames
	opSend                  // a c2s ws-frame the probe chose to send
	opLogRead               // a run of server-log records: read the event log
	opAwait                 // an s2c frame or EOF the probe waited for
)

// op is one probe action.
type op struct {
	kind opKind
	rec  *Record // the record (first of the run for opLogRead)
	// recStart and recEnd are recorded times (ms since scenario start);
	// recEnd is when the probe moved on (a response's end; recStart for
	// everything else, including background requests).
	recStart, recEnd int
	// background: the probe did not wait for this request (it issued a poll
	// and went on to push while the poll was open).
	background bool
	step       int // index into plan.steps
	// opAwait: wait for the k-th (0-based) server frame of the step on
	// conn, or for its EOF.
	conn string
	k    int
	eof  bool
}

// responder answers server frames automatically during a step, as the
// probe did in c/kalive-pong.
type responder struct {
	conn    string
	trigger string // answer every text frame containing this
	reply   string // with this text frame
}

// stepPlan is one probe step.
type stepPlan struct {
	name    string
	records []*Record
	// conns are the WebSocket connections with expected observations here.
	conns []string
	// closeAfter are connections with no record after this step: the replay
	// drops them (TCP close) when the step ends, as the probe did.
	closeAfter []string
	responder  *responder
}

type plan struct {
	steps []*stepPlan
	ops   []*op
}

var reResponderNote = regexp.MustCompile("answer each server frame containing (\\S+) with `([^`]*)`")

// backgroundStep marks steps the probe ran concurrently with the next one
// ("poll-open-during-push": it issued the poll, then pushed while it was
// open). A background request is also recognisable by its record coming
// after an action that started later (the probe wrote it on completion).
const backgroundStep = "-open-during-"

// isReaction reports whether a c2s frame was the probe's reaction to a
// server frame rather than an action: the echo of a server close, or a
// responder's answer.
func isReaction(r *Record, resp *responder) bool {
	if r.Text == "automatic close reply" {
		return true
	}
	return resp != nil && r.Conn == resp.conn && r.Payload != nil && *r.Payload == resp.reply
}

// buildPlan derives the op sequence and the steps of a scenario.
func buildPlan(sc *Scenario) *plan {
	p := &plan{}
	stepIdx := map[string]int{}
	stepOf := func(name string) *stepPlan {
		i, ok := stepIdx[name]
		if !ok {
			i = len(p.steps)
			stepIdx[name] = i
			p.steps = append(p.steps, &stepPlan{name: name})
		}
		return p.steps[i]
	}
	// Records by step; responders first (they decide which frames are reactions).
	lastConn := ""
	for _, r := range sc.Records {
		st := stepOf(r.Step)
		st.records = append(st.records, r)
		if r.Kind == KindWSUpgrade {
			lastConn = r.Conn
		}
		if m := reResponderNote.FindStringSubmatch(r.Text); r.Kind == KindNote && m != nil {
			st.responder = &responder{conn: lastConn, trigger: m[1], reply: m[2]}
		}
	}
	for _, st := range p.steps {
		if st.responder == nil {
			continue
		}
		for _, r := range st.records { // the conn the step's frames use wins
			if r.Kind == KindWSFrame {
				st.responder.conn = r.Conn
				break
			}
		}
	}

	var seqOps, bg []*op
	var prev, prevAction *op
	framesSeen := map[string]int{} // step+conn → s2c frames so far
	for _, r := range sc.Records {
		st := p.steps[stepIdx[r.Step]]
		var o *op
		switch r.Kind {
		case KindNote:
			o = &op{kind: opNote}
		case KindHTTP, KindWSUpgrade:
			o = &op{kind: opHTTP, recEnd: r.TMs + r.ElapsedMs}
			if r.Kind == KindWSUpgrade {
				o.kind = opUpgrade
			}
			if r.Kind == KindHTTP && (strings.Contains(r.Step, backgroundStep) || (prevAction != nil && r.TMs < prevAction.recStart)) {
				o.background, o.recEnd = true, r.TMs
			}
		case KindWSFrame:
			switch {
			case r.Dir == "s2c":
				key := r.Step + "\x00" + r.Conn
				o = &op{kind: opAwait, conn: r.Conn, k: framesSeen[key]}
				framesSeen[key]++
			case !isReaction(r, st.responder):
				o = &op{kind: opSend}
			}
		case KindWSEOF:
			o = &op{kind: opAwait, conn: r.Conn, eof: true}
		case KindServerLog:
			if prev != nil && prev.kind == opLogRead && prev.rec.Step == r.Step {
				continue // same run of log lines
			}
			o = &op{kind: opLogRead}
		}
		if o == nil {
			continue
		}
		o.rec, o.recStart, o.step = r, r.TMs, stepIdx[r.Step]
		if o.kind != opHTTP && o.kind != opUpgrade {
			o.recEnd = r.TMs
		}
		if o.background {
			bg = append(bg, o)
			continue
		}
		seqOps = append(seqOps, o)
		prev = o
		if o.kind != opAwait {
			prevAction = o
		}
	}
	// Background requests go where they started: before the first op that
	// started later.
	ops := seqOps
	for _, b := range bg {
		at := len(ops)
		for i, o := range ops {
			if o.recStart > b.recStart {
				at = i
				break
			}
		}
		ops = append(ops[:at], append([]*op{b}, ops[at:]...)...)
	}
	p.ops = ops

	// Steps in replay order (the order of their first op).
	order := make([]int, 0, len(p.steps))
	seen := map[int]bool{}
	for _, o := range ops {
		if !seen[o.step] {
			seen[o.step] = true
			order = append(order, o.step)
		}
	}
	for i := range p.steps { // steps without an op keep their place at the end
		if !seen[i] {
			order = append(order, i)
		}
	}
	steps := make([]*stepPlan, len(order))
	newIdx := make([]int, len(p.steps))
	for n, old := range order {
		steps[n] = p.steps[old]
		newIdx[old] = n
	}
	for _, o := range ops {
		o.step = newIdx[o.step]
	}
	p.steps = steps

	// Connections: where they are observed, and when they are last used.
	last := map[string]int{}
	for i, st := range p.steps {
		seenConn := map[string]bool{}
		for _, r := range st.records {
			if r.Conn == "" {
				continue
			}
			last[r.Conn] = i
			if r.Kind == KindWSFrame && r.Dir == "c2s" || r.Kind == KindWSUpgrade {
				continue
			}
			if !seenConn[r.Conn] {
				seenConn[r.Conn] = true
				st.conns = append(st.conns, r.Conn)
			}
		}
	}
	for _, r := range sc.Records { // deterministic order
		if r.Kind == KindWSUpgrade {
			st := p.steps[last[r.Conn]]
			st.closeAfter = append(st.closeAfter, r.Conn)
		}
	}
	return p
}
