package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// cmdPlot renders the charts of an existing JSON report:
//
//	chskbench plot -json bench/results/chskbench-all-2026-11-26.json [-out DIR]
func cmdPlot(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	jsonPath := fs.String("json", "", "the report to plot (written by -json of the other subcommands)")
	out := fs.String("out", "", "directory for the SVG files (default: the report's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *jsonPath == "" || fs.NArg() > 0 {
		return errors.New("usage: chskbench plot -json FILE [-out DIR]")
	}
	data, err := os.ReadFile(*jsonPath)
	if err != nil {
		return err
	}
	var rep report
	if err := json.Unmarshal(data, &rep); err != nil {
		return fmt.Errorf("%s: %w", *jsonPath, err)
	}
	dir := *out
	if dir == "" {
		dir = filepath.Dir(*jsonPath)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files, err := writeCharts(&rep, dir, chartPrefix(*jsonPath))
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return err
}

// chartPrefix is the JSON file's name without its extension: the charts of
// chskbench.json are chskbench-echo-latency.svg and so on.
func chartPrefix(jsonPath string) string {
	base := filepath.Base(jsonPath)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// writeChartsBeside writes the report's charts next to its JSON file.
func writeChartsBeside(rep *report, jsonPath string) ([]string, error) {
	return writeCharts(rep, filepath.Dir(jsonPath), chartPrefix(jsonPath))
}

// writeCharts writes an SVG for each part the report has: echo latency,
// fan-out latency, idle memory per connection. It returns the files written.
func writeCharts(rep *report, dir, prefix string) ([]string, error) {
	var files []string
	var errs []error
	for _, c := range []struct {
		name  string
		chart *chart
	}{
		{"echo-latency", echoChart(rep)},
		{"fanout-latency", fanoutChart(rep)},
		{"memory", memoryChart(rep)},
	} {
		if c.chart == nil {
			continue
		}
		path := filepath.Join(dir, prefix+"-"+c.name+".svg")
		if err := os.WriteFile(path, c.chart.svg(), 0o644); err != nil {
			errs = append(errs, err)
			continue
		}
		files = append(files, path)
	}
	return files, errors.Join(errs...)
}

// runSubtitle says where and when the run happened.
func runSubtitle(rep *report, what string) string {
	m := rep.Machine
	parts := []string{what}
	if m.GOOS != "" {
		cpu := fmt.Sprintf("%s/%s, %d CPU", m.GOOS, m.GOARCH, m.NumCPU)
		if m.CPUModel != "" {
			cpu += " (" + m.CPUModel + ")"
		}
		parts = append(parts, cpu, m.GoVersion)
	}
	if !rep.Started.IsZero() {
		parts = append(parts, rep.Started.Format("2006-01-02"))
	}
	return strings.Join(parts, " · ")
}

// tailX places quantile q on the percentile axis: -log10(1-q), so p50, p90,
// p99 and p99.9 are evenly apart; the maximum sits half a step past p99.9.
func tailX(q float64) float64 {
	if q >= 1 {
		return 3.5
	}
	return -math.Log10(1 - q)
}

// tailTicks label the percentile axis.
var tailTicks = []tick{
	{tailX(0), "min"}, {tailX(0.5), "p50"}, {tailX(0.9), "p90"}, {tailX(0.99), "p99"}, {tailX(0.999), "p99.9"}, {tailX(1), "max"},
}

// latencyPoints is a distribution on the percentile axis: all its quantiles
// when the report has them, else p50, p99 and max.
func latencyPoints(l latencies) []point {
	if len(l.Dist) > 0 {
		pts := make([]point, len(l.Dist))
		for i, q := range l.Dist {
			pts[i] = point{tailX(q.Q), q.Ms}
		}
		return pts
	}
	return []point{{tailX(0.5), l.P50}, {tailX(0.99), l.P99}, {tailX(1), l.Max}}
}

// Colours by target, the same in every chart.
const (
	colorChskWS   = "#3b5bdb"
	colorChskAjax = "#2b8a3e"
	colorRaw      = "#e8590c"
)

func latencyAxes() (axis, axis) {
	return axis{label: "percentile", ticks: tailTicks}, axis{label: "latency (ms, log scale)", log: true}
}

// echoChart is the round-trip latency of the echo runs (nil without any).
func echoChart(rep *report) *chart {
	var ss []series
	var clients, payload int
	if e := rep.EchoWS; e != nil && e.Chsk.Clients > 0 {
		clients, payload = e.Chsk.Clients, e.Chsk.PayloadBytes
		ss = append(ss, series{name: "gosente ws", color: colorChskWS, pts: latencyPoints(e.Chsk.Latency)})
		if b := e.Baseline; b != nil && b.Clients > 0 {
			ss = append(ss, series{name: "raw coder/websocket", color: colorRaw, dash: true, pts: latencyPoints(b.Latency)})
		}
	}
	if e := rep.EchoAjax; e != nil && e.Chsk.Clients > 0 {
		clients, payload = e.Chsk.Clients, e.Chsk.PayloadBytes
		ss = append(ss, series{name: "gosente ajax", color: colorChskAjax, pts: latencyPoints(e.Chsk.Latency)})
	}
	if len(ss) == 0 {
		return nil
	}
	x, y := latencyAxes()
	return &chart{
		title:    "Echo round trip latency",
		subtitle: runSubtitle(rep, fmt.Sprintf("%d clients, %d B payload", clients, payload)),
		x:        x, y: y, series: ss,
	}
}

// fanoutChart is the latency of the fan-out: every delivery, and the time
// until the last client of a round received (nil without a fan-out run).
func fanoutChart(rep *report) *chart {
	f := rep.Fanout
	if f == nil || f.Chsk.Clients == 0 {
		return nil
	}
	ss := []series{{name: "gosente: each delivery", color: colorChskWS, pts: latencyPoints(f.Chsk.Delivery)}}
	if b := f.Baseline; b != nil && b.Clients > 0 {
		ss = append(ss, series{name: "raw: each delivery", color: colorRaw, pts: latencyPoints(b.Delivery)})
	}
	ss = append(ss, series{name: "gosente: last of a round", color: colorChskWS, dash: true, pts: latencyPoints(f.Chsk.Last)})
	if b := f.Baseline; b != nil && b.Clients > 0 {
		ss = append(ss, series{name: "raw: last of a round", color: colorRaw, dash: true, pts: latencyPoints(b.Last)})
	}
	x, y := latencyAxes()
	return &chart{
		title:    fmt.Sprintf("Fan-out to %d WebSocket clients: push latency", f.Chsk.Clients),
		subtitle: runSubtitle(rep, fmt.Sprintf("%d rounds", f.Chsk.Rounds)),
		x:        x, y: y, series: ss,
	}
}

// memoryChart is the server's memory per idle connection against the
// number of connections: resident size (solid) and live heap (dashed) for
// each series (nil without an idle run).
func memoryChart(rep *report) *chart {
	id := rep.Idle
	if id == nil {
		return nil
	}
	var ss []series
	for _, r := range []struct {
		res   *idleResult
		name  string
		color string
	}{
		{&id.Chsk, "gosente ws", colorChskWS},
		{id.Raw, "raw coder/websocket", colorRaw},
		{id.Polls, "gosente ajax poll", colorChskAjax},
	} {
		if r.res == nil || len(r.res.Steps) == 0 {
			continue
		}
		var rss, heap []point
		for _, s := range r.res.Steps {
			rss = append(rss, point{float64(s.Conns), s.RSSKiB})
			heap = append(heap, point{float64(s.Conns), s.HeapKiB})
		}
		ss = append(ss,
			series{name: r.name + ": RSS", color: r.color, pts: rss},
			series{name: r.name + ": heap", color: r.color, dash: true, pts: heap})
	}
	if len(ss) == 0 {
		return nil
	}
	return &chart{
		title:    "Server memory per idle connection",
		subtitle: runSubtitle(rep, "growth over the idle server, divided by connections"),
		x:        axis{label: "idle connections (log scale)", log: true},
		y:        axis{label: "KiB per connection"},
		series:   ss,
	}
}
