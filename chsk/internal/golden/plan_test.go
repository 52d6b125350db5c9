package golden

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func opsOfStep(p *plan, step string) []*op {
	var out []*op
	for _, o := range p.ops {
		if p.steps[o.step].name == step {
			out = append(out, o)
		}
	}
	return out
}

func stepNames(p *plan) []string {
	var out []string
	for _, s := range p.steps {
		out = append(out, s.name)
	}
	return out
}

func TestPlanBackgroundPoll(t *testing.T) {
	for _, path := range transcripts {
		p := buildPlan(loadT(t, path).Scenario("d"))
		poll := opsOfStep(p, "poll-open-during-push")
		require.Len(t, poll, 1)
		require.True(t, poll[0].background)
		require.Equal(t, poll[0].recStart, poll[0].recEnd)
		// The poll is issued before the push, whatever the record order.
		names := stepNames(p)
		require.Less(t, indexOf(names, "poll-open-during-push"), indexOf(names, "push-while-poll-open"))
		for _, o := range p.ops {
			if p.steps[o.step].name != "poll-open-during-push" {
				require.False(t, o.background, p.steps[o.step].name)
			}
		}
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func TestPlanWebSocketSteps(t *testing.T) {
	tr := loadT(t, transcripts[1])
	p := buildPlan(tr.Scenario("c"))
	byName := map[string]*stepPlan{}
	for _, s := range p.steps {
		byName[s.name] = s
	}
	// The responder answers pings on c3; its answers are not actions.
	pong := byName["kalive-pong"]
	require.Equal(t, &responder{conn: "c3", trigger: ":chsk/ws-ping", reply: "[[:chsk/ws-pong] nil]"}, pong.responder)
	var kinds []opKind
	for _, o := range opsOfStep(p, "kalive-pong") {
		kinds = append(kinds, o.kind)
	}
	require.Equal(t, []opKind{opNote, opAwait, opAwait, opLogRead}, kinds)
	// The echo of the server's close is a reaction; the close is awaited.
	kinds = kinds[:0]
	for _, o := range opsOfStep(p, "kalive-idle") {
		kinds = append(kinds, o.kind)
	}
	require.Equal(t, []opKind{opNote, opAwait, opAwait, opLogRead}, kinds)
	require.Equal(t, []string{"c2"}, byName["kalive-idle"].closeAfter)
	require.Equal(t, []string{"c1"}, byName["close"].closeAfter)
	require.Equal(t, []string{"c1"}, byName["close"].conns)
	// One log read per run of log lines; frames awaited in order.
	burst := opsOfStep(p, "push-burst")
	kinds = kinds[:0]
	for _, o := range burst {
		kinds = append(kinds, o.kind)
	}
	require.Equal(t, []opKind{opSend, opSend, opSend, opAwait, opLogRead}, kinds)
	closeOps := opsOfStep(p, "close")
	require.Equal(t, opAwait, closeOps[2].kind)
	require.True(t, closeOps[2].eof)
	require.Equal(t, 0, closeOps[1].k)
}
