package main

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gosente/gosente/chsk/chskprom"
)

// metricsHandler serves the app's metrics in Prometheus's text format: the
// Sente server's (chskprom) and the Go runtime's and process's.
func metricsHandler(a *app) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(chskprom.NewCollector(a.chsk, nil),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}
