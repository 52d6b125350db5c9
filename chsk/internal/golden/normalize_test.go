package golden

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalizer(t *testing.T) {
	s := side{host: "127.0.0.1:9117", sess: session{Cookie: "ring-session=4d7b7725-316e", Token: "OoKn/Ckl+CAsX"}}
	n := newNormalizer(s)
	for in, want := range map[string]string{
		"ring-session=4d7b7725-316e;Path=/;HttpOnly":     "ring-session=<session>;Path=/;HttpOnly",
		"ring-session=8acf1484-3513;Path=/;HttpOnly":     "ring-session=<new-session>;Path=/;HttpOnly",
		`<div data-csrf-token="OoKn/Ckl+CAsX"></div>`:    `<div data-csrf-token="<csrf-token>"></div>`,
		`<div data-csrf-token="SomethingElse"></div>`:    `<div data-csrf-token="<other-token>"></div>`,
		"csrf-token=OoKn%2FCkl%2BCAsX&udt=1795636851772": "csrf-token=<csrf-token>&udt=<udt>",
		`{:t 1795636769575, :id :x, :uid "u"}`:           `{:t <t>, :id :x, :uid "u"}`,
		`{"host" "127.0.0.1:9117", :server-port 9117}`:   `{"host" "<host>", :server-port 9117}`,
		"Referer: http://localhost:9117/some/page":       "Referer: http://localhost:<port>/some/page",
		"plain text stays":                               "plain text stays",
	} {
		require.Equal(t, want, n.apply(in), in)
	}
	// Short secrets are only normalized where their syntax shows them.
	short := newNormalizer(side{sess: session{Cookie: "ring-session=1", Token: "t"}})
	require.Equal(t, "1 t ring-session=<session>", short.apply("1 t ring-session=<session>"))
	require.Equal(t, "1 t ring-session=<new-session>", short.apply("1 t ring-session=1"))
}

func TestRewriter(t *testing.T) {
	rec := side{host: "127.0.0.1:9117", sess: session{Cookie: "ring-session=aaaa", Token: "Rec/Tok+en"}}
	live := side{host: "127.0.0.1:40000", sess: session{Cookie: "ring-session=bbbb", Token: "Live+Tok/en"}}
	rw := newRewriter(rec, live)
	require.Equal(t, "/chsk?client-id=p&csrf-token=Live%2BTok%2Fen",
		rw.url.Replace("/chsk?client-id=p&csrf-token=Rec%2FTok%2Ben"))
	require.Equal(t, "Live+Tok/en", rw.header.Replace("Rec/Tok+en"))
	require.Equal(t, "ring-session=bbbb", rw.header.Replace("ring-session=aaaa"))
	require.Equal(t, "127.0.0.1:40000", rw.header.Replace("127.0.0.1:9117"))
	require.Equal(t, "http://localhost:40000/", rw.header.Replace("http://localhost:9117/"))
	require.Equal(t, "http://evil.example", rw.header.Replace("http://evil.example"))

	// A recorded token that needed no escaping still gets an escaped live token in URLs.
	rec.sess.Token = "RecToken"
	rw = newRewriter(rec, live)
	require.Equal(t, "csrf-token=Live%2BTok%2Fen", rw.url.Replace("csrf-token=RecToken"))
	require.Equal(t, "Live+Tok/en", rw.header.Replace("RecToken"))
}

func TestSessionExtraction(t *testing.T) {
	require.Equal(t, "ring-session=abc", sessionCookieFrom([]Header{{"Content-Type", "x"}, {"set-cookie", "ring-session=abc;Path=/;HttpOnly"}}))
	require.Empty(t, sessionCookieFrom([]Header{{"Set-Cookie", "other=1"}}))
	require.Equal(t, "T0k", sessionTokenFromPage(`<div id="sente-csrf-token" data-csrf-token="T0k"></div>`))
	require.Empty(t, sessionTokenFromPage("no token"))
}
