package golden

import (
	"fmt"
	"strings"
	"time"
)

// Verdict classifies one compared item.
type Verdict int

// Verdicts. The zero value means "not classified yet".
const (
	// VerdictMatch: equal after normalization (timings: within tolerance).
	VerdictMatch Verdict = iota + 1
	// VerdictDeviation: different, and a Deviation names the difference.
	VerdictDeviation
	// VerdictMismatch: different, and nothing names it. Fails the suite.
	VerdictMismatch
)

// String returns "match", "deviation" or "MISMATCH".
func (v Verdict) String() string {
	switch v {
	case VerdictMatch:
		return "match"
	case VerdictDeviation:
		return "deviation"
	case VerdictMismatch:
		return "MISMATCH"
	}
	return "unclassified"
}

// MarshalText renders the verdict for JSON summaries.
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Item fields. Header items are "header:" + the lower-case header name.
const (
	FieldStatus  = "status"     // HTTP status line
	FieldBody    = "body"       // HTTP body (normalized)
	FieldElapsed = "elapsed"    // time until the HTTP response was complete ("123ms")
	FieldFrame   = "frame"      // a server→client WebSocket frame (see below)
	FieldArrival = "arrival"    // a frame's arrival, relative to its step's start ("123ms")
	FieldSilence = "silence"    // "yes" when nothing arrived after the step's last client frame
	FieldEOF     = "eof"        // "yes" when the server closed the TCP connection
	FieldEvent   = "event"      // one line of the app's event log (normalized)
	FieldSession = "csrf-token" // the CSRF token length announced by scenario a
	fieldHeader  = "header:"
)

// Absent is the value of an item whose expected or actual side does not
// exist (a missing header, frame or event line).
const Absent = "<absent>"

// Item is one compared value.
//
// Frame values: a text frame is its payload; other frames render as
// "[close] 1000", "[pong] hi", "[binary] <base64>" — see FieldFrame.
type Item struct {
	Label    string  `json:"label"`
	Scenario string  `json:"scenario"`
	Step     string  `json:"step"`
	Field    string  `json:"field"`
	Conn     string  `json:"conn,omitempty"`  // WebSocket connection (frames) or client-id (events)
	Index    int     `json:"index,omitempty"` // position among the step's frames / the client's events
	Expected string  `json:"expected"`
	Actual   string  `json:"actual"`
	Verdict  Verdict `json:"verdict"`
	// Reason is the Deviation's reason (deviations only).
	Reason string `json:"reason,omitempty"`
	// Note says where an event line was recorded and read live.
	Note string `json:"note,omitempty"`
}

// Where renders "scenario/step field[conn#index]".
func (it Item) Where() string {
	s := it.Scenario + "/" + it.Step + " " + it.Field
	if it.Conn != "" {
		s += fmt.Sprintf("[%s#%d]", it.Conn, it.Index)
	}
	return s
}

// Result is the outcome of replaying one scenario.
type Result struct {
	Label    string
	Scenario string // scenario ID
	// Steps lists the scenario's step names in replay order.
	Steps []string
	// Items holds every compared value, in step order.
	Items []Item
	// Actions is a log of what the replay did, per step, for the table.
	Actions map[string][]string
	// Duration is the wall time of the replay.
	Duration time.Duration
}

// Mismatches returns the items no Deviation explains.
func (r *Result) Mismatches() []Item {
	var out []Item
	for _, it := range r.Items {
		if it.Verdict == VerdictMismatch {
			out = append(out, it)
		}
	}
	return out
}

// Count returns how many items have verdict v.
func (r *Result) Count(v Verdict) int {
	n := 0
	for _, it := range r.Items {
		if it.Verdict == v {
			n++
		}
	}
	return n
}

// Report is the outcome of replaying a transcript (or a selection of it).
type Report struct {
	Label   string
	Results []*Result
	// Unused lists Deviations meant for this transcript that never applied:
	// stale entries the deviation table should drop.
	Unused []Deviation
}

// Mismatches returns every item no Deviation explains.
func (r *Report) Mismatches() []Item {
	var out []Item
	for _, res := range r.Results {
		out = append(out, res.Mismatches()...)
	}
	return out
}

// Summary is the machine-readable digest of a Report.
type Summary struct {
	Label     string            `json:"label"`
	Scenarios []ScenarioSummary `json:"scenarios"`
	Match     int               `json:"match"`
	Deviation int               `json:"deviation"`
	Mismatch  int               `json:"mismatch"`
	// Mismatches and Deviations list the non-matching items.
	Mismatches []Item   `json:"mismatches"`
	Deviations []Item   `json:"deviations"`
	Unused     []string `json:"unused_deviations,omitempty"`
	Duration   Duration `json:"duration"`
}

// ScenarioSummary counts the verdicts of one scenario.
type ScenarioSummary struct {
	Scenario  string   `json:"scenario"`
	Steps     int      `json:"steps"`
	Match     int      `json:"match"`
	Deviation int      `json:"deviation"`
	Mismatch  int      `json:"mismatch"`
	Duration  Duration `json:"duration"`
}

// Duration marshals as a Go duration string.
type Duration time.Duration

// MarshalText renders the duration like time.Duration.String, rounded to ms.
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).Round(time.Millisecond).String()), nil
}

// Summary digests the report (marshal it with encoding/json).
func (r *Report) Summary() Summary {
	s := Summary{Label: r.Label}
	for _, res := range r.Results {
		ss := ScenarioSummary{Scenario: res.Scenario, Steps: len(res.Steps), Duration: Duration(res.Duration),
			Match: res.Count(VerdictMatch), Deviation: res.Count(VerdictDeviation), Mismatch: res.Count(VerdictMismatch)}
		s.Scenarios = append(s.Scenarios, ss)
		s.Match += ss.Match
		s.Deviation += ss.Deviation
		s.Mismatch += ss.Mismatch
		s.Duration += Duration(res.Duration)
		for _, it := range res.Items {
			switch it.Verdict {
			case VerdictMismatch:
				s.Mismatches = append(s.Mismatches, it)
			case VerdictDeviation:
				s.Deviations = append(s.Deviations, it)
			}
		}
	}
	for _, d := range r.Unused {
		s.Unused = append(s.Unused, d.String())
	}
	return s
}

// Table renders a readable per-step table (one line per action and item),
// suitable for t.Log. Values longer than width are elided in the middle;
// width ≤ 0 means no limit.
func (r *Result) Table(width int) string {
	var b strings.Builder
	byStep := map[string][]Item{}
	for _, it := range r.Items {
		byStep[it.Step] = append(byStep[it.Step], it)
	}
	fmt.Fprintf(&b, "== %s %s (%s): %d match, %d deviation, %d MISMATCH\n", r.Label, r.Scenario,
		r.Duration.Round(time.Millisecond), r.Count(VerdictMatch), r.Count(VerdictDeviation), r.Count(VerdictMismatch))
	for _, step := range r.Steps {
		fmt.Fprintf(&b, "-- %s/%s\n", r.Scenario, step)
		for _, a := range r.Actions[step] {
			fmt.Fprintf(&b, "     %s\n", elide(a, width))
		}
		for _, it := range byStep[step] {
			where := it.Field
			if it.Conn != "" {
				where += fmt.Sprintf("[%s#%d]", it.Conn, it.Index)
			}
			if it.Expected == it.Actual {
				fmt.Fprintf(&b, "  %-9s %-22s %s\n", it.Verdict, where, elide(it.Expected, width))
				continue
			}
			fmt.Fprintf(&b, "  %-9s %-22s want %s\n", it.Verdict, where, elide(it.Expected, width))
			fmt.Fprintf(&b, "  %-9s %-22s got  %s\n", "", "", elide(it.Actual, width))
			if it.Reason != "" {
				fmt.Fprintf(&b, "  %-9s %-22s (%s)\n", "", "", it.Reason)
			}
			if it.Note != "" {
				fmt.Fprintf(&b, "  %-9s %-22s [%s]\n", "", "", it.Note)
			}
		}
		delete(byStep, step)
	}
	return b.String()
}

// Table renders every result's table.
func (r *Report) Table(width int) string {
	var b strings.Builder
	for _, res := range r.Results {
		b.WriteString(res.Table(width))
	}
	for _, d := range r.Unused {
		fmt.Fprintf(&b, "unused deviation: %s\n", d)
	}
	return b.String()
}

func elide(s string, width int) string {
	s = strings.ReplaceAll(s, "\n", `\n`)
	r := []rune(s)
	if width <= 0 || len(r) <= width {
		return s
	}
	half := max((width-5)/2, 1)
	return string(r[:half]) + " ... " + string(r[len(r)-half:])
}
