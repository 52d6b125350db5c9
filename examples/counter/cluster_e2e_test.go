package main

import (
	"testing"
	"time"
)

// engineFlags start an engine for the test and return the flag that puts a
// node on it, as on the command line.
var engineFlags = map[string]func(t *testing.T) []string{
	"redis": func(t *testing.T) []string {
		return []string{"-redis", "redis://" + startRedis(t).Options().Addr + "/0"}
	},
	"nats": func(t *testing.T) []string { return []string{"-nats", startNATS(t).ConnectedUrl()} },
}

// engineConfig is testConfig with an engine flag applied, as main applies it.
func engineConfig(t *testing.T, flag []string) config {
	cfg := testConfig()
	switch flag[0] {
	case "-redis":
		cfg.RedisURL = flag[1]
	case "-nats":
		cfg.NATSURL = flag[1]
	default:
		t.Fatalf("unknown engine flag %s", flag[0])
	}
	return cfg
}

// Two nodes on one engine are one app: a session's tabs on node A and node
// B follow one count ([:counter/inc] on either pushes the count to both),
// and the tick's user count is cluster-wide on both nodes.
func TestTwoNodesOneApp(t *testing.T) {
	for name, engine := range engineFlags {
		t.Run(name, func(t *testing.T) {
			cfg := engineConfig(t, engine(t))
			cfg.TickEvery = 100 * time.Millisecond
			baseA, baseB := runNode(t, cfg), runNode(t, cfg)

			v := newVisitor(t, baseA)
			p := v.load()
			onA, onB := dialTab(t, baseA, v, p.token), dialTab(t, baseB, v, p.token)
			n := onA.inc(t)
			onB.waitCount(t, n)
			n = onB.inc(t)
			onA.waitCount(t, n)
			onA.waitUsers(t, 1)
			onB.waitUsers(t, 1)

			w := newVisitor(t, baseB) // another session, on B only
			other := dialTab(t, baseB, w, w.load().token)
			onA.waitUsers(t, 2) // A counts B's user too
			other.waitUsers(t, 2)
			n = onB.inc(t)
			onA.waitCount(t, n)
			select {
			case got := <-other.counts:
				t.Fatalf("another session's tab got count %d", got)
			default:
			}
		})
	}
}
