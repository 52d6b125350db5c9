package chsk

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gosente/gosente/chsk/adapter"
	"github.com/gosente/gosente/chsk/wire"
)

// hub is what every client of a server shares: the options, the logger,
// the lifecycle, the batching windows, the packer's fixed frames and the
// counters. Clients (tab) and the registry hold a *hub, never the Server, so
// that the per-client machinery sits below the Server in the package.
type hub struct {
	cfg     config
	log     *slog.Logger
	life    lifecycle
	flushes flusher

	format      wire.Format
	edn         *wire.EDN // the packer, when it is EDN: frames then go through wire.ServerEvent
	contentType string

	// Frames that never change, packed once.
	timeoutFrame, dummyFrame []byte

	stats counters
}

// init sets h up for cfg.
func (h *hub) init(cfg config) error {
	h.cfg, h.log, h.contentType = cfg, cfg.Logger, "text/html; charset=utf-8"
	h.life.init()
	h.flushes.init(&h.life)
	switch p := cfg.Packer.(type) {
	case *wire.EDN:
		h.edn = p
	case wire.EDN:
		h.edn = &p
	}
	if h.edn != nil {
		h.format = h.edn.Format
	}
	if cfg.Packer.Binary() {
		h.contentType = "application/octet-stream"
	}
	var err error
	if h.timeoutFrame, err = cfg.Packer.Pack(nil, wire.KwTimeout, nil); err != nil {
		return fmt.Errorf("chsk: packer: %w", err)
	}
	if h.dummyFrame, err = cfg.Packer.Pack(nil, wire.KwDummyCB200, nil); err != nil {
		return fmt.Errorf("chsk: packer: %w", err)
	}
	return nil
}

// write sends one frame to a client's connection within WriteTimeout. A
// socket applies the timeout itself (no context per write); a poll gets a
// context. A write past the timeout reports context.DeadlineExceeded.
func (h *hub) write(conn adapter.Conn, frame []byte) error {
	if conn.Transport() == adapter.WebSocket {
		err := conn.Send(context.Background(), frame)
		if err == nil {
			h.stats.bytesOut[0].Add(uint64(len(frame)))
		}
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.WriteTimeout)
	defer cancel()
	err := conn.Send(ctx, frame)
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("chsk: write: %w", context.DeadlineExceeded)
	}
	if err == nil {
		h.stats.bytesOut[1].Add(uint64(len(frame)))
	}
	return err
}

// answer sends a frame to a parked poll unless it was answered meanwhile.
func (h *hub) answer(poll *adapter.Poll, frame []byte) {
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.WriteTimeout)
	defer cancel()
	if poll.Send(ctx, frame) == nil {
		h.stats.bytesOut[1].Add(uint64(len(frame)))
	}
}

// deliver hands m to the Handler.
func (h *hub) deliver(m *Message) {
	start := time.Now()
	defer h.handled(start)
	defer h.recoverPanic("event handler", m.Event.ID)
	h.cfg.Handler.ServeEvent(m)
}

// handled counts a Handler call that began at start.
func (h *hub) handled(start time.Time) {
	h.stats.handlerCalls.Add(1)
	h.stats.handlerNano.Add(uint64(time.Since(start)))
}

// recoverPanic is the server's one panic-recovery path, deferred around
// every call of application code on the server's own goroutines (the
// Handler, OnUIDChange): the panic is logged with the goroutine's stack and
// the goroutine goes on, so that one bad call cannot take a connection or
// the process down.
func (h *hub) recoverPanic(what string, id wire.Keyword) {
	if v := recover(); v != nil {
		attrs := []any{slog.Any("panic", v), slog.String("stack", string(debug.Stack()))}
		if id != "" {
			attrs = append([]any{slog.String("id", string(id))}, attrs...)
		}
		h.log.Error("chsk: "+what+" panicked", attrs...)
	}
}

// uidChanged tells Options.Presence and Options.OnUIDChange.
func (h *hub) uidChanged(ch UIDChange) {
	if p := h.cfg.Presence; p != nil {
		ctx, cancel := context.WithTimeout(context.Background(), h.cfg.WriteTimeout)
		if err := p.Update(ctx, h.cfg.NodeID, ch); err != nil {
			h.stats.brokerErrors.Add(1)
			h.log.Warn("chsk: presence update failed", slog.Any("err", err))
		}
		cancel()
	}
	if h.cfg.OnUIDChange != nil {
		defer h.recoverPanic("OnUIDChange", "")
		h.cfg.OnUIDChange(ch)
	}
}

// uidFor computes the uid of r, mapping nil to the nil-uid keyword.
func (h *hub) uidFor(r *http.Request, cid string) any {
	if uid := h.cfg.UserID(r, cid); uid != nil {
		return uid
	}
	return h.cfg.NilUID
}

// handshakeFrame packs the handshake for a client of uid.
func (h *hub) handshakeFrame(r *http.Request, uid any) ([]byte, error) {
	var data any
	if h.cfg.HandshakeData != nil {
		data = h.cfg.HandshakeData(r)
	}
	return h.cfg.Packer.Pack(nil, wire.Handshake{UID: uid, Data: data}.Event(true), nil)
}

// unpackEvent reads a client frame into the event a handler sees, following
// Options.BadPackage for frames it cannot read.
func (h *hub) unpackEvent(cid string, data []byte) (wire.Event, any, bool) {
	var (
		ev  wire.Event
		cb  any
		ok  bool
		err error
	)
	if h.edn != nil {
		ev, cb, ok, err = wire.ServerEvent(data, h.cfg.BadPackage, &h.edn.Limits)
	} else {
		var env wire.Envelope
		if env, err = h.cfg.Packer.Unpack(data); err == nil {
			ev, cb, ok = wire.AsEvent(env.Payload), env.CB, true
		} else if h.cfg.BadPackage != wire.BadPackageDrop {
			ev, ok = wire.BadPackage(""), true
		}
	}
	if err != nil {
		h.log.Debug("chsk: unreadable frame", slog.String("client-id", cid), slog.Any("err", err))
	}
	return ev, cb, ok
}
