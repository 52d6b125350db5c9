package wire_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/gosente/gosente/chsk/wire"
)

// Build an event from the value model and print it.
func ExampleMarshal() {
	data := wire.NewMap(
		wire.Keyword("msg"), "hello",
		wire.Keyword("room"), 12,
		wire.Keyword("tags"), wire.NewSet(wire.Keyword("urgent")),
		wire.Keyword("at"), time.UnixMilli(1700000000123),
	)
	b, err := wire.Marshal(wire.Event{ID: "app/chat", Data: data})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// [:app/chat {:msg "hello", :room 12, :tags #{:urgent}, :at #inst "2023-11-14T22:13:20.123-00:00"}]
}

// Go structs print as maps with keyword keys, named by the edn tag or the
// field name in kebab-case.
func ExampleMarshal_struct() {
	type Chat struct {
		Msg    string
		RoomID int
		Ts     int64  `edn:"ts"`
		Note   string `edn:",omitempty"`
	}
	b, err := wire.Marshal(wire.Event{ID: "app/chat", Data: Chat{Msg: "hello", RoomID: 12, Ts: 1700000000000}})
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// [:app/chat {:msg "hello", :room-id 12, :ts 1700000000000}]
}

// Append prints into a buffer the caller reuses; values that would not read
// back are refused.
func ExampleAppend() {
	buf := make([]byte, 0, 256)
	buf, err := wire.Append(buf, wire.Vector{1.0, 1e7, wire.Char('a'), wire.Symbol("my.ns/f")})
	fmt.Println(string(buf), err)

	_, err = wire.Append(buf[:0], wire.Keyword("has space"))
	var ue *wire.UnsupportedValueError
	fmt.Println(errors.As(err, &ue), err)
	// Output:
	// [1.0 1.0E7 \a my.ns/f] <nil>
	// true edn: cannot print wire.Keyword: keyword :"has space" cannot contain ' '
}

// Read EDN text straight into a struct.
func ExampleUnmarshal() {
	type User struct {
		ID    int64 `edn:"id"`
		Name  string
		Roles []wire.Keyword
		Email *string
	}
	var u User
	err := wire.Unmarshal([]byte(`{:id 7, :name "Ann", :roles [:admin :dev], :extra "ignored"}`), &u)
	fmt.Printf("%+v %v\n", u, err)
	// Output:
	// {ID:7 Name:Ann Roles:[:admin :dev] Email:<nil>} <nil>
}

// A handler receives an event as read from the wire and decodes its data
// into the struct it expects.
func ExampleDecode() {
	v, err := wire.Read([]byte(`[:app/chat {:msg "hello" :room 12 :ts 1700000000000}]`), nil)
	if err != nil {
		panic(err)
	}
	var ev wire.Event
	if err := wire.Decode(v, &ev); err != nil {
		panic(err)
	}
	var chat struct {
		Msg  string
		Room int
		TS   int64 `edn:"ts"`
	}
	if err := wire.Decode(ev.Data, &chat); err != nil {
		panic(err)
	}
	fmt.Printf("%s %+v\n", ev.ID, chat)

	var wrong struct{ Room string }
	err = wire.Decode(ev.Data, &wrong)
	fmt.Println(err)
	// Output:
	// :app/chat {Msg:hello Room:12 TS:1700000000000}
	// edn: cannot decode integer into string at .room
}
