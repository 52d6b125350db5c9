package golden

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadTranscripts(t *testing.T) {
	for _, tc := range []struct {
		path, label string
		records     int
		hosts       []string
		origin      string
	}{
		{transcripts[0], "sente-1.17.0", 238, []string{"127.0.0.1:9117", "127.0.0.1:9217"}, "http://localhost:9217"},
		{transcripts[1], "sente-1.22.0-RC1", 257, []string{"127.0.0.1:9122", "127.0.0.1:9222"}, "http://localhost:9222"},
	} {
		t.Run(tc.label, func(t *testing.T) {
			tr := loadT(t, tc.path)
			require.Equal(t, tc.label, tr.Label)
			require.Len(t, tr.Records, tc.records)
			var ids []string
			for _, sc := range tr.Scenarios() {
				ids = append(ids, sc.ID)
				require.Same(t, tr, sc.Transcript())
				require.Same(t, sc, tr.Scenario(sc.ID))
			}
			require.Equal(t, []string{"a", "b", "c", "d", "e", "a#2", "origin"}, ids)
			in := tr.Instances()
			require.Len(t, in, 2)
			require.Equal(t, tc.hosts, []string{in[0].Host, in[1].Host})
			require.Equal(t, []string{"a", "b", "c", "d", "e"}, in[0].Scenarios)
			require.Equal(t, []string{"a#2", "origin"}, in[1].Scenarios)
			require.Empty(t, in[0].AllowedOrigin)
			require.Equal(t, tc.origin, in[1].AllowedOrigin)
			require.Equal(t, 1, tr.Scenario("origin").Instance)
			require.Nil(t, tr.Scenario("zz"))

			require.Equal(t, []string{"probe-b", "probe-b-hdr"}, tr.Scenario("b").clientIDs())
			require.Equal(t, []string{"probe-c", "probe-c-idle", "probe-c-pong"}, tr.Scenario("c").clientIDs())
			require.Equal(t, []string{"probe-d"}, tr.Scenario("d").clientIDs())
			require.Equal(t, []string{"", "x"}, tr.Scenario("e").clientIDs())
			require.Equal(t, []string{"probe-o", "probe-o-ajax"}, tr.Scenario("origin").clientIDs())

			sess := recordedSession(tr, 0)
			require.True(t, strings.HasPrefix(sess.Cookie, "ring-session="))
			require.Len(t, sess.Token, 80)
			require.NotEqual(t, sess, recordedSession(tr, 1))
		})
	}
}

func TestParseErrors(t *testing.T) {
	ok := `{"seq":1,"label":"x","scenario":"a","step":"s","t_ms":0,"kind":"note","text":"hi"}`
	for name, in := range map[string]string{
		"empty":        "",
		"not json":     "{",
		"unknown kind": `{"seq":1,"label":"x","scenario":"a","step":"s","kind":"telepathy"}`,
		"no scenario":  `{"seq":1,"label":"x","step":"s","kind":"note"}`,
		"http no resp": `{"seq":1,"label":"x","scenario":"a","step":"s","kind":"http","request":{"method":"GET","target":"/","headers":[]}}`,
		"bad header":   `{"seq":1,"label":"x","scenario":"a","step":"s","kind":"http","request":{"method":"GET","target":"/","headers":[["a"]]},"response":{}}`,
		"frame no dir": `{"seq":1,"label":"x","scenario":"a","step":"s","kind":"ws-frame","conn":"c","type":"text"}`,
		"frame type":   `{"seq":1,"label":"x","scenario":"a","step":"s","kind":"ws-frame","conn":"c","dir":"s2c","type":"smoke"}`,
		"frame b64":    `{"seq":1,"label":"x","scenario":"a","step":"s","kind":"ws-frame","conn":"c","dir":"s2c","type":"binary","payload_b64":"!!"}`,
		"eof no conn":  `{"seq":1,"label":"x","scenario":"a","step":"s","kind":"ws-eof"}`,
		"two labels":   ok + "\n" + strings.Replace(strings.Replace(ok, `"x"`, `"y"`, 1), `"seq":1`, `"seq":2`, 1),
		"seq order":    ok + "\n" + ok,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(in))
			var pe *ParseError
			require.True(t, errors.As(err, &pe), "%v", err)
		})
	}
	tr, err := Parse(strings.NewReader(ok + "\n\n"))
	require.NoError(t, err)
	require.Len(t, tr.Records, 1)
	_, err = Load("testdata/missing.jsonl")
	require.Error(t, err)
}
