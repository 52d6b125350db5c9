package golden

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestClassify(t *testing.T) {
	devs := []Deviation{
		{Label: "sente-1.17.0", Scenario: "c", Step: "echo-*", Field: FieldFrame, Reason: "unprefixed", Match: Translated(CanonicalEnvelope)},
		{Scenario: "a", Field: "header:*", Reason: "go header", Match: Exactly("x")},
		{Field: FieldElapsed, Reason: "slow", Match: ActualBetween(100, 200)},
		{Scenario: "zz", Reason: "never", Match: AnyActual},
	}
	c, err := newClassifier(devs)
	require.NoError(t, err)
	for _, tc := range []struct {
		it     Item
		want   Verdict
		reason string
	}{
		{Item{Label: "sente-1.17.0", Scenario: "c", Step: "echo-v1", Field: FieldFrame, Expected: "+[1 \"cb\"]", Actual: "+[1 \"cb\"]"}, VerdictMatch, ""},
		{Item{Label: "sente-1.17.0", Scenario: "c", Step: "echo-v1", Field: FieldFrame, Expected: "+[1 \"cb\"]", Actual: "[1 \"cb\"]"}, VerdictDeviation, "unprefixed"},
		{Item{Label: "sente-1.17.0", Scenario: "c", Step: "echo-v1", Field: FieldFrame, Expected: "+[1 \"cb\"]", Actual: "[2 \"cb\"]"}, VerdictMismatch, ""},
		{Item{Label: "sente-1.22.0-RC1", Scenario: "c", Step: "echo-v1", Field: FieldFrame, Expected: "+[1]", Actual: "[1 nil]"}, VerdictMismatch, ""},
		{Item{Label: "sente-1.17.0", Scenario: "c", Step: "push", Field: FieldFrame, Expected: "+[1]", Actual: "[1 nil]"}, VerdictMismatch, ""},
		{Item{Scenario: "a#2", Field: "header:content-type", Expected: Absent, Actual: "x"}, VerdictDeviation, "go header"},
		{Item{Scenario: "a#2", Field: FieldBody, Expected: "y", Actual: "x"}, VerdictMismatch, ""},
		{Item{Field: FieldElapsed, Expected: "5ms", Actual: "150ms"}, VerdictDeviation, "slow"},
		{Item{Field: FieldElapsed, Expected: "5ms", Actual: "250ms"}, VerdictMismatch, ""},
		{Item{Field: FieldElapsed, Expected: "5ms", Actual: "6ms", Verdict: VerdictMatch}, VerdictMatch, ""},
	} {
		it := tc.it
		c.classify(&it)
		require.Equal(t, tc.want, it.Verdict, "%v", it)
		require.Equal(t, tc.reason, it.Reason)
	}
	require.Len(t, c.unused("sente-1.17.0"), 1)
	require.Equal(t, "never", c.unused("sente-1.17.0")[0].Reason)
	require.Len(t, c.unused("sente-1.22.0-RC1"), 1)
	require.Equal(t, "zz/* *: never", devs[3].String())
	require.Equal(t, "sente-1.17.0 c/echo-* frame: unprefixed", devs[0].String())
}

func TestTiming(t *testing.T) {
	r := &runner{scale: 0.5, tol: 100 * 1e6}
	it := r.timing(Item{}, FieldElapsed, 2000, 1050*1e6) // 1050ms live = 2100ms recorded
	require.Equal(t, VerdictMatch, it.Verdict)
	require.Equal(t, "2100ms", it.Actual)
	it = r.timing(Item{}, FieldElapsed, 2000, 1060*1e6)
	require.Zero(t, it.Verdict)
	require.Equal(t, "2120ms", it.Actual)
}

func TestVerdictAndMarkdownText(t *testing.T) {
	require.Equal(t, "MISMATCH", VerdictMismatch.String())
	require.Equal(t, "unclassified", Verdict(0).String())
	require.Equal(t, "`a\\|b`", mdCode("a|b"))
	require.Equal(t, "`` x`y ``", mdCode("x`y"))
	require.Equal(t, "(empty)", mdCode(""))
	require.Equal(t, "≈600ms", mdValue(Item{Field: FieldElapsed}, "614ms"))
	require.Equal(t, "614ms", mdValue(Item{Field: FieldBody}, "614ms"))
	require.Equal(t, "ab ... yz", elide("abcdefghijklmnopqrstuvwxyz", 9))
}
