package golden

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCanonicalEnvelope(t *testing.T) {
	for in, want := range map[string]string{
		`+[[:chsk/handshake ["probe-b" nil]]]`:             `[[:chsk/handshake ["probe-b" nil nil]] nil]`,
		`[[:chsk/handshake ["probe-b" nil nil]] nil]`:      `[[:chsk/handshake ["probe-b" nil nil]] nil]`,
		`+[[:chsk/handshake ["u" nil {:a 1}]]]`:            `[[:chsk/handshake ["u" nil {:a 1}]] nil]`,
		`+[{:n 1, :s "héllo"} "cbv1aa"]`:                   `[{:n 1, :s "héllo"} "cbv1aa"]`,
		`+[:chsk/timeout]`:                                 `[:chsk/timeout nil]`,
		`+[:chsk/ws-ping]`:                                 `[:chsk/ws-ping nil]`,
		`[:chsk/ws-ping]`:                                  `[:chsk/ws-ping nil]`,
		`+[[[:test/pushed {:n 6}] [:test/pushed {:n 6}]]]`: `[[[:test/pushed {:n 6}] [:test/pushed {:n 6}]] nil]`,
		`+[9 12345]`:                                       `[9 12345]`,
		`+[[:x] "cb" extra]`:                               `[[:x] "cb"]`,
		`-[:test/echo {:n 5}]`:                             `[[:test/echo {:n 5}] nil]`,
		`+["a]\"b" "cb"]`:                                  `["a]\"b" "cb"]`,
		`+[[\] \a] ;c]` + "\n" + `#{1} #_x #inst "2020"]`:  `[[\] \a] #{1}]`,
		// Not envelopes: unchanged.
		`Bad CSRF token`: `Bad CSRF token`,
		`[unclosed`:      `[unclosed`,
		`+[unclosed`:     `+[unclosed`,
		`[1 2 3]`:        `[1 2 3]`,
		`[]`:             `[]`,
		`[1] [2]`:        `[1] [2]`,
		`-`:              `-`,
		`"pong"`:         `"pong"`,
		``:               ``,
	} {
		require.Equal(t, want, CanonicalEnvelope(in), "in: %s", in)
	}
}

// TestCanonicalEnvelopeMapsRealOutputs: translating what Sente 1.17 wrote
// gives byte for byte what Sente 1.22 wrote, wherever both recorded the same
// exchange and behaved alike.
func TestCanonicalEnvelopeMapsRealOutputs(t *testing.T) {
	old, cur := loadT(t, transcripts[0]), loadT(t, transcripts[1])
	type key struct {
		scenario, step, conn string
		n                    int
	}
	index := func(tr *Transcript) map[key]string {
		m := map[key]string{}
		count := map[key]int{}
		for _, r := range tr.Records {
			var k key
			switch {
			case r.Kind == KindWSFrame && r.Dir == "s2c" && r.Type == "text":
				k = key{r.Scenario, r.Step, r.Conn, 0}
			case r.Kind == KindHTTP && r.Response.Status == 200 && r.Request.Target != "/":
				k = key{r.Scenario, r.Step, "http", 0}
			default:
				continue
			}
			k.n = count[k]
			count[key{k.scenario, k.step, k.conn, 0}]++
			if r.Kind == KindHTTP {
				m[k] = *r.Response.Body
			} else {
				m[k] = *r.Payload
			}
		}
		return m
	}
	a, b := index(old), index(cur)
	// Where the two versions behave differently, not just write differently.
	differ := map[string]bool{
		"c/kalive-idle":           true, // 1.17 pings every 3 s; 1.22 pings once, then closes
		"c/kalive-pong":           true, // 1.22's second ping comes 11.5 s later
		"d/poll-open-during-push": true, // 1.17 had expired the client: handshake instead of the push
	}
	compared := 0
	for k, v := range a {
		w, ok := b[k]
		if !ok || differ[k.scenario+"/"+k.step] {
			continue
		}
		compared++
		require.Equal(t, w, CanonicalEnvelope(v), "%v", k)
	}
	require.Greater(t, compared, 25)
}

func TestSplitForms(t *testing.T) {
	forms, ok := splitForms(` :a, "b c" [1 [2]] {:x #{3}} \space ; comment` + "\n" + `#tag {:y 1} x`)
	require.True(t, ok)
	require.Equal(t, []string{":a", `"b c"`, "[1 [2]]", "{:x #{3}}", `\space`, "#tag {:y 1}", "x"}, forms)
	for _, bad := range []string{`[`, `"open`, `]`, `#`, `#_`, `\`, `(1 2`} {
		_, ok := splitForms(bad)
		require.False(t, ok, bad)
	}
}
