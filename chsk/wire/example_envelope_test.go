package wire_test

import (
	"errors"
	"fmt"

	"github.com/gosente/gosente/chsk/wire"
)

// A server reads a client frame, checks the event, and packs the reply with
// the request's callback id.
func ExampleUnpack() {
	frames := []string{
		`+[[:my-app/save {:id 7}] "4f2a1b"]`, // a 1.17 client
		`[[:my-app/save {:id 8}] :ajax]`,     // a 1.21+ client over Ajax
		`[[:save 1] nil]`,                    // not a namespaced id
		`[[:my-app/save 1]`,                  // unreadable
	}
	for _, frame := range frames {
		env, err := wire.Unpack([]byte(frame), nil)
		var bad *wire.BadPackageError
		if errors.As(err, &bad) {
			fmt.Printf("bad package %q: %v\n", bad.Text, bad.Err != nil)
			continue
		}
		ev, err := wire.ParseEvent(env.Payload)
		if err != nil {
			fmt.Println("bad event:", err)
			continue
		}
		data, err := wire.Marshal(ev.Data)
		if err != nil {
			panic(err)
		}
		fmt.Println(ev.ID, string(data), "reply wanted:", env.HasCB())
		if env.CB == wire.AjaxCB {
			continue // an Ajax reply is the POST's response body, without cb
		}
		reply, err := wire.AppendEnvelope(nil, wire.Format121, wire.NewMap(wire.Keyword("ok"), true), env.CB)
		if err != nil {
			panic(err)
		}
		fmt.Println(string(reply))
	}
	// Output:
	// :my-app/save {:id 7} reply wanted: true
	// [{:ok true} "4f2a1b"]
	// :my-app/save {:id 8} reply wanted: true
	// bad event: wire: not a valid event
	// bad package "[[:my-app/save 1]": true
}

// A push batch is printed once per event and framed per connection.
func ExampleAppendBatch() {
	var evs []wire.Raw
	for i := 1; i <= 2; i++ {
		raw, err := wire.Marshal(wire.Event{ID: "my-app/tick", Data: i})
		if err != nil {
			panic(err)
		}
		evs = append(evs, raw)
	}
	fmt.Println(string(wire.AppendBatch(nil, wire.Format121, evs)))
	fmt.Println(string(wire.AppendBatch(nil, wire.Format117, evs)))
	// Output:
	// [[[:my-app/tick 1] [:my-app/tick 2]] nil]
	// +[[[:my-app/tick 1] [:my-app/tick 2]]]
}
