// Package client is a Go client of Sente's channel socket: it connects to a
// Sente server (a gosente chsk.Server or a Clojure one, 1.17 and 1.21+)
// over WebSocket with Ajax long-polling fallback, keeps the connection
// alive, reconnects with back-off, and sends events with or without a reply
// (Request), as Sente's ClojureScript client does.
//
//	c, err := client.Dial(ctx, "http://localhost:8080/chsk", &client.Options{
//		CSRFToken: token, // Bootstrap reads it from a page, as a browser does
//		OnEvent:   func(ev wire.Event) { log.Println("push", ev.ID, ev.Data) },
//	})
//	reply, err := c.Request(ctx, wire.Event{ID: "my-app/echo", Data: "hi"})
//
// With Options.TokenSource (PageToken) the client gets a fresh token and
// session by itself when the server refuses its token, such as after a
// restart that lost the sessions. Every packer of Sente works (Options.Packer:
// EDN, Transit, MessagePack, gzip), binary ones with binary WebSocket frames
// and Ajax bodies.
//
// Errors start with "client:" once per chain and never contain the CSRF
// token. The package imports nothing of the server: a program that only
// connects does not build the server in.
package client
