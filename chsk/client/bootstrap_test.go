package client

import (
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

func TestCSRFTokenFromHTML(t *testing.T) {
	for _, tc := range []struct {
		name, page, want string
		err              error
	}{
		{"reference app", `<!DOCTYPE html><html><body><div id="sente-csrf-token" data-csrf-token="Ab+/cd=="></div></body></html>`, "Ab+/cd==", nil},
		{"attribute order, single quotes", `<DIV data-csrf-token='t0k' class=x ID='sente-csrf-token'/>`, "t0k", nil},
		{"unquoted, entities", `<div id=sente-csrf-token data-csrf-token=a&amp;b>`, "a&b", nil},
		{"spaces around =", `<div id = "sente-csrf-token" data-csrf-token = "s p">`, "s p", nil},
		{"other elements first", `<div id="other" data-csrf-token="no"><p>x < y</p><div id="sente-csrf-token" data-csrf-token="yes">`, "yes", nil},
		{"empty token", `<div id="sente-csrf-token" data-csrf-token="">`, "", nil},
		{"commented out", `<!-- <div id="sente-csrf-token" data-csrf-token="old"> --><div id="sente-csrf-token" data-csrf-token="new">`, "new", nil},
		{"no attribute", `<div id="sente-csrf-token"></div>`, "", ErrNoCSRFToken},
		{"no element", `<html><body>hello</body></html>`, "", ErrNoCSRFToken},
		{"unterminated", `<div id="sente-csrf-token" data-csrf-token="abc`, "", ErrNoCSRFToken},
		{"unterminated comment", `<!-- <div id="sente-csrf-token" data-csrf-token="abc">`, "", ErrNoCSRFToken},
		{"empty", ``, "", ErrNoCSRFToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := csrfTokenFromHTML(tc.page)
			require.ErrorIs(t, err, tc.err)
			require.Equal(t, tc.want, got)
		})
	}
}

// A client bootstrapped like a browser: load the page with a cookie jar,
// read the token, connect with both. No cookie or token is handled by hand.
func TestBootstrap(t *testing.T) {
	a := newRefApp(t, refOptions())
	for _, typ := range []struct {
		name string
		typ  Transport
	}{{"ws", TransportWS}, {"ajax", TransportAjax}} {
		t.Run(typ.name, func(t *testing.T) {
			jar, err := cookiejar.New(nil)
			require.NoError(t, err)
			tr := http.DefaultTransport.(*http.Transport).Clone()
			t.Cleanup(tr.CloseIdleConnections)
			hc := &http.Client{Jar: jar, Transport: tr}
			token, err := Bootstrap(t.Context(), a.hs.URL+"/", hc)
			require.NoError(t, err)
			require.Len(t, token, 80)

			o := testClientOptions(typ.typ)
			o.CSRFToken, o.HTTPClient = token, hc
			c := dialTest(t, a.hs.URL+"/chsk", o)
			reply, err := c.Request(t.Context(), wire.Event{ID: "test/echo", Data: "bootstrapped"})
			require.NoError(t, err)
			require.Equal(t, "bootstrapped", reply)
		})
	}
	t.Run("errors", func(t *testing.T) {
		_, err := Bootstrap(t.Context(), a.hs.URL+"/", http.DefaultClient)
		require.Error(t, err, "no jar")
		jar, _ := cookiejar.New(nil)
		hc := &http.Client{Jar: jar, Transport: a.hs.Client().Transport}
		_, err = Bootstrap(t.Context(), a.hs.URL+"/missing", hc)
		var se *StatusError
		require.ErrorAs(t, err, &se)
		require.Equal(t, http.StatusNotFound, se.Status)
		plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<html><body>no token here</body></html>"))
		}))
		defer plain.Close()
		_, err = Bootstrap(t.Context(), plain.URL, &http.Client{Jar: jar, Transport: plain.Client().Transport})
		require.ErrorIs(t, err, ErrNoCSRFToken)
	})
}
