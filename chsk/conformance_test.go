package chsk

import (
	"context"
	"flag"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gosente/gosente/chsk/internal/golden"
)

var updateConformance = flag.Bool("update-conformance", false, "rewrite CONFORMANCE.md from the conformance run")

// conformanceScale runs the replay (and the server's timers) at this
// fraction of the reference app's timings, to keep the suite short.
const conformanceScale = 0.5

// TestConformance is the differential conformance suite: it replays the
// golden transcripts of the real Sente 1.17.0 and 1.22.0-RC1 servers
// against a gosente server set up like their reference app, and fails on
// any difference that is not one of gosente's named deviations.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("the conformance replay takes about a minute")
	}
	labels := []string{"sente-1.17.0", "sente-1.22.0-RC1"}
	reports := make([]*golden.Report, len(labels))
	t.Run("replay", func(t *testing.T) {
		for i, label := range labels {
			t.Run(label, func(t *testing.T) {
				t.Parallel()
				reports[i] = replayTranscript(t, label)
			})
		}
	})
	if *updateConformance && reports[0] != nil && reports[1] != nil {
		f, err := os.Create("../CONFORMANCE.md")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := golden.WriteMarkdown(f, reports...); err != nil {
			t.Fatal(err)
		}
		writePackersMarkdown(f, packerRows(t))
	}
}

func replayTranscript(t *testing.T, label string) *golden.Report {
	tr, err := golden.Load("internal/golden/testdata/" + label + ".jsonl")
	if err != nil {
		t.Fatal(err)
	}
	scaled := func(d time.Duration) time.Duration { return time.Duration(float64(d) * conformanceScale) }
	opts := refOptions()
	opts.LongPollTimeout = scaled(2 * time.Second)
	opts.KeepAlive = scaled(3 * time.Second)
	opts.PingTimeout = scaled(10 * time.Second)
	opts.CloseGraceWS = scaled(5 * time.Second)
	opts.CloseGraceAjax = scaled(5 * time.Second)
	main := newRefApp(t, opts)

	origins := make([]string, 1) // filled in once the port is known
	opts.AllowedOrigins = origins
	restricted := newRefApp(t, opts)
	u, _ := url.Parse(restricted.hs.URL)
	origins[0] = "http://localhost:" + u.Port()

	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	rep, err := golden.Run(ctx, tr, golden.Config{
		Servers: []golden.Server{
			{BaseURL: main.hs.URL, Events: main.eventLog},
			{BaseURL: restricted.hs.URL, Events: restricted.eventLog},
		},
		TimeScale:  conformanceScale,
		Tolerance:  time.Hour, // timings are reported; shared CI machines make them too noisy to fail on
		Deviations: deviations(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + rep.Table(160))
	for _, it := range rep.Mismatches() {
		t.Errorf("MISMATCH %s %s %s %s:\n  sente:   %q\n  gosente: %q", it.Label, it.Scenario, it.Step, it.Field,
			truncate(it.Expected), truncate(it.Actual))
	}
	return rep
}

func truncate(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return strings.TrimSpace(s)
}
