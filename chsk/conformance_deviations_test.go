package chsk

import (
	"strings"

	"github.com/gosente/gosente/chsk/internal/golden"
)

const (
	sente117 = "sente-1.17.0"
	sente122 = "sente-1.22.0-RC1"
)

// deviations names every deliberate difference between gosente and real
// Sente (PROTOCOL.md §13, the compatibility profile). The conformance suite
// fails on any difference not listed here, and reports each one it applies.
func deviations() []golden.Deviation {
	absent := func(expected, _ string) bool { return expected == golden.Absent }
	has := func(subs ...string) func(_, actual string) bool {
		return func(_, actual string) bool {
			for _, s := range subs {
				if strings.Contains(actual, s) {
					return true
				}
			}
			return false
		}
	}
	return []golden.Deviation{
		{
			Label: sente117, Field: "frame",
			Reason: "unprefixed envelope: gosente writes [payload cb] with a 3-slot handshake, which every client from 1.17 to 1.22 reads; 1.17 writes +[payload cb], which 1.21+ clients cannot read",
			Match:  golden.Translated(golden.CanonicalEnvelope),
		},
		{
			Label: sente117, Field: "body",
			Reason: "unprefixed envelope in Ajax responses (as above)",
			Match:  golden.Translated(golden.CanonicalEnvelope),
		},
		{
			Field: "event", Step: golden.EventsStep,
			Reason: "bad packages: gosente delivers [:chsk/bad-package text] without a reply function for every unreadable or non-envelope frame (the documented 1.17 intent, 1.18–1.20 behaviour); 1.17 delivers quirky shapes or throws, 1.22 drops them",
			Match:  has(":id :chsk/bad-package", ":id :chsk/bad-event, :?data nil"),
		},
		{
			Scenario: "d", Step: "post-malformed-ppstr*",
			Reason: "bad packages over Ajax: gosente answers :chsk/dummy-cb-200 at once (and delivers [:chsk/bad-package text]); 1.17 and 1.22 answer 500 with the reader's exception message, or time out",
			Match:  func(_, actual string) bool { return actual != "" },
		},
		{
			Label: sente122, Step: "*v1*",
			Reason: "gosente reads the +/- envelopes 1.17 clients write (union reader); 1.22 cannot, and drops them (WS) or answers 500 (Ajax)",
			Match:  func(_, actual string) bool { return actual != "" },
		},
		{
			Label: sente122, Step: "*v117style*",
			Reason: "gosente reads the + envelope of 1.17 Ajax clients; 1.22 answers 500",
			Match:  func(_, actual string) bool { return actual != "" },
		},
		{
			Label: sente122, Field: "event", Step: golden.EventsStep,
			Reason: "events of 1.17-style (+/-) frames, which gosente reads and 1.22 drops",
			Match: func(e, a string) bool {
				return absent(e, a) && has(":id :test/", ":id :chsk/ws-ping", ":id :chsk/bad-event")(e, a)
			},
		},
		{
			Label: sente117, Step: "client-ws-ping-v2-with-cb",
			Reason: "gosente answers a client ping that carries a callback with \"pong\" (as 1.18+ servers do), or 1.18+ clients reconnect after every quiet period; 1.17 answers nothing",
			Match:  func(_, actual string) bool { return actual == `["pong" "cbping"]` || actual == "no" },
		},
		{
			Label: sente117, Field: "event", Step: golden.EventsStep,
			Reason: "the client ping with a callback reaches the handler without a reply function, since gosente answered it",
			Match: func(_, a string) bool {
				return strings.Contains(a, ":id :chsk/ws-ping") && strings.Contains(a, ":reply-fn? false")
			},
		},
		{
			Label: sente122, Step: "kalive-idle", Field: "frame",
			Reason: "gosente applies the ping timeout only to clients that have answered a ping with [:chsk/ws-pong] (1.19+): 1.17 clients never answer and do not reconnect after a clean close, so they keep getting pings",
			Match:  golden.Exactly(`[:chsk/ws-ping nil]`),
		},
		{
			Label: sente122, Scenario: "e", Field: "header:content-type",
			Reason: "the client-id 500 has no Content-Type, as http-kit 2.6.0 sends it; http-kit 2.8.1 adds text/plain",
			Match:  golden.Exactly(golden.Absent),
		},
		{
			Label: sente122, Field: "event", Step: golden.EventsStep,
			Reason: "gosente emits :chsk/uidport-open for an Ajax client on its handshake, as 1.17 and 1.18 do; 1.19+ wait for the first poll",
			Match:  has(":id :chsk/uidport-open"),
		},
		{
			Scenario: "d", Step: "poll-*", Field: "body",
			Reason: "pushes to an Ajax client between polls wait for its next poll as long as the client is registered (close grace), in order; Sente retries for 2–6 s, may reorder, and then loses them",
			Match:  has(":test/pushed", ":chsk/timeout"),
		},
		{
			Label: sente117, Scenario: "d", Field: "event", Step: golden.EventsStep,
			Reason: "in the recording the poll arrived ~100 ms after the Ajax close grace ran out, so 1.17 expired the client (uidport-close, then open again); at that margin which timer fires first is a race",
			Match: func(e, a string) bool {
				return strings.Contains(e+a, ":chsk/uidport-") || strings.Contains(a, ":chsk/bad-package")
			},
		},
	}
}
