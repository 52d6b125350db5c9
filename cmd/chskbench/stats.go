package main

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
)

// percentile returns the p-th percentile (0 < p ≤ 1) of sorted, nearest
// rank; 0 for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// latencies summarizes samples (which it sorts).
type latencies struct {
	P50 float64 `json:"p50_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
	// Dist samples the distribution at distQuantiles; older results lack it.
	Dist []quantile `json:"dist,omitempty"`
}

func summarize(samples []time.Duration) latencies {
	slices.Sort(samples)
	return latencies{P50: ms(percentile(samples, 0.5)), P99: ms(percentile(samples, 0.99)), Max: ms(percentile(samples, 1)), Dist: distribution(samples)}
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ratio is a/b, 0 when b is 0.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// progress prints status() on stderr every second until stop is called.
type progress struct {
	stop func()
}

func startProgress(label string, status func() string) *progress {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(os.Stderr, "chskbench %s: %s\n", label, status())
			}
		}
	})
	var once sync.Once
	return &progress{stop: func() { once.Do(func() { close(done); wg.Wait() }) }}
}
