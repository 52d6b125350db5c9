package golden

import (
	"fmt"
	"regexp"
	"strconv"
)

// EventLine is one line of the reference app's event log: the app logs
// every event-msg its handler receives, one EDN map per line, in this exact
// shape (Clojure's printing of the map, keys in this order):
//
//	{:t 1795636769575, :id :chsk/uidport-open, :?data "probe-b", :uid "probe-b", :client-id "probe-b", :reply-fn? false, :method :get, :ws? true}
//
// The gosente test app must produce the same lines through Server.Events.
// ID, Data, UID and ClientID hold EDN text as Clojure prints it (strings
// quoted, maps as {:n 1, :s "x"}, nil as nil).
type EventLine struct {
	// T is the time of logging in ms since the epoch (normalized away).
	T int64
	// ID is the event id, e.g. ":test/echo" or ":chsk/uidport-open".
	ID string
	// Data is ?data, the event's second element or nil.
	Data string
	// UID is the event-msg's :uid (here the client-id), e.g. "\"probe-c\"".
	UID string
	// ClientID is the event-msg's :client-id, e.g. "\"probe-c\"".
	ClientID string
	// ReplyFn tells whether the event-msg had a ?reply-fn.
	ReplyFn bool
	// Method is the Ring request method of the event-msg's :ring-req
	// (":get" for WebSocket events and for :chsk/uidport-close, ":post" for
	// Ajax POST events).
	Method string
	// WS is the event-msg's :ws? (true for WebSocket connections).
	WS bool
}

// String renders the line exactly as the reference app logged it.
func (e EventLine) String() string {
	return fmt.Sprintf("{:t %d, :id %s, :?data %s, :uid %s, :client-id %s, :reply-fn? %t, :method %s, :ws? %t}",
		e.T, e.ID, e.Data, e.UID, e.ClientID, e.ReplyFn, e.Method, e.WS)
}

var reClientID = regexp.MustCompile(`, :client-id ("(?:[^"\\]|\\.)*"|[^,}\s]+)`)

// eventClientID returns the :client-id of an event line, unquoted when it is
// an EDN string ("nil" and other values are returned as printed).
func eventClientID(line string) string {
	m := reClientID.FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	if s, err := strconv.Unquote(m[1]); err == nil {
		return s
	}
	return m[1]
}

// linePair is one aligned expected/actual event line; either side may be
// Absent.
type linePair struct {
	exp, act string
	expIdx   int // index into the expected list, -1 if absent
	actIdx   int // index into the actual list, -1 if absent
}

// alignLines aligns two line lists with a longest-common-subsequence diff.
// Equal lines pair up; between two equal anchors the remaining lines pair
// positionally (so a changed line is one item with both sides) and the rest
// stays one-sided.
func alignLines(exp, act []string) []linePair {
	n, m := len(exp), len(act)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if exp[i] == act[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []linePair
	var de, da []int // pending unmatched indices
	flush := func() {
		k := 0
		for ; k < len(de) && k < len(da); k++ {
			out = append(out, linePair{exp: exp[de[k]], act: act[da[k]], expIdx: de[k], actIdx: da[k]})
		}
		for ; k < len(de); k++ {
			out = append(out, linePair{exp: exp[de[k]], act: Absent, expIdx: de[k], actIdx: -1})
		}
		for k2 := min(len(de), len(da)); k2 < len(da); k2++ {
			out = append(out, linePair{exp: Absent, act: act[da[k2]], expIdx: -1, actIdx: da[k2]})
		}
		de, da = de[:0], da[:0]
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && exp[i] == act[j]:
			flush()
			out = append(out, linePair{exp: exp[i], act: act[j], expIdx: i, actIdx: j})
			i, j = i+1, j+1
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			da = append(da, j)
			j++
		default:
			de = append(de, i)
			i++
		}
	}
	flush()
	return out
}
