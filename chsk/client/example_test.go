package client_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gosente/gosente/chsk"
	"github.com/gosente/gosente/chsk/client"
	"github.com/gosente/gosente/chsk/wire"
)

// Dial a Sente server, make a request and receive the server's pushes. The
// server here is a gosente Server started by the example; a Clojure Sente
// server is dialed the same way (with ServerVersion: client.Server117 for a
// 1.17 one).
func ExampleDial() {
	// The server: :demo/echo replies with its data, :demo/subscribe makes the
	// server push three [:demo/tick n] events to the user.
	var srv *chsk.Server
	srv, err := chsk.New(&chsk.Options{
		UserID:    func(*http.Request, string) any { return "alice" }, // your session's user
		CSRFToken: func(*http.Request) string { return "demo-token" }, // your session's token
		Handler: chsk.HandlerFunc(func(m *chsk.Message) {
			switch m.ID() {
			case "demo/echo":
				_ = m.Reply(m.Data())
			case "demo/subscribe":
				for n := range 3 {
					_ = srv.Send(m.UID, wire.Event{ID: "demo/tick", Data: n})
				}
			}
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/chsk", srv)
	ts := httptest.NewServer(mux)
	defer ts.Close()
	defer srv.Shutdown(context.Background())

	// The client.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pushes := make(chan wire.Event, 16)
	c, err := client.Dial(ctx, ts.URL+"/chsk", &client.Options{
		CSRFToken: "demo-token", // or client.Bootstrap from the app's page
		OnEvent:   func(ev wire.Event) { pushes <- ev },
	})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	fmt.Println("connected as", c.State().UID, "over", c.State().Type)

	reqCtx, reqCancel := context.WithTimeout(ctx, 5*time.Second) // Sente's callback timeout
	defer reqCancel()
	reply, err := c.Request(reqCtx, wire.Event{ID: "demo/echo", Data: "hello"})
	if err != nil {
		log.Fatal(err) // errors.Is(err, client.ErrTimeout), client.ErrClosed…
	}
	fmt.Println("reply:", reply)

	if err := c.Send(ctx, wire.Event{ID: "demo/subscribe"}); err != nil {
		log.Fatal(err)
	}
	for range 3 {
		ev := <-pushes
		fmt.Println("push:", ev.ID, ev.Data)
	}
	// Output:
	// connected as alice over ws
	// reply: hello
	// push: :demo/tick 0
	// push: :demo/tick 1
	// push: :demo/tick 2
}
