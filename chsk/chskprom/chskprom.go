// Package chskprom exports a chsk.Server's Stats to Prometheus: register a
// Collector and serve the registry with promhttp. It is a package of its own
// so that importing chsk never pulls in the Prometheus client.
//
// Labels have bounded values only: transport ("ws", "ajax") and, on
// rejections, the RejectKind. Event ids and uids, which clients choose,
// never become labels.
package chskprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gosente/gosente/chsk"
)

// Collector is a prometheus.Collector for one server. Every scrape reads
// Server.Stats once.
type Collector struct {
	stats func() chsk.Stats

	connections, clients, uids, queueHigh                           *prometheus.Desc
	eventsIn, bytesIn, bytesOut, replies, pushes, pushBatches       *prometheus.Desc
	rejections, slow, undelivered, brokerErrors, handler, takenOver *prometheus.Desc
}

// Options configure a Collector. The zero value is ready to use.
type Options struct {
	// Namespace prefixes every metric name; empty means "chsk".
	Namespace string
	// ConstLabels are added to every metric, e.g. {"node": "a"} when
	// several servers share one registry.
	ConstLabels prometheus.Labels
}

// NewCollector returns a Collector for srv; opts may be nil.
func NewCollector(srv *chsk.Server, opts *Options) *Collector {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Namespace == "" {
		o.Namespace = "chsk"
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(o.Namespace, "", name), help, labels, o.ConstLabels)
	}
	return &Collector{
		stats:        srv.Stats,
		connections:  d("connections", "Connections open now: WebSockets, and Ajax long-polls parked on the server.", "transport"),
		clients:      d("clients", "Clients (browser tabs) registered now, including those within their close grace period.", "transport"),
		uids:         d("connected_uids", "Users with a client now."),
		queueHigh:    d("queue_high_water", "The longest any client's send queue has been."),
		eventsIn:     d("events_received_total", "Client events received.", "transport"),
		bytesIn:      d("received_bytes_total", "Bytes of the client events received.", "transport"),
		bytesOut:     d("sent_bytes_total", "Bytes of the frames written to clients.", "transport"),
		replies:      d("replies_total", "Replies to client events sent by handlers."),
		pushes:       d("pushes_total", "Events pushed to a client (a push to a user with three tabs counts three)."),
		pushBatches:  d("push_batches_total", "Frames that carried pushes."),
		rejections:   d("rejections_total", "Refused requests, by kind.", "kind"),
		slow:         d("slow_disconnects_total", "Clients disconnected for not keeping up (MaxQueue or WriteTimeout)."),
		takenOver:    d("polls_taken_over_total", "Ajax polls whose connection was taken from net/http to wait without a goroutine."),
		undelivered:  d("undelivered_at_shutdown_total", "Pushes accepted that Shutdown could not deliver."),
		brokerErrors: d("broker_errors_total", "Failed Broker.Publish and Presence.Update calls."),
		handler:      d("handler_seconds", "Time spent in the event handler."),
	}
}

// Describe sends the descriptions of every metric.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.connections, c.clients, c.uids, c.queueHigh, c.eventsIn, c.bytesIn, c.bytesOut,
		c.replies, c.pushes, c.pushBatches, c.rejections, c.slow, c.undelivered, c.brokerErrors, c.handler, c.takenOver} {
		ch <- d
	}
}

// Collect reads the server's Stats and sends every metric.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	byTransport := func(d *prometheus.Desc, t prometheus.ValueType, v chsk.ByTransport) {
		ch <- prometheus.MustNewConstMetric(d, t, float64(v.WS), "ws")
		ch <- prometheus.MustNewConstMetric(d, t, float64(v.Ajax), "ajax")
	}
	one := func(d *prometheus.Desc, t prometheus.ValueType, v float64) {
		ch <- prometheus.MustNewConstMetric(d, t, v)
	}
	byTransport(c.connections, prometheus.GaugeValue, s.Connections)
	byTransport(c.clients, prometheus.GaugeValue, s.Clients)
	one(c.uids, prometheus.GaugeValue, float64(s.UIDs))
	one(c.queueHigh, prometheus.GaugeValue, float64(s.QueueHighWater))
	byTransport(c.eventsIn, prometheus.CounterValue, s.EventsIn)
	byTransport(c.bytesIn, prometheus.CounterValue, s.BytesIn)
	byTransport(c.bytesOut, prometheus.CounterValue, s.BytesOut)
	one(c.replies, prometheus.CounterValue, float64(s.Replies))
	one(c.pushes, prometheus.CounterValue, float64(s.Pushes))
	one(c.pushBatches, prometheus.CounterValue, float64(s.PushBatches))
	for kind, n := range s.Rejections {
		ch <- prometheus.MustNewConstMetric(c.rejections, prometheus.CounterValue, float64(n), string(kind))
	}
	one(c.slow, prometheus.CounterValue, float64(s.SlowDisconnects))
	one(c.takenOver, prometheus.CounterValue, float64(s.PollsTakenOver))
	one(c.undelivered, prometheus.CounterValue, float64(s.UndeliveredAtShutdown))
	one(c.brokerErrors, prometheus.CounterValue, float64(s.BrokerErrors))
	ch <- prometheus.MustNewConstSummary(c.handler, s.HandlerCalls, s.HandlerTime.Seconds(), nil)
}
