package golden

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testScale runs the fake (and the replay) at a quarter of recorded time.
// testTolerance is huge because CI machines are shared and loaded (stalls of
// a second were seen): these tests prove the replay and comparison, not the
// fake's timing; TestReplayReportsSlowResponse checks timings with
// slowTolerance.
const (
	testScale     = 0.25
	testTolerance = time.Hour
	slowTolerance = 2 * time.Second
)

var transcripts = []string{"testdata/sente-1.17.0.jsonl", "testdata/sente-1.22.0-RC1.jsonl"}

func loadT(t *testing.T, path string) *Transcript {
	t.Helper()
	tr, err := Load(path)
	require.NoError(t, err)
	return tr
}

func replayFake(t *testing.T, f *fakeServer, sc *Scenario, devs ...Deviation) *Result {
	t.Helper()
	return replayFakeTol(t, f, sc, testTolerance, devs...)
}

func replayFakeTol(t *testing.T, f *fakeServer, sc *Scenario, tol time.Duration, devs ...Deviation) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	servers := make([]Server, sc.Instance+1)
	servers[sc.Instance] = Server{BaseURL: f.baseURL(), Events: f.Events}
	res, err := Replay(ctx, sc, Config{Servers: servers, TimeScale: testScale, Tolerance: tol, Deviations: devs})
	require.NoError(t, err)
	return res
}

func itemsWhere(res *Result, pred func(Item) bool) []Item {
	var out []Item
	for _, it := range res.Items {
		if pred(it) {
			out = append(out, it)
		}
	}
	return out
}

// TestReplayMatchesRecordedServer replays scenarios against a server that
// answers exactly what real Sente answered: everything must match, under a
// different session, token and port.
func TestReplayMatchesRecordedServer(t *testing.T) {
	for _, path := range transcripts {
		tr := loadT(t, path)
		for _, id := range []string{"a", "b", "e"} {
			t.Run(tr.Label+"/"+id, func(t *testing.T) {
				t.Parallel()
				sc := tr.Scenario(id)
				f := newFakeServer(t, sc, testScale, fakeOptions{})
				res := replayFake(t, f, sc)
				t.Log("\n" + res.Table(160))
				require.Empty(t, res.Mismatches())
				require.Zero(t, res.Count(VerdictDeviation))

				// Every recorded response was compared.
				var recorded int
				for _, r := range sc.Records {
					if r.Kind == KindHTTP || r.Kind == KindWSUpgrade {
						recorded++
					}
				}
				require.Len(t, itemsWhere(res, func(it Item) bool { return it.Field == FieldStatus }), recorded)
				if id == "b" {
					frames := itemsWhere(res, func(it Item) bool { return it.Field == FieldFrame })
					require.Len(t, frames, 4) // 2 handshakes, 2 close echoes
					events := itemsWhere(res, func(it Item) bool { return it.Field == FieldEvent })
					require.Len(t, events, 4, "uidport-open and (late) uidport-close of both clients")
					eofs := itemsWhere(res, func(it Item) bool { return it.Field == FieldEOF })
					require.Len(t, eofs, 2)
				}
			})
		}
	}
}

// TestReplayReportsAlteredResponse: a changed body is a MISMATCH; naming it
// turns it into a deviation; a deviation that never applies is reported.
func TestReplayReportsAlteredResponse(t *testing.T) {
	tr := loadT(t, transcripts[0])
	sc := tr.Scenario("e")
	alter := func(rec *Record, body string) string {
		if rec.Step == "unknown-path" {
			return "Not Found!"
		}
		return body
	}

	f := newFakeServer(t, sc, testScale, fakeOptions{alterBody: alter})
	res := replayFake(t, f, sc)
	mm := res.Mismatches()
	require.Len(t, mm, 1, "%v", mm)
	require.Equal(t, "unknown-path", mm[0].Step)
	require.Equal(t, FieldBody, mm[0].Field)
	require.Equal(t, "Not found", mm[0].Expected)
	require.Equal(t, "Not Found!", mm[0].Actual)

	f2 := newFakeServer(t, sc, testScale, fakeOptions{alterBody: alter})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := Run(ctx, tr, Config{
		Servers:   []Server{{BaseURL: f2.baseURL(), Events: f2.Events}},
		TimeScale: testScale,
		Tolerance: testTolerance,
		Scenarios: []string{"e"},
		Deviations: []Deviation{
			{Scenario: "e", Step: "unknown-*", Field: FieldBody, Reason: "capitalised", Match: Exactly("Not Found!")},
			{Scenario: "e", Field: FieldBody, Reason: "never applies", Match: Exactly("something else")},
			{Label: "sente-1.22.0-RC1", Reason: "other transcript", Match: AnyActual},
		},
	})
	require.NoError(t, err)
	require.Empty(t, rep.Mismatches())
	sum := rep.Summary()
	require.Equal(t, 1, sum.Deviation)
	require.Equal(t, "capitalised", sum.Deviations[0].Reason)
	require.Len(t, rep.Unused, 1)
	require.Equal(t, "never applies", rep.Unused[0].Reason)

	// Machine-readable and Markdown forms.
	js, err := json.Marshal(sum)
	require.NoError(t, err)
	require.Contains(t, string(js), `"verdict":"deviation"`)
	var md bytes.Buffer
	require.NoError(t, WriteMarkdown(&md, rep))
	require.Contains(t, md.String(), "## sente-1.17.0")
	require.Contains(t, md.String(), "**capitalised** (1)")
	require.Contains(t, md.String(), "| e/unknown-path body | `Not found` | `Not Found!` |")
	require.Contains(t, md.String(), "never applies")
}

// TestReplayReportsSlowResponse: a timing outside the tolerance is a
// MISMATCH unless a deviation accepts the measured value.
func TestReplayReportsSlowResponse(t *testing.T) {
	tr := loadT(t, transcripts[1])
	sc := tr.Scenario("e")
	slow := fakeOptions{extraDelay: func(rec *Record) time.Duration {
		if rec.Step == "put-chsk" {
			return time.Second // 4000ms recorded at testScale
		}
		return 0
	}}
	// Other timings may be off too on a loaded machine: look at this one.
	putElapsed := func(res *Result) Item {
		its := itemsWhere(res, func(it Item) bool { return it.Step == "put-chsk" && it.Field == FieldElapsed })
		require.Len(t, its, 1)
		return its[0]
	}
	it := putElapsed(replayFakeTol(t, newFakeServer(t, sc, testScale, slow), sc, slowTolerance))
	require.Equal(t, VerdictMismatch, it.Verdict, "%v", it)
	require.Equal(t, "1ms", it.Expected)

	res := replayFakeTol(t, newFakeServer(t, sc, testScale, slow), sc, slowTolerance,
		Deviation{Step: "put-chsk", Field: FieldElapsed, Reason: "slow", Match: ActualBetween(3000, 60000)})
	it = putElapsed(res)
	require.Equal(t, VerdictDeviation, it.Verdict, "%v", it)
	require.Equal(t, "slow", it.Reason)
	require.Empty(t, itemsWhere(res, func(it Item) bool { return it.Verdict == VerdictMismatch && it.Field != FieldElapsed }))
}

// TestReplayTranslatedEnvelopes: a server writing the 1.21+ envelope where
// 1.17 wrote "+[…]" mismatches every frame, unless the translation is named.
func TestReplayTranslatedEnvelopes(t *testing.T) {
	tr := loadT(t, transcripts[0])
	sc := tr.Scenario("b")

	f := newFakeServer(t, sc, testScale, fakeOptions{alterFrame: CanonicalEnvelope})
	res := replayFake(t, f, sc)
	mm := res.Mismatches()
	require.Len(t, mm, 2, "%v", mm)
	for _, it := range mm {
		require.Equal(t, FieldFrame, it.Field)
		require.Contains(t, it.Expected, "+[[:chsk/handshake")
		require.Contains(t, it.Actual, " nil nil]] nil]")
	}

	f2 := newFakeServer(t, sc, testScale, fakeOptions{alterFrame: CanonicalEnvelope})
	res = replayFake(t, f2, sc, Deviation{Field: FieldFrame, Reason: "unprefixed writer", Match: Translated(CanonicalEnvelope)})
	require.Empty(t, res.Mismatches())
	require.Equal(t, 2, res.Count(VerdictDeviation))
}

// TestReplayReportsAlteredEvent: event lines are compared per client.
func TestReplayReportsAlteredEvent(t *testing.T) {
	tr := loadT(t, transcripts[1])
	sc := tr.Scenario("b")
	f := newFakeServer(t, sc, testScale, fakeOptions{alterEvent: func(line string) string {
		if strings.Contains(line, `:chsk/uidport-open, :?data "probe-b-hdr"`) {
			return strings.Replace(line, ":ws? true", ":ws? false", 1)
		}
		return line
	}})
	res := replayFake(t, f, sc)
	mm := res.Mismatches()
	require.Len(t, mm, 1, "%v\n%s", mm, res.Table(0))
	require.Equal(t, FieldEvent, mm[0].Field, "%v\n%s", mm, res.Table(0))
	require.Equal(t, EventsStep, mm[0].Step)
	require.Equal(t, "probe-b-hdr", mm[0].Conn)
	require.Contains(t, mm[0].Actual, ":ws? false")
	require.Contains(t, mm[0].Note, "recorded at b/ws-right-csrf")
}

// TestReplayUnreachableServer: a dead server gives mismatches, not a hang.
func TestReplayUnreachableServer(t *testing.T) {
	tr := loadT(t, transcripts[0])
	ln := newFakeServer(t, tr.Scenario("a"), testScale, fakeOptions{})
	addr := ln.baseURL()
	ln.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := Replay(ctx, tr.Scenario("a"), Config{TimeScale: testScale,
		Servers: []Server{{BaseURL: addr, Events: func() []string { return nil }}}})
	require.NoError(t, err)
	require.NotEmpty(t, res.Mismatches())
	require.Contains(t, res.Mismatches()[0].Actual, "<error: ")

	// Scenario b cannot even get a session.
	_, err = Replay(ctx, tr.Scenario("b"), Config{TimeScale: testScale,
		Servers: []Server{{BaseURL: addr, Events: func() []string { return nil }}}})
	require.Error(t, err)
}

func TestConfigErrors(t *testing.T) {
	tr := loadT(t, transcripts[0])
	ev := func() []string { return nil }
	ctx := context.Background()
	for name, cfg := range map[string]Config{
		"no server":        {},
		"bad url":          {Servers: []Server{{BaseURL: "127.0.0.1:1", Events: ev}}},
		"no events":        {Servers: []Server{{BaseURL: "http://127.0.0.1:1"}}},
		"deviation reason": {Servers: []Server{{BaseURL: "http://127.0.0.1:1", Events: ev}}, Deviations: []Deviation{{Match: AnyActual}}},
		"deviation match":  {Servers: []Server{{BaseURL: "http://127.0.0.1:1", Events: ev}}, Deviations: []Deviation{{Reason: "x"}}},
		"bad pattern":      {Servers: []Server{{BaseURL: "http://127.0.0.1:1", Events: ev}}, Deviations: []Deviation{{Step: "[", Reason: "x", Match: AnyActual}}},
		"negative scale":   {Servers: []Server{{BaseURL: "http://127.0.0.1:1", Events: ev}}, TimeScale: -1},
		"unknown scenario": {Servers: []Server{{BaseURL: "http://127.0.0.1:1", Events: ev}}, Scenarios: []string{"zz"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Run(ctx, tr, cfg)
			require.ErrorIs(t, err, ErrConfig)
		})
	}
	// The origin scenario runs on the second instance.
	_, err := Run(ctx, tr, Config{Servers: []Server{{BaseURL: "http://127.0.0.1:1", Events: ev}}, Scenarios: []string{"origin"}})
	require.ErrorIs(t, err, ErrConfig)
	require.Contains(t, err.Error(), "Servers[1]")
}

func TestReplayHonoursContext(t *testing.T) {
	tr := loadT(t, transcripts[0])
	sc := tr.Scenario("e")
	f := newFakeServer(t, sc, 1, fakeOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Replay(ctx, sc, Config{Servers: []Server{{BaseURL: f.baseURL(), Events: f.Events}}})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 3*time.Second)
	require.True(t, errors.Is(err, context.DeadlineExceeded))
}
