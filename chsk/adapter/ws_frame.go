package adapter

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
	"unicode/utf8"
)

// Frame opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

const (
	maxHeader  = 14  // 2 + 8 bytes of length + 4 of mask
	maxControl = 125 // largest control-frame payload
	smallRead  = 256 // the read buffer of a connection that reads
)

// readBuf buffers reads from the connection. Its array is small and comes
// from a pool while the connection reads; an idle connection gives it back
// (release), so it keeps none. Payloads too large for it are read straight
// into their own slice.
type readBuf struct {
	small *[smallRead]byte // nil until the connection reads, and once it idles
	buf   []byte           // small[:], or bytes that came with the upgrade request
	r, w  int              // buf[r:w] is unread
}

// smallBufs holds the arrays of connections that do not read.
var smallBufs = sync.Pool{New: func() any { return new([smallRead]byte) }}

// array returns the buffer's array, taken from the pool if need be.
func (b *readBuf) array() []byte {
	if b.small == nil {
		b.small = smallBufs.Get().(*[smallRead]byte)
	}
	return b.small[:]
}

// release gives the array back to the pool. Nothing is buffered: the reader
// is idle, or the connection ended.
func (b *readBuf) release() {
	b.buf, b.r, b.w = nil, 0, 0
	if b.small != nil {
		smallBufs.Put(b.small)
		b.small = nil
	}
}

// buffered reports whether bytes wait in the buffer.
func (b *readBuf) buffered() bool { return b.r < b.w }

// preload queues bytes that arrived before the connection was taken over.
func (b *readBuf) preload(p []byte) {
	if len(p) <= smallRead {
		b.buf = b.array()
	} else {
		b.buf = make([]byte, len(p))
	}
	b.r, b.w = 0, copy(b.buf, p)
}

// readFull fills p from the buffer and then from src.
func (b *readBuf) readFull(src io.Reader, p []byte) error {
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	p = p[n:]
	if len(p) == 0 {
		return nil
	}
	if len(p) >= smallRead {
		_, err := io.ReadFull(src, p)
		return err
	}
	b.buf = b.array()
	m, err := io.ReadAtLeast(src, b.buf, len(p))
	b.r, b.w = copy(p, b.buf[:m]), m
	return err
}

// readSome reads at least one byte into p, from the buffer or else from
// src; small reads go through the buffer, so the next header often comes
// with them.
func (b *readBuf) readSome(src io.Reader, p []byte) (int, error) {
	if b.r < b.w {
		n := copy(p, b.buf[b.r:b.w])
		b.r += n
		return n, nil
	}
	if len(p) >= smallRead {
		return src.Read(p)
	}
	b.buf = b.array()
	m, err := src.Read(b.buf)
	n := copy(p, b.buf[:m])
	b.r, b.w = n, m
	return n, err
}

// readMessage reads frames until a whole data message is in, answering
// control frames on the way. Protocol errors are answered with a close
// frame; every error ends the connection.
func (ws *WS) readMessage() (msg []byte, isBinary bool, err error) {
	var (
		hdr [maxHeader]byte
		op  byte // the message's opcode; 0 while none has begun
		// checked is how much of a text message is known to be valid
		// UTF-8; the bytes after it are at most an incomplete code point.
		checked int
		conn    = ws.conn
	)
	for {
		// Read deadlines, two updates per message: waiting for a message
		// is bounded by parkAfter (parking) or not at all; once its first
		// bytes are in, the rest is bounded by messageTimeout.
		if op == 0 {
			if ws.timed {
				ws.endMessage() // a control frame was read in time
			}
			if ws.rd.buffered() {
				ws.beginMessage() // its first bytes are buffered
			} else if ws.parkAfter > 0 {
				if err := ws.awaitMessage(); err != nil {
					return nil, false, err
				}
			}
		}
		if err := ws.rd.readFull(conn, hdr[:2]); err != nil {
			return nil, false, err
		}
		if op == 0 {
			ws.beginMessage() // no-op unless the first bytes came just now
		}
		fin, rsv, fop := hdr[0]&0x80 != 0, hdr[0]&0x70, hdr[0]&0x0f
		masked, n := hdr[1]&0x80 != 0, uint64(hdr[1]&0x7f)
		switch {
		case rsv != 0:
			return nil, false, ws.fail(StatusProtocolError, "reserved bits set: no extension was negotiated")
		case !masked:
			return nil, false, ws.fail(StatusProtocolError, "client frames must be masked")
		}
		switch n {
		case 126:
			if err := ws.rd.readFull(conn, hdr[2:4]); err != nil {
				return nil, false, err
			}
			n = uint64(binary.BigEndian.Uint16(hdr[2:4]))
		case 127:
			if err := ws.rd.readFull(conn, hdr[2:10]); err != nil {
				return nil, false, err
			}
			n = binary.BigEndian.Uint64(hdr[2:10])
		}
		var key [4]byte
		if err := ws.rd.readFull(conn, key[:]); err != nil {
			return nil, false, err
		}
		if fop >= opClose {
			if !fin || n > maxControl {
				return nil, false, ws.fail(StatusProtocolError, "fragmented or oversized control frame")
			}
			p := make([]byte, n)
			if err := ws.rd.readFull(conn, p); err != nil {
				return nil, false, err
			}
			unmask(p, key)
			if err := ws.control(fop, p); err != nil {
				return nil, false, err
			}
			continue
		}
		switch {
		case fop == opContinuation && op == 0:
			return nil, false, ws.fail(StatusProtocolError, "continuation frame with no message begun")
		case (fop == opText || fop == opBinary) && op != 0:
			return nil, false, ws.fail(StatusProtocolError, "new message before the last one ended")
		case fop != opContinuation && fop != opText && fop != opBinary:
			return nil, false, ws.fail(StatusProtocolError, fmt.Sprintf("unknown opcode %d", fop))
		}
		if fop != opContinuation {
			op = fop
		}
		if n > uint64(ws.limit) || uint64(len(msg))+n > uint64(ws.limit) {
			return nil, false, ws.fail(StatusMessageTooBig, fmt.Sprintf("read limited at %d bytes", ws.limit))
		}
		if msg, err = ws.readPayload(msg, n, key, op == opText, &checked); err != nil {
			return nil, false, err
		}
		if op == opText && fin && !utf8.Valid(msg[checked:]) {
			return nil, false, ws.fail(StatusInvalidPayload, "invalid UTF-8 in a text message")
		}
		if fin {
			if msg == nil {
				msg = []byte{}
			}
			if ws.timed {
				ws.endMessage()
			}
			return msg, op == opBinary, nil
		}
	}
}

// awaitMessage waits up to parkAfter for the first bytes of a message; it
// returns ErrIdle if none came.
func (ws *WS) awaitMessage() error {
	ws.setIdleDeadline(time.Now().Add(ws.parkAfter))
	buf := ws.rd.array()
	m, err := ws.conn.Read(buf)
	if m > 0 {
		ws.rd.buf = buf
		ws.rd.r, ws.rd.w = 0, m
		if ws.messageTimeout <= 0 {
			ws.setIdleDeadline(time.Time{})
		}
		ws.beginMessage()
		return nil
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		ws.dmu.Lock()
		idle := !ws.cancelled && !ws.closing
		ws.dmu.Unlock()
		if idle {
			ws.setIdleDeadline(time.Time{}) // for a reader that cannot park after all
			ws.rd.release()
			return ErrIdle
		}
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// beginMessage bounds the rest of a message that began by messageTimeout,
// once per message.
func (ws *WS) beginMessage() {
	if ws.messageTimeout > 0 && !ws.timed {
		ws.timed = true
		ws.setIdleDeadline(time.Now().Add(ws.messageTimeout))
	}
}

// endMessage ends a message's deadline. With parking the next wait sets
// its own; without, waiting for the next message must not be bounded.
func (ws *WS) endMessage() {
	ws.timed = false
	if ws.parkAfter <= 0 {
		ws.setIdleDeadline(time.Time{})
	}
}

// setIdleDeadline sets the read deadline for idle parking, unless the read
// context ended or a close handshake set its own.
func (ws *WS) setIdleDeadline(t time.Time) {
	ws.dmu.Lock()
	defer ws.dmu.Unlock()
	if !ws.cancelled && !ws.closing {
		_ = ws.conn.SetReadDeadline(t)
	}
}

// readPayload appends n payload bytes to msg, unmasked with key. Memory
// grows with the bytes that arrive, not with the length a frame header
// claims. For a text message it checks UTF-8 as bytes arrive, so an invalid
// byte fails the connection with 1007 without waiting for the rest of the
// frame; *checked is how far msg is valid, and advances.
func (ws *WS) readPayload(msg []byte, n uint64, key [4]byte, text bool, checked *int) ([]byte, error) {
	start := len(msg)
	for n > 0 {
		chunk := min(n, uint64(max(4096, len(msg))))
		from := len(msg)
		msg = append(msg, make([]byte, chunk)...)
		for got := from; got < len(msg); {
			m, err := ws.rd.readSome(ws.conn, msg[got:])
			if m > 0 {
				unmaskAt(msg[got:got+m], key, got-start)
				got += m
				if text {
					if *checked, err = validPrefix(msg[:got], *checked); err != nil {
						return nil, ws.fail(StatusInvalidPayload, "invalid UTF-8 in a text message")
					}
				}
			}
			if err != nil {
				return nil, err
			}
		}
		n -= chunk
	}
	return msg, nil
}

// errInvalidUTF8 is validPrefix's only error.
var errInvalidUTF8 = errors.New("adapter: invalid UTF-8")

// validPrefix checks p[from:], which may end inside a code point, and
// returns how much of p is now known to be valid UTF-8. It fails as soon as
// the bytes in hand can be the start of no valid text (RFC 6455 §8.1).
func validPrefix(p []byte, from int) (int, error) {
	end := len(p)
	// An incomplete code point at the end: find its leading byte.
	for j := 1; j <= 3 && end-j >= from; j++ {
		b := p[end-j]
		if b&0xc0 == 0x80 {
			continue // a continuation byte
		}
		if need := runeLength(b); need > j {
			if !validRuneStart(p[end-j:], need) {
				return from, errInvalidUTF8
			}
			end -= j
		}
		break
	}
	if !utf8.Valid(p[from:end]) {
		return from, errInvalidUTF8
	}
	return end, nil
}

// runeLength is the length of the UTF-8 sequence that leading byte b begins
// (1 for bytes that begin none; utf8.Valid rejects those).
func runeLength(b byte) int {
	switch {
	case b >= 0xf0:
		return 4
	case b >= 0xe0:
		return 3
	case b >= 0xc0:
		return 2
	}
	return 1
}

// validRuneStart reports whether t, shorter than need, can begin a valid
// code point of need bytes.
func validRuneStart(t []byte, need int) bool {
	if len(t) == 1 {
		return t[0] >= 0xc2 && t[0] <= 0xf4
	}
	// The second byte's range depends on the first; later ones are any
	// continuation byte, so completing with 0x80 decides.
	var full [4]byte
	n := copy(full[:], t)
	for ; n < need; n++ {
		full[n] = 0x80
	}
	return utf8.Valid(full[:need])
}

// control answers a ping, ignores a pong, and answers a close frame, which
// ends the connection with a *CloseError.
func (ws *WS) control(op byte, p []byte) error {
	switch op {
	case opPing:
		ws.wmu.Lock()
		defer ws.wmu.Unlock()
		if ws.closeSent {
			return nil
		}
		_ = ws.conn.SetWriteDeadline(time.Now().Add(closeWrite))
		return ws.writeFrameLocked(opPong, p)
	case opPong:
		return nil
	case opClose:
		ce := &CloseError{Code: StatusNoStatusRcvd}
		if len(p) == 1 {
			return ws.fail(StatusProtocolError, "close frame too short to hold a status")
		}
		if len(p) >= 2 {
			ce.Code, ce.Reason = int(binary.BigEndian.Uint16(p)), string(p[2:])
			if !validCloseCode(ce.Code) || !utf8.ValidString(ce.Reason) {
				return ws.fail(StatusProtocolError, "invalid close frame")
			}
		}
		_ = ws.sendClose(ce.Code, ce.Reason) // no-op when this side closed first
		return ce
	}
	return ws.fail(StatusProtocolError, fmt.Sprintf("unknown opcode %d", op))
}

// fail closes the connection with code after a protocol error, and returns
// the error Read reports.
func (ws *WS) fail(code int, reason string) error {
	_ = ws.sendClose(code, reason)
	return &CloseError{Code: code, Reason: reason}
}

// validCloseCode reports whether a peer may send code (RFC 6455 §7.4).
func validCloseCode(code int) bool {
	switch {
	case code == 1004 || code == 1005 || code == 1006 || code == 1015:
		return false
	case code >= 1000 && code <= 1014:
		return true
	}
	return code >= 3000 && code <= 4999
}

// putHeader writes the header of an unmasked final frame of n payload bytes
// and returns its length.
func putHeader(b []byte, op byte, n int) int {
	b[0] = 0x80 | op
	switch {
	case n < 126:
		b[1] = byte(n)
		return 2
	case n <= 0xffff:
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
		return 4
	}
	b[1] = 127
	binary.BigEndian.PutUint64(b[2:], uint64(n))
	return 10
}

// unmaskAt unmasks p, the bytes of a frame's payload from offset off on.
func unmaskAt(p []byte, key [4]byte, off int) {
	if r := off & 3; r != 0 {
		key = [4]byte{key[r&3], key[(r+1)&3], key[(r+2)&3], key[(r+3)&3]}
	}
	unmask(p, key)
}

// unmask XORs p, the payload of one frame, with its masking key.
func unmask(p []byte, key [4]byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k |= k << 32
	i := 0
	for ; len(p)-i >= 8; i += 8 {
		binary.LittleEndian.PutUint64(p[i:], binary.LittleEndian.Uint64(p[i:])^k)
	}
	for ; i < len(p); i++ {
		p[i] ^= key[i&3]
	}
}
