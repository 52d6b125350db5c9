// Package golden replays the golden transcripts of real Sente (1.17.0 on
// http-kit 2.6.0, 1.22.0-RC1 on http-kit 2.8.1; copies in testdata/) against
// a live server and compares, item by item, what it answers with what real
// Sente answered. It is the engine of gosente's differential conformance
// suite; it knows nothing about gosente (it does not import chsk).
//
// # Transcripts
//
// Load reads a transcript (JSON Lines, one Record per line, format in
// testdata/README.md, a copy of ../shared/golden/README.md). Records are grouped into Scenarios in
// recording order: a, b, c, d, e, a#2, origin. Each scenario ran on one of
// two server Instances: [0] the reference app, [1] the same app with
// :allowed-origins #{"http://localhost:PORT"} where PORT is its own port
// (scenario origin, preceded by its own session scenario a#2).
//
// # Replay
//
// Run replays a whole transcript (or Config.Scenarios); Replay replays one
// scenario. Requests are written byte for byte as the probe sent them —
// method, target, headers in order and case, body — on a raw TCP
// connection, with the recorded session cookie, CSRF token, Host and
// localhost origin port replaced by the live ones (Content-Length is
// recomputed). WebSocket upgrades and frames are spoken by hand (RFC 6455,
// masked client frames of every recorded type), so no client library
// normalizes anything. Scenario a obtains the cookie and token from GET /;
// any other scenario replayed first gets them with an uncompared GET /.
//
// Timing follows the recording: the replay keeps every recorded idle gap
// between the end of one probe action and the start of the next (poll
// 500 ms after a push, stay silent for 14 s, await the uidport-close), waits
// for live responses as long as they take, and waits for every server frame
// the probe waited for (up to its recorded arrival plus 500 ms). The probe's
// background poll (d/poll-open-during-push) is issued in the background.
// The probe's reactions are reproduced: a server close is echoed (and the
// connection then ignored, as the probe did), a server ping is ponged, and in
// c/kalive-pong every frame containing :chsk/ws-ping is answered with
// [[:chsk/ws-pong] nil]. A connection is dropped (TCP close, no close frame)
// after the last step that uses it. Config.TimeScale multiplies every wait
// and divides every measured time: with TimeScale 1 the server must use the
// reference timers (lp-timeout 2000 ms, ws-kalive 3000 ms, Ajax and WS close
// grace 5000/2500 ms …); with 0.5, half of each. A full transcript takes
// about 95 s × TimeScale.
//
// # Comparison
//
// Every compared value is an Item with a Field:
//
//   - FieldStatus: the status line, exactly ("HTTP/1.1 403 Forbidden").
//   - "header:<name>": every header the recording has except Date, Server,
//     Content-Length and Transfer-Encoding, plus Content-Type always (its
//     absence is significant: Sente's 403s have none) and Set-Cookie when
//     either side sends it. Names are compared case-insensitively, order is
//     ignored, values exactly; repeated headers are joined with "\n".
//   - FieldBody: the body, exactly.
//   - FieldFrame: each server→client frame of a step and connection, in
//     order; a text frame is its payload, a close frame "[close] 1000", a
//     pong "[pong] hi", a binary frame its type in brackets and base64.
//   - FieldSilence ("yes"/"no"): nothing arrived after the step's last
//     client frame. FieldEOF: the server closed the TCP connection.
//   - FieldEvent: the event-log lines of each client (Item.Conn = client-id),
//     in order, per scenario, under the pseudo-step EventsStep. Lines are
//     attributed by :client-id to the scenario whose requests use it, so a
//     :chsk/uidport-close that arrives during a later scenario still counts
//     for its own. The live log comes from Server.Events and must hold one
//     EventLine.String per event-msg the app's handler receives.
//     Server-log records with source "stdout" (Sente's and http-kit's
//     logging) are not compared.
//   - FieldElapsed, FieldArrival: times ("123ms", recorded units); equal
//     within Config.Tolerance.
//   - FieldSession: the CSRF token's length announced by scenario a.
//
// Before comparing, what legitimately varies is replaced by placeholders on
// both sides: the session cookie value (<session>; any other ring-session
// cookie <new-session>), the CSRF token (<csrf-token>, raw and URL-encoded;
// another token in a page <other-token>), Host (<host>) and the port in
// localhost origins (<port>), udt= values (<udt>) and :t in event lines (<t>).
//
// # Deviations
//
// An item whose normalized values differ is a named deviation when a
// Deviation selects it (Label, Scenario, Step, Field) and its Match accepts
// the pair — e.g. Translated(CanonicalEnvelope) for "gosente writes the
// 1.21+ envelope where 1.17 wrote +[…]" — and a MISMATCH otherwise. The
// caller fails on Report.Mismatches. Report.Unused lists deviations that
// no longer apply.
//
// # Reports
//
// Result.Table and Report.Table render a per-step table for t.Log;
// Report.Summary is a JSON-ready digest; WriteMarkdown writes a
// CONFORMANCE.md-style document (timings rounded so it regenerates stably).
//
// Typical use in the chsk test:
//
//	tr, _ := golden.Load("internal/golden/testdata/sente-1.17.0.jsonl")
//	rep, err := golden.Run(ctx, tr, golden.Config{
//		Servers: []golden.Server{
//			{BaseURL: main.URL, Events: mainApp.Events},
//			{BaseURL: restricted.URL, Events: restrictedApp.Events},
//		},
//		Deviations: profile117, // the §13 differences, named
//		Logf:       t.Logf,
//	})
//	t.Log(rep.Table(160))
//	for _, it := range rep.Mismatches() { t.Error(it) }
package golden
