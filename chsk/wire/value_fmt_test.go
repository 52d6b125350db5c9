package wire

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// The value types print as EDN with fmt, nested ones included.
func TestValuesPrintAsEDNWithFmt(t *testing.T) {
	uuid, err := ParseUUID("2b3c6f1e-0a4f-4d7e-9c3a-6c1f2d3e4f5a")
	require.NoError(t, err)
	set := &Set{}
	set.Add(Keyword("a"))
	set.Add(int64(2))
	var nilMap *Map
	for _, tc := range []struct {
		v    any
		want string
	}{
		{NewMap(Keyword("echo"), "hello"), `{:echo "hello"}`},
		{nilMap, `{}`},
		{NewMap(Keyword("m"), NewMap(Keyword("v"), Vector{Keyword("x"), "y"})), `{:m {:v [:x "y"]}}`},
		{set, `#{:a 2}`},
		{Vector{Keyword("a"), "b", nil, Char('c')}, `[:a "b" nil \c]`},
		{List{int64(1), int64(2)}, `(1 2)`},
		{Tagged{Tag: "my.app/point", Value: Vector{int64(1), int64(2)}}, `#my.app/point [1 2]`},
		{Char('\n'), `\newline`},
		{BigDecimal("1.50"), `1.50M`},
		{Raw(`[:pre "printed"]`), `[:pre "printed"]`},
		{Event{ID: "my-app/save", Data: NewMap(Keyword("id"), 1)}, `[:my-app/save {:id 1}]`},
		{Event{ID: "my-app/ping"}, `[:my-app/ping]`},
		{MapEntry{Key: Keyword("k"), Value: "v"}, `[:k "v"]`},
		{Keyword("kw"), `:kw`},
		{uuid, `2b3c6f1e-0a4f-4d7e-9c3a-6c1f2d3e4f5a`},
	} {
		require.Equal(t, tc.want, fmt.Sprint(tc.v), "%T", tc.v)
		require.Equal(t, tc.want, fmt.Sprintf("%s", tc.v), "%T", tc.v)
		require.Equal(t, fmt.Sprintf("%q", tc.want), fmt.Sprintf("%q", tc.v), "%T", tc.v)
	}
	// Inside Go values fmt prints itself, the EDN shows through.
	require.Equal(t, `[{:a 1} :b]`, fmt.Sprint([]any{NewMap(Keyword("a"), 1), Keyword("b")}))
	require.Equal(t, `{V:[:x]}`, fmt.Sprintf("%+v", struct{ V Vector }{Vector{Keyword("x")}}))
}

// A value the printer refuses still prints, with the printer's error.
func TestUnprintableValueWithFmt(t *testing.T) {
	s := fmt.Sprint(NewMap(Keyword("ch"), make(chan int)))
	require.Regexp(t, `^%!v\(".*chan int.*"\)$`, s)
	c := Vector{nil}
	c[0] = c // a cycle
	require.Contains(t, fmt.Sprint(c), "%!v(")
}

// A reply prints as EDN with fmt.
func ExampleMap_String() {
	reply := NewMap(Keyword("echo"), "hello", Keyword("n"), 1)
	fmt.Println(reply)
	fmt.Printf("got %v\n", Vector{Keyword("ok"), reply})
	// Output:
	// {:echo "hello", :n 1}
	// got [:ok {:echo "hello", :n 1}]
}
