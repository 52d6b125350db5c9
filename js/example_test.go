package js_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/gosente/gosente/js"
)

// Serving the client under /sente/ beside an app's own routes; a page then
// imports /sente/sente.js.
func ExampleHandler() {
	mux := http.NewServeMux()
	mux.Handle("GET /sente/", http.StripPrefix("/sente/", js.Handler()))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/sente/sente.js")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	fmt.Println(res.StatusCode, res.Header.Get("Content-Type"), len(body) > 0)
	// Output: 200 text/javascript; charset=utf-8 true
}
