package golden

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEventLineFormat(t *testing.T) {
	// The exact lines of the 1.17 transcript, seq 16 and 27.
	tr := loadT(t, transcripts[0])
	line := func(seq int) string { return tr.Records[seq-1].Line }
	require.Equal(t, line(16), EventLine{T: 1795636769575, ID: ":chsk/uidport-open", Data: `"probe-b-hdr"`,
		UID: `"probe-b-hdr"`, ClientID: `"probe-b-hdr"`, Method: ":get", WS: true}.String())
	require.Equal(t, line(27), EventLine{T: 1795636770138, ID: ":test/echo", Data: `{:n 1, :s "héllo"}`,
		UID: `"probe-c"`, ClientID: `"probe-c"`, ReplyFn: true, Method: ":get", WS: true}.String())
}

func TestEventClientID(t *testing.T) {
	for line, want := range map[string]string{
		`{:t 1, :id :x/y, :?data nil, :uid "p", :client-id "probe-c", :reply-fn? false}`:     "probe-c",
		`{:t 1, :id :x/y, :?data {:client-id "no"}, :uid "p", :client-id "a\"b", :ws? true}`: `a"b`,
		`{:t 1, :id :x/y, :client-id nil}`:                                                   "nil",
		`no client`:                                                                          "",
	} {
		require.Equal(t, want, eventClientID(line), line)
	}
}

func TestAlignLines(t *testing.T) {
	type p = [2]string
	pairs := func(exp, act []string) []p {
		var out []p
		for _, lp := range alignLines(exp, act) {
			out = append(out, p{lp.exp, lp.act})
		}
		return out
	}
	require.Equal(t, []p{{"a", "a"}, {"b", "B"}, {"c", "c"}}, pairs([]string{"a", "b", "c"}, []string{"a", "B", "c"}))
	require.Equal(t, []p{{"a", "a"}, {"b", Absent}, {"c", "c"}}, pairs([]string{"a", "b", "c"}, []string{"a", "c"}))
	require.Equal(t, []p{{"a", "a"}, {Absent, "x"}}, pairs([]string{"a"}, []string{"a", "x"}))
	require.Equal(t, []p{{"a", "b"}, {"c", Absent}}, pairs([]string{"a", "c"}, []string{"b"}))
	require.Empty(t, pairs(nil, nil))
}
