package golden

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Deviation names one deliberate difference between gosente and real Sente.
// An item whose normalized expected and actual values differ is classified
// as a named deviation when a Deviation selects it and its Match accepts the
// pair; otherwise it is a MISMATCH. The chsk test owns the list.
type Deviation struct {
	// Label restricts the deviation to one transcript ("sente-1.17.0");
	// "" applies to every transcript.
	Label string
	// Scenario is matched (path.Match) against the scenario ID and name;
	// "" matches every scenario.
	Scenario string
	// Step is a path.Match pattern for the step name; "" matches every step.
	Step string
	// Field is a path.Match pattern for the item field (FieldStatus,
	// FieldBody, "header:content-type", FieldFrame, FieldEvent, …);
	// "" matches every field.
	Field string
	// Reason says why gosente differs; it appears in every report. Required.
	Reason string
	// Match decides whether the actual value is the documented difference
	// (see Translated, Exactly, AnyActual, ActualBetween). Required.
	Match func(expected, actual string) bool
}

// String renders the deviation's selector and reason.
func (d Deviation) String() string {
	sel := func(s string) string {
		if s == "" {
			return "*"
		}
		return s
	}
	lbl := ""
	if d.Label != "" {
		lbl = d.Label + " "
	}
	return fmt.Sprintf("%s%s/%s %s: %s", lbl, sel(d.Scenario), sel(d.Step), sel(d.Field), d.Reason)
}

func (d Deviation) validate() error {
	if strings.TrimSpace(d.Reason) == "" {
		return fmt.Errorf("%w: deviation %v has no Reason", ErrConfig, d)
	}
	if d.Match == nil {
		return fmt.Errorf("%w: deviation %v has no Match (use AnyActual to accept any value)", ErrConfig, d)
	}
	for _, p := range []string{d.Scenario, d.Step, d.Field} {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("%w: deviation %v: pattern %q: %v", ErrConfig, d, p, err)
		}
	}
	return nil
}

func globMatch(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	ok, _ := path.Match(pattern, s)
	return ok
}

// selects reports whether d is meant for it (Match is not consulted).
func (d Deviation) selects(it *Item) bool {
	if d.Label != "" && d.Label != it.Label {
		return false
	}
	if d.Scenario != "" && !globMatch(d.Scenario, it.Scenario) && !globMatch(d.Scenario, scenarioName(it.Scenario)) {
		return false
	}
	return globMatch(d.Step, it.Step) && globMatch(d.Field, it.Field)
}

// scenarioName strips the "#N" occurrence suffix of a scenario ID.
func scenarioName(id string) string {
	name, _, _ := strings.Cut(id, "#")
	return name
}

// ActualBetween returns a Deviation.Match function for timing items: it
// accepts an actual duration (as rendered, "123ms") within [loMS, hiMS].
func ActualBetween(loMS, hiMS int) func(expected, actual string) bool {
	return func(_, actual string) bool {
		ms, ok := parseMS(actual)
		return ok && ms >= loMS && ms <= hiMS
	}
}

func formatMS(ms int) string { return strconv.Itoa(ms) + "ms" }

func parseMS(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSuffix(s, "ms"))
	return n, err == nil && strings.HasSuffix(s, "ms")
}

// classifier applies a deviation list and counts which entries were used.
type classifier struct {
	devs []Deviation
	used []int
}

func newClassifier(devs []Deviation) (*classifier, error) {
	for _, d := range devs {
		if err := d.validate(); err != nil {
			return nil, err
		}
	}
	return &classifier{devs: devs, used: make([]int, len(devs))}, nil
}

// classify sets it.Verdict (and Reason for deviations). Items that are
// already equal (or whose verdict was decided by a tolerance) stay matches.
func (c *classifier) classify(it *Item) {
	if it.Verdict == VerdictMatch || (it.Verdict == 0 && it.Expected == it.Actual) {
		it.Verdict = VerdictMatch
		return
	}
	for i, d := range c.devs {
		if d.selects(it) && d.Match(it.Expected, it.Actual) {
			c.used[i]++
			it.Verdict, it.Reason = VerdictDeviation, d.Reason
			return
		}
	}
	it.Verdict = VerdictMismatch
}

// finish classifies every item of a result.
func (c *classifier) finish(res *Result) {
	for i := range res.Items {
		c.classify(&res.Items[i])
	}
}

// unused returns the deviations (meant for label) never applied.
func (c *classifier) unused(label string) []Deviation {
	var out []Deviation
	for i, d := range c.devs {
		if c.used[i] == 0 && (d.Label == "" || d.Label == label) {
			out = append(out, d)
		}
	}
	return out
}
