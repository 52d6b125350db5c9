package wire

// Packer turns envelopes into frames and back. Sente calls this a packer; both
// ends of a connection must use the same one, since nothing on the wire
// negotiates it. EDN is the default; Transit, MessagePack and gzip are other
// Sente packers that can implement this interface.
type Packer interface {
	// Pack appends the frame for payload and cb (nil for no callback) to
	// dst. On error it returns dst unchanged.
	Pack(dst []byte, payload, cb any) ([]byte, error)
	// Unpack reads one frame. Frames that cannot be read give an error;
	// a *BadPackageError for the EDN packer.
	Unpack(data []byte) (Envelope, error)
	// Binary reports whether frames are binary: sent as WebSocket binary
	// messages and as application/octet-stream Ajax bodies. Text frames go
	// as WebSocket text messages and in form fields.
	Binary() bool
}

// EDN is Sente's default packer: frames are EDN text. The zero value writes
// Format121 and reads every format with the reader's default limits.
type EDN struct {
	// Format is the envelope format Pack writes. Unpack reads all of them.
	Format Format
	// Limits bounds what Unpack reads; zero fields mean the reader's
	// defaults (see ReadOptions).
	Limits ReadOptions
}

// Pack appends the EDN frame for payload and cb to dst (see AppendEnvelope).
func (p EDN) Pack(dst []byte, payload, cb any) ([]byte, error) {
	return AppendEnvelope(dst, p.Format, payload, cb)
}

// Unpack reads an EDN frame in any format (see Unpack).
func (p EDN) Unpack(data []byte) (Envelope, error) {
	return Unpack(data, &p.Limits)
}

// Binary reports false: EDN frames are text.
func (EDN) Binary() bool { return false }
