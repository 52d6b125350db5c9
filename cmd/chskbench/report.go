package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// machine describes where the run happened.
type machine struct {
	GOOS         string `json:"goos"`
	GOARCH       string `json:"goarch"`
	NumCPU       int    `json:"num_cpu"`
	GoVersion    string `json:"go_version"`
	CPUModel     string `json:"cpu_model"`
	NoFile       uint64 `json:"nofile"`
	ServerNoFile uint64 `json:"server_nofile,omitempty"`
}

// report is everything one invocation measured.
type report struct {
	Machine  machine       `json:"machine"`
	Command  []string      `json:"command"`
	Started  time.Time     `json:"started"`
	Seconds  float64       `json:"seconds"`
	URL      string        `json:"url"`
	EchoWS   *echoReport   `json:"echo_ws,omitempty"`
	EchoAjax *echoReport   `json:"echo_ajax,omitempty"`
	Fanout   *fanoutReport `json:"fanout,omitempty"`
	Idle     *idleReport   `json:"idle,omitempty"`
	Errors   []string      `json:"errors,omitempty"`
}

func newReport(url string) *report {
	return &report{
		Machine: machine{
			GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, NumCPU: runtime.NumCPU(),
			GoVersion: runtime.Version(), CPUModel: cpuModel(), NoFile: noFile(),
		},
		Command: os.Args,
		Started: time.Now().UTC(),
		URL:     url,
	}
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// writeJSON writes the report to path.
func (r *report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// printSummary writes the report as tables.
func (r *report) printSummary(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "machine: %s/%s, %d CPU (%s), %s, nofile %d\n", m.GOOS, m.GOARCH, m.NumCPU, m.CPUModel, m.GoVersion, m.NoFile)
	fmt.Fprintf(w, "command: %s\n\n", strings.Join(r.Command, " "))
	for _, e := range []*echoReport{r.EchoWS, r.EchoAjax} {
		if e == nil || e.Chsk.Clients == 0 {
			continue // the run failed before it measured anything
		}
		fmt.Fprintf(w, "echo %-10s clients %-5d rt/s %9.0f  p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms  errors %d\n",
			e.Chsk.Target, e.Chsk.Clients, e.Chsk.RTPerSec, e.Chsk.Latency.P50, e.Chsk.Latency.P99, e.Chsk.Latency.Max, e.Chsk.Errors)
		if b := e.Baseline; b != nil {
			fmt.Fprintf(w, "echo %-10s clients %-5d rt/s %9.0f  p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms  errors %d\n",
				b.Target, b.Clients, b.RTPerSec, b.Latency.P50, b.Latency.P99, b.Latency.Max, b.Errors)
			fmt.Fprintf(w, "  ratio gosente/raw: throughput %.2f×, p50 %.2f×, p99 %.2f×\n", e.RTRatio, e.P50Ratio, e.P99Ratio)
		}
	}
	if f := r.Fanout; f != nil && f.Chsk.Clients > 0 {
		fmt.Fprintln(w)
		for _, x := range []*fanoutResult{&f.Chsk, f.Baseline} {
			if x == nil || x.Clients == 0 {
				continue
			}
			fmt.Fprintf(w, "fanout %-8s clients %-6d rounds %d/%d  last p50 %7.2f ms p99 %7.2f ms  delivery p50 %7.2f ms p99 %7.2f ms  %9.0f deliveries/s\n",
				x.Target, x.Clients, x.Complete, x.Rounds, x.Last.P50, x.Last.P99, x.Delivery.P50, x.Delivery.P99, x.DeliveriesPerSec)
		}
		if f.Baseline != nil {
			fmt.Fprintf(w, "  ratio gosente/raw: last p50 %.2f×, last p99 %.2f×\n", f.LastP50Ratio, f.LastP99Ratio)
		}
	}
	if id := r.Idle; id != nil {
		fmt.Fprintln(w)
		for _, x := range []*idleResult{&id.Chsk, id.Raw, id.Polls} {
			if x == nil {
				continue
			}
			for _, s := range x.Steps {
				fmt.Fprintf(w, "idle %-15s %6d conns  server heap %6.2f KiB/conn (spans %6.2f)  stack %5.2f  rss %6.2f KiB/conn  goroutines %.2f/conn  client %6.2f KiB/conn, rss %d MiB\n",
					x.Target, s.Conns, s.HeapKiB, s.HeapInuseKiB, s.StackKiB, s.RSSKiB, s.GoroutinesPerConn, s.ClientKiB, s.ClientRSS>>20)
			}
			if x.Note != "" {
				fmt.Fprintf(w, "  note: %s\n", x.Note)
			}
		}
		for _, q := range id.Ratios {
			fmt.Fprintf(w, "  ratio gosente/raw at %d conns: heap %.2f×, rss %.2f×\n", q.Conns, q.Heap, q.RSS)
		}
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
}
