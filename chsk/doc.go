// Package chsk is a Sente channel-socket server for net/http: the Go side of
// a ClojureScript app that uses Sente (make-channel-socket-client!), or of any
// client that speaks Sente's protocol.
//
// Mount a Server on one path for GET and POST. It upgrades WebSockets, serves
// Ajax long-polling to clients that cannot use them, checks the CSRF token and
// the origin of every request, and delivers each client event to a Handler,
// usually a Router:
//
//	router := chsk.NewRouter()
//	router.HandleFunc("my-app/save", func(m *chsk.Message) {
//		m.Reply(wire.NewMap(wire.Keyword("ok"), true))
//	})
//	srv, _ := chsk.New(&chsk.Options{
//		Handler:   router,
//		UserID:    func(r *http.Request, clientID string) any { return userOf(r) },
//		CSRFToken: func(r *http.Request) string { return tokenOf(r) },
//	})
//	mux.Handle("/chsk", srv)
//
// Server pushes go to users (Send), one client of a user (SendClient) or
// everybody (Broadcast); each client receives them in order, batched like
// Sente does.
//
// The Go client, which connects to any Sente server (gosente or Clojure),
// is package github.com/gosente/gosente/chsk/client.
//
// # Resources
//
// An idle WebSocket costs about 4 KiB and no goroutine where it can park
// (Linux, a plain TCP connection; see Options.ParkAfter): it waits in the
// server's epoll set from its handshake on, and again after ParkAfter
// without a message; its reader runs while messages come. Every queue and
// message has a limit with a safe default (Options.MaxQueue, MaxMessageBytes,
// MessageTimeout, ReadLimits, WriteTimeout); Shutdown writes what is queued,
// then drops the connections, so that clients reconnect elsewhere.
//
// # Compatibility
//
// The server writes the unprefixed envelope every Sente client from 1.17 to
// 1.22 reads, reads every envelope any of them writes, answers 1.18+ client
// pings with "pong", and never times out a 1.17 client that cannot answer
// server pings. Options mirror Sente's server options and default to its
// values; where gosente deliberately differs (per-client FIFO delivery,
// pushes that wait for a reconnecting client, bounded queues) the field
// documentation says so.
//
// # Inside the package
//
// For maintainers. Files name identifiers of their own or of files below
// them, never above (TestFilesReferOneWay checks it with go/types), from the
// bottom: the API's plain types (message, router, broker, security, options);
// what every client shares (stats: the counters; life: the lifecycle
// Shutdown waits for; writers: the pool that drains clients; flush:
// batching windows; queue: one client's send queue; hub: options, logger,
// counters and fixed frames; checks); clients and where they live (request:
// what is kept of a connection's request; tab: one client's state;
// registry: uids to tabs; park: the idle-socket poller); the
// Server and its entry points (server, websocket, ajax, push, serve).
//
// Each mutex is locked in the one file that declares it, and the lock order
// is written at its declaration; in short: Server.pubMu → registry.mu →
// tab.mu → the adapter's connection locks, and parker.mu → lifecycle.mu;
// every other lock is a leaf. A method named xLocked is called with its
// receiver's lock held and returns with it still held; one named xUnlock is
// called with it held and releases it. Application code that runs on the
// server's goroutines (the Handler, OnUIDChange) is wrapped in one
// panic-recovery path, hub.recoverPanic, which logs through Options.Logger.
package chsk
