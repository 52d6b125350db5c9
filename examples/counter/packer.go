package main

import (
	"fmt"

	"github.com/gosente/gosente/chsk/wire"
)

// newPacker returns the packer -packer and -gzip name: Sente's edn, transit
// (its :json Transit packer) or msgpack (1.21+), each optionally wrapped in
// Sente's gzip packer. A Sente client must be configured with the same one:
// Sente does not negotiate packers.
func newPacker(name string, gzip bool) (wire.Packer, error) {
	var p wire.Packer
	switch name {
	case "", "edn":
		p = &wire.EDN{}
	case "transit":
		p = wire.Transit{}
	case "msgpack":
		p = wire.MsgPack{}
	default:
		return nil, fmt.Errorf("counter: unknown packer %q (edn, transit or msgpack)", name)
	}
	if gzip {
		p = wire.Gzip{Packer: p}
	}
	return p, nil
}

// packerName names the app's packer as Sente's client options do
// (gzip-msgpack, transit…), or "" for plain EDN, which the page's own client
// speaks.
func (a *app) packerName() string {
	name := a.cfg.Packer
	if name == "" {
		name = "edn"
	}
	if a.cfg.Gzip {
		return "gzip-" + name
	}
	if name == "edn" {
		return ""
	}
	return name
}
