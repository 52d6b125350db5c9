package chsk

import (
	"log/slog"

	"github.com/gosente/gosente/chsk/wire"
)

// batchFrame packs a push batch. Pushed events are printed once as EDN
// (wire.Raw) for every connection; the EDN packer copies them into the
// frame, any other packer encodes the values they hold.
func (h *hub) batchFrame(events []wire.Raw) []byte {
	if h.edn != nil {
		return wire.AppendBatch(nil, h.format, events)
	}
	evs := make(wire.Vector, len(events))
	for i, e := range events {
		evs[i] = e
	}
	frame, err := h.cfg.Packer.Pack(nil, evs, nil)
	if err != nil {
		h.log.Warn("chsk: push batch dropped: the packer cannot encode it", slog.Any("err", err))
		return nil
	}
	return frame
}
