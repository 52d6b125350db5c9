package golden

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// RFC 6455 opcodes.
const (
	opContinuation byte = 0x0
	opText         byte = 0x1
	opBinary       byte = 0x2
	opClose        byte = 0x8
	opPing         byte = 0x9
	opPong         byte = 0xA
)

// frameOpcodes maps the transcript's frame type names to opcodes.
var frameOpcodes = map[string]byte{
	"continuation": opContinuation, "text": opText, "binary": opBinary,
	"close": opClose, "ping": opPing, "pong": opPong,
}

func opcodeName(op byte) string {
	for name, o := range frameOpcodes {
		if o == op {
			return name
		}
	}
	return "opcode-" + strconv.Itoa(int(op))
}

// maxFramePayload bounds one received frame (http-kit allows 4 MiB messages).
const maxFramePayload = 8 << 20

// errFrameTooLarge is returned when a received frame exceeds maxFramePayload.
var errFrameTooLarge = errors.New("golden: websocket frame too large")

// errProtocol is returned for a server frame that breaks RFC 6455 framing
// rules this client can check (oversized or fragmented control frames).
var errProtocol = errors.New("golden: websocket protocol violation")

// wsFrame is one WebSocket frame, exactly as on the wire (unmasked payload).
type wsFrame struct {
	Fin     bool
	Rsv     byte // RSV1..3 bits, 0 unless an extension is in use
	Opcode  byte
	Masked  bool
	Payload []byte
}

// writeClientFrame writes f as a masked client frame with the given key.
func writeClientFrame(w io.Writer, f wsFrame, key [4]byte) error {
	hdr := make([]byte, 0, 14)
	b0 := f.Opcode & 0x0F
	if f.Fin {
		b0 |= 0x80
	}
	b0 |= (f.Rsv & 0x7) << 4
	hdr = append(hdr, b0)
	n := len(f.Payload)
	switch {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n <= 0xFFFF:
		hdr = append(hdr, 0x80|126)
		hdr = binary.BigEndian.AppendUint16(hdr, uint16(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	hdr = append(hdr, key[:]...)
	masked := make([]byte, n)
	for i, b := range f.Payload {
		masked[i] = b ^ key[i%4]
	}
	_, err := w.Write(append(hdr, masked...))
	return err
}

// readFrame reads one frame. Masked frames (which a server must not send)
// are unmasked and reported through wsFrame.Masked.
func readFrame(br *bufio.Reader) (wsFrame, error) {
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return wsFrame{}, err
	}
	f := wsFrame{Fin: h[0]&0x80 != 0, Rsv: (h[0] >> 4) & 0x7, Opcode: h[0] & 0x0F, Masked: h[1]&0x80 != 0}
	n := uint64(h[1] & 0x7F)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return wsFrame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return wsFrame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if f.Opcode >= opClose && (n > 125 || !f.Fin) {
		return wsFrame{}, fmt.Errorf("%w: control frame opcode %d, length %d, fin %t", errProtocol, f.Opcode, n, f.Fin)
	}
	if n > maxFramePayload {
		return wsFrame{}, fmt.Errorf("%w: %d bytes", errFrameTooLarge, n)
	}
	var key [4]byte
	if f.Masked {
		if _, err := io.ReadFull(br, key[:]); err != nil {
			return wsFrame{}, err
		}
	}
	f.Payload = make([]byte, n)
	if _, err := io.ReadFull(br, f.Payload); err != nil {
		return wsFrame{}, err
	}
	if f.Masked {
		for i := range f.Payload {
			f.Payload[i] ^= key[i%4]
		}
	}
	return f, nil
}

// renderFrame turns a frame into the string compared with the transcript:
// a text frame is its payload; any other frame is "[type] …" (close: the code
// and reason; binary: base64; ping/pong: the payload). Oddities a server must
// not produce (no FIN, RSV bits, masking) are appended so they cannot match.
func renderFrame(f wsFrame) string {
	var s string
	switch f.Opcode {
	case opText:
		s = string(f.Payload)
		if !utf8.Valid(f.Payload) {
			s = "[text, invalid UTF-8] " + base64.StdEncoding.EncodeToString(f.Payload)
		}
	case opClose:
		s = "[close]"
		if len(f.Payload) >= 2 {
			s += " " + strconv.Itoa(int(binary.BigEndian.Uint16(f.Payload)))
			if len(f.Payload) > 2 {
				s += " " + strconv.Quote(string(f.Payload[2:]))
			}
		} else if len(f.Payload) == 1 {
			s += " (1-byte payload)"
		}
	case opPing, opPong:
		s = "[" + opcodeName(f.Opcode) + "] " + string(f.Payload)
	default:
		s = "[" + opcodeName(f.Opcode) + "] " + base64.StdEncoding.EncodeToString(f.Payload)
	}
	if !f.Fin {
		s += " [not final]"
	}
	if f.Rsv != 0 {
		s += fmt.Sprintf(" [rsv %d]", f.Rsv)
	}
	if f.Masked {
		s += " [masked]"
	}
	return s
}

// recordFrame returns the frame a ws-frame record describes.
func recordFrame(r *Record) (wsFrame, error) {
	p, err := r.PayloadBytes()
	if err != nil {
		return wsFrame{}, err
	}
	op, ok := frameOpcodes[r.Type]
	if !ok {
		return wsFrame{}, fmt.Errorf("golden: frame type %q", r.Type)
	}
	fin := true
	if r.Fin != nil {
		fin = *r.Fin
	}
	return wsFrame{Fin: fin, Opcode: op, Payload: p}, nil
}
