package main

import "time"

// distQuantiles are where a latency distribution is sampled for the JSON
// and the charts: the body and the tail, up to the maximum.
var distQuantiles = []float64{0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1}

// quantile is one point of a latency distribution.
type quantile struct {
	Q  float64 `json:"q"`
	Ms float64 `json:"ms"`
}

// distribution samples sorted at distQuantiles (nil for no samples).
func distribution(sorted []time.Duration) []quantile {
	if len(sorted) == 0 {
		return nil
	}
	out := make([]quantile, len(distQuantiles))
	for i, q := range distQuantiles {
		d := sorted[0]
		if q > 0 {
			d = percentile(sorted, q)
		}
		out[i] = quantile{Q: q, Ms: ms(d)}
	}
	return out
}
