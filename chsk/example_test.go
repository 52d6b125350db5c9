package chsk_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/wire"
)

// Mount a Server on an http.ServeMux at Sente's conventional path. The user id
// and CSRF token come from the application's own session middleware, here a
// stand-in that reads a header.
func Example() {
	router := chsk.NewRouter()
	srv, err := chsk.New(&chsk.Options{
		Handler:        router,
		AllowedOrigins: []string{chsk.SameOrigin},
		UserID: func(r *http.Request, clientID string) any {
			return r.Header.Get("X-Demo-User") // your session's user id
		},
		CSRFToken: func(r *http.Request) string {
			return "token-of-" + r.Header.Get("X-Demo-User") // your session's CSRF token
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())

	mux := http.NewServeMux()
	mux.Handle("/chsk", srv) // GET and POST
	ts := httptest.NewServer(mux)
	defer ts.Close()

	// What a Sente Ajax client sends first: a handshake GET.
	req, _ := http.NewRequest("GET", ts.URL+"/chsk?client-id=tab-1&handshake%3F=1", nil)
	req.Header.Set("X-Demo-User", "alice")
	req.Header.Set("X-CSRF-Token", "token-of-alice")
	req.Header.Set("Origin", ts.URL)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	fmt.Println(resp.StatusCode, readAll(resp))
	// Output: 200 [[:chsk/handshake ["alice" nil nil]] nil]
}

// A Router dispatches events by id; a handler replies to the client's
// callback with Reply and decodes event data into Go values with Decode.
func ExampleRouter() {
	type save struct {
		ID   int64  `edn:"id"`
		Note string `edn:"note"`
	}
	router := chsk.NewRouter()
	router.HandleFunc("my-app/save", func(m *chsk.Message) {
		var s save
		if err := m.Decode(&s); err != nil {
			_ = m.Reply(wire.NewMap(wire.Keyword("error"), err.Error()))
			return
		}
		_ = m.Reply(wire.NewMap(wire.Keyword("ok"), true, wire.Keyword("id"), s.ID))
	})
	srv, _ := chsk.New(&chsk.Options{
		Handler:   router,
		CSRFToken: func(*http.Request) string { return chsk.SkipCSRFCheck },
	})
	defer srv.Shutdown(context.Background())

	// An Ajax POST as a Sente 1.22 client sends it, with a callback.
	form := url.Values{"client-id": {"tab-1"}, "ppstr": {`[[:my-app/save {:id 7, :note "hi"}] :ajax]`}}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/chsk", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	srv.ServeHTTP(rec, req)
	fmt.Println(rec.Body.String())
	// Output: [{:ok true, :id 7} nil]
}

// Push an event to every client of a user. Pushes sent together are batched
// into one frame, in order.
func ExampleServer_Send() {
	srv, _ := chsk.New(&chsk.Options{
		CSRFToken: func(*http.Request) string { return chsk.SkipCSRFCheck },
		UserID:    func(*http.Request, string) any { return "alice" },
	})
	defer srv.Shutdown(context.Background())
	ts := httptest.NewServer(srv)
	defer ts.Close()

	// Alice's Ajax client: handshake, then a long-poll that waits for pushes.
	get := func(q string) string {
		resp, err := http.Get(ts.URL + "?client-id=tab-1" + q)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		return readAll(resp)
	}
	get("&handshake%3F=1")
	go func() {
		_ = srv.Send("alice", wire.Event{ID: "my-app/tick", Data: int64(1)})
		_ = srv.Send("alice", wire.Event{ID: "my-app/tick", Data: int64(2)})
	}()
	fmt.Println(get(""))
	// Output: [[[:my-app/tick 1] [:my-app/tick 2]] nil]
}

func readAll(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
