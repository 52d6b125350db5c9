package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// requireSVG checks that data is well-formed XML with an <svg> root and
// returns its text content.
func requireSVG(t *testing.T, data []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var text strings.Builder
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		switch x := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = x.Name.Local
			}
		case xml.CharData:
			text.Write(x)
			text.WriteByte('\n')
		}
	}
	require.Equal(t, "svg", root)
	return text.String()
}

// plot renders the committed report of a full run: one chart per part,
// each well-formed, with its series and the machine in it.
func TestPlotCommittedReport(t *testing.T) {
	out := t.TempDir()
	var stdout bytes.Buffer
	require.NoError(t, cmdPlot([]string{"-json", "../../bench/results/chskbench-all-2026-11-26.json", "-out", out}, &stdout))
	for _, c := range []struct {
		name string
		want []string
	}{
		{"echo-latency", []string{"Echo round trip latency", "gosente ws", "raw coder/websocket", "gosente ajax", "p99", "AMD EPYC"}},
		{"fanout-latency", []string{"Fan-out to 10000 WebSocket clients", "gosente: each delivery", "raw: last of a round"}},
		{"memory", []string{"Server memory per idle connection", "gosente ws: RSS", "raw coder/websocket: heap", "gosente ajax poll: RSS", "20k"}},
	} {
		path := filepath.Join(out, "chskbench-all-2026-11-26-"+c.name+".svg")
		require.Contains(t, stdout.String(), path)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		text := requireSVG(t, data)
		for _, w := range c.want {
			require.Contains(t, text, w, c.name)
		}
	}
	require.Error(t, cmdPlot(nil, io.Discard), "-json is required")
	require.Error(t, cmdPlot([]string{"-json", filepath.Join(out, "missing.json")}, io.Discard))
}

// A report written by this version carries whole distributions; the charts
// use every quantile, and a report with a part missing gets no chart for it.
func TestChartsFromDistributions(t *testing.T) {
	samples := make([]time.Duration, 1000)
	for i := range samples {
		samples[i] = time.Duration(i+1) * 10 * time.Microsecond
	}
	l := summarize(samples)
	require.Len(t, l.Dist, len(distQuantiles))
	require.InDelta(t, 0.01, l.Dist[0].Ms, 1e-9)  // min
	require.InDelta(t, l.P50, l.Dist[3].Ms, 1e-9) // q 0.5
	require.InDelta(t, 10.0, l.Dist[10].Ms, 1e-9) // max
	require.Len(t, latencyPoints(l), len(distQuantiles))

	rep := &report{EchoWS: &echoReport{Chsk: echoResult{Target: "chsk-ws", Clients: 2, Latency: l}}}
	dir := t.TempDir()
	files, err := writeChartsBeside(rep, filepath.Join(dir, "run.json"))
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "run-echo-latency.svg")}, files)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	requireSVG(t, data)
	require.Equal(t, len(distQuantiles), strings.Count(string(data), "<circle"))
}

func TestNiceTicks(t *testing.T) {
	labels := func(ts []tick) []string {
		var out []string
		for _, x := range ts {
			out = append(out, x.label)
		}
		return out
	}
	require.Equal(t, []string{"0", "10", "20", "30"}, labels(niceTicks(0, 30, false)))
	require.Equal(t, []string{"0", "0.2", "0.4", "0.6"}, labels(niceTicks(0, 0.7, false)))
	require.Equal(t, []string{"500", "1k", "2k", "5k", "10k", "20k", "50k"}, labels(niceTicks(500, 50000, true)))
	require.Equal(t, []string{"0.5", "1", "2", "5", "10", "20"}, labels(niceTicks(0.5, 20, true)))
}
