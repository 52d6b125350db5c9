package main

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"

	"github.com/gosente/gosente/chsk/wire"
)

//go:embed page.html
var pageHTML string

var pageTmpl = template.Must(template.New("page").Parse(pageHTML))

// appState is the state the page mounts with; wire prints it as the EDN map
// {:name "Clojure", :count 10}, which the page's script reads back.
type appState struct {
	Name  string `edn:"name"`
	Count int64  `edn:"count"`
}

// pageData fills page.html.
type pageData struct {
	Title     string
	Name      string
	Count     int64
	CSRFToken string // the session's token, read by the Sente client from #sente-csrf-token
	State     string // base64 of the EDN of appState, as the tutorial encodes it
	Nonce     string // the Content-Security-Policy nonce of the inline style
	Packer    string // the server's packer when it is not EDN, which this page's client cannot speak
}

// encodeState prints st as EDN and base64-encodes it for the data-state attribute.
func encodeState(st appState) (string, error) {
	edn, err := wire.Marshal(st)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(edn), nil
}

// renderPage writes the page. It carries the session's CSRF token, so no
// cache may keep it, and its Content-Security-Policy allows only this
// origin's scripts and connections (WebSocket included) and the one inline
// style that carries the nonce.
func renderPage(w http.ResponseWriter, d pageData) error {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, d); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; "+
		"style-src 'nonce-"+d.Nonce+"'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	_, err := buf.WriteTo(w)
	return err
}
