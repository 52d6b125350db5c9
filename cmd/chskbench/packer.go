package main

import (
	"fmt"

	"github.com/gosente/gosente/chsk/wire"
)

// packerNames lists the packers -packer takes.
const packerNames = "edn, transit, msgpack, gzip-edn or gzip-msgpack"

// packerByName returns Sente's packer of that name ("" is edn).
func packerByName(name string) (wire.Packer, error) {
	switch name {
	case "", "edn":
		return &wire.EDN{}, nil
	case "transit":
		return wire.Transit{}, nil
	case "msgpack":
		return wire.MsgPack{}, nil
	case "gzip-edn":
		return wire.Gzip{Packer: &wire.EDN{}}, nil
	case "gzip-msgpack":
		return wire.Gzip{Packer: wire.MsgPack{}}, nil
	}
	return nil, fmt.Errorf("unknown packer %q: %s", name, packerNames)
}
