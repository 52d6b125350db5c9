package chsk

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosente/gosente/chsk/wire"
)

// An id no event can carry is refused when it is registered, with a message
// a Clojure developer understands.
func TestRouterRefusesUnmatchableIDs(t *testing.T) {
	rt := NewRouter()
	require.PanicsWithValue(t, `chsk: Router.Handle(":my/echo"): write event ids without Clojure's leading colon: "my/echo"`,
		func() { rt.HandleFunc(":my/echo", func(*Message) {}) })
	for _, id := range []string{"echo", "my/", "/echo", ""} {
		require.Panics(t, func() { rt.HandleFunc(wire.Keyword(id), func(*Message) {}) }, id)
	}
	require.NotPanics(t, func() { rt.HandleFunc("my/echo", func(*Message) {}) })
	require.NotPanics(t, func() { rt.HandleFunc("chsk/uidport-open", func(*Message) {}) })
}
