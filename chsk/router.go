package chsk

import (
	"fmt"
	"strings"
	"sync"

	"github.com/gosente/gosente/chsk/wire"
)

// Router dispatches events to handlers by event id, like Sente's
// start-server-chsk-router! with a multimethod on :id. Events without a
// handler go to the default handler, which by default ignores them.
// A Router is safe for concurrent use.
type Router struct {
	mu       sync.RWMutex // a leaf
	handlers map[wire.Keyword]Handler
	fallback Handler
}

// NewRouter returns an empty Router.
func NewRouter() *Router { return &Router{handlers: make(map[wire.Keyword]Handler)} }

// Handle registers h for events with the given id, e.g. "my-app/save". Like
// http.ServeMux with a bad pattern, it panics on an id no event can have: one
// written with Clojure's leading colon (":my-app/save"), or without a
// namespace (Sente clients refuse to send such events).
func (rt *Router) Handle(id wire.Keyword, h Handler) {
	if strings.HasPrefix(string(id), ":") {
		panic(fmt.Sprintf("chsk: Router.Handle(%q): write event ids without Clojure's leading colon: %q", string(id), strings.TrimPrefix(string(id), ":")))
	}
	if id.Namespace() == "" || id.Name() == "" {
		panic(fmt.Sprintf("chsk: Router.Handle(%q): an event id has a namespace and a name, as in \"my-app/save\"; no event can match this one", string(id)))
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.handlers == nil {
		rt.handlers = make(map[wire.Keyword]Handler)
	}
	rt.handlers[id] = h
}

// HandleFunc registers f for events with the given id.
func (rt *Router) HandleFunc(id wire.Keyword, f func(m *Message)) { rt.Handle(id, HandlerFunc(f)) }

// Default sets the handler for events no other handler takes.
func (rt *Router) Default(h Handler) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.fallback = h
}

// ServeEvent dispatches m. A handler's panic is not recovered here: the
// Server recovers and logs it, as net/http does for an http.Handler.
func (rt *Router) ServeEvent(m *Message) {
	rt.mu.RLock()
	h, ok := rt.handlers[m.Event.ID]
	if !ok {
		h = rt.fallback
	}
	rt.mu.RUnlock()
	if h == nil {
		return
	}
	h.ServeEvent(m) // a panic goes up to the Server, which logs it
}
