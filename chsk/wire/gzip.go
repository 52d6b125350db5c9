package wire

import (
	"bytes"
	"compress/gzip"
	"io"
	"sync"
)

// gzipThreshold is the payload size from which Sente compresses.
const gzipThreshold = 1024

// Gzip is Sente's gzip wrapper (taoensso.sente.packers.gzip/wrap-packer,
// Sente 1.21+) around another packer: a frame is a flag byte and the inner
// packer's frame, stored as is (flag 0) when it is under 1024 bytes and
// gzip-compressed (flag 1) from 1024 bytes on (PROTOCOL §11.3). Frames are
// always binary; a text packer's frame is its UTF-8 text.
//
// Gzip{Packer: EDN{}} is Sente's gzip-edn and Gzip{Packer: MsgPack{}} its
// gzip-msgpack.
type Gzip struct {
	// Packer is the inner packer; nil means EDN{}.
	Packer Packer
	// MaxBytes bounds the size of a frame once decompressed; 0 means
	// DefaultMaxBytes. A frame that inflates beyond it (a zip bomb) is a
	// bad package, found after reading at most MaxBytes+1 bytes of it.
	MaxBytes int
}

func (p Gzip) inner() Packer {
	if p.Packer == nil {
		return EDN{}
	}
	return p.Packer
}

var (
	gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}
	gzipReaders sync.Pool // *gzip.Reader
)

// Pack appends the flag byte and the inner packer's frame, compressed when
// it is 1024 bytes or longer, to dst.
func (p Gzip) Pack(dst []byte, payload, cb any) ([]byte, error) {
	n := len(dst)
	dst = append(dst, 0)
	out, err := p.inner().Pack(dst, payload, cb)
	if err != nil {
		return dst[:n], err
	}
	if len(out)-n-1 < gzipThreshold {
		return out, nil
	}
	raw := bytes.Clone(out[n+1:])
	buf := bytes.NewBuffer(out[:n])
	buf.WriteByte(1)
	zw := gzipWriters.Get().(*gzip.Writer)
	zw.Reset(buf)
	_, err = zw.Write(raw)
	if err == nil {
		err = zw.Close()
	}
	zw.Reset(nil)
	gzipWriters.Put(zw)
	if err != nil {
		return out[:n], err
	}
	return buf.Bytes(), nil
}

// Unpack reads a gzip-wrapped frame: it inflates the frame when its flag
// byte is 1 and hands the payload to the inner packer (any other flag means
// stored, as in Sente). An empty frame, a broken gzip stream or one that
// inflates beyond MaxBytes is a *BadPackageError; the inner packer's errors
// are returned as they are.
func (p Gzip) Unpack(data []byte) (Envelope, error) {
	if len(data) == 0 {
		err := &SyntaxError{Msg: "empty frame", Format: "gzip"}
		return Envelope{}, &BadPackageError{Err: err}
	}
	if data[0] != 1 {
		return p.inner().Unpack(data[1:])
	}
	payload, err := p.inflate(data[1:])
	if err != nil {
		return Envelope{}, &BadPackageError{Text: badText(data, nil), Err: err}
	}
	return p.inner().Unpack(payload)
}

func (p Gzip) inflate(z []byte) ([]byte, error) {
	max := p.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(bytes.NewReader(z))
	} else {
		err = zr.Reset(bytes.NewReader(z))
	}
	if err != nil {
		return nil, &SyntaxError{Offset: 1, Msg: "bad gzip stream: " + err.Error(), Format: "gzip", Err: err}
	}
	defer gzipReaders.Put(zr)
	zr.Multistream(false)
	var out bytes.Buffer
	n, err := out.ReadFrom(io.LimitReader(zr, int64(max)+1))
	switch {
	case n > int64(max):
		return nil, &LimitError{Limit: "bytes", Max: max, Offset: max, Format: "gzip"}
	case err != nil:
		return nil, &SyntaxError{Offset: 1, Msg: "bad gzip stream: " + err.Error(), Format: "gzip", Err: err}
	}
	return out.Bytes(), nil
}

// Binary reports true: gzip-wrapped frames are bytes, whatever the inner
// packer.
func (Gzip) Binary() bool { return true }
