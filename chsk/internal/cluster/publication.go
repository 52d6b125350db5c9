package cluster

import (
	"encoding/binary"
	"errors"

	"github.com/gosente/gosente/chsk"
)

const (
	pubAll    = 1 << iota // Publication.All
	pubClient             // Publication.ClientID is set
	pubUID                // Publication.UID is set
)

// errBadPublication is returned for a message that is not a publication.
var errBadPublication = errors.New("cluster: malformed publication")

// AppendPublication appends the engine message for p to dst: a flags byte,
// the uid and client-id each as a uvarint length and bytes, then the printed
// event to the end.
func AppendPublication(dst []byte, p chsk.Publication) []byte {
	var flags byte
	if p.All {
		flags |= pubAll
	}
	if p.ClientID != "" {
		flags |= pubClient
	}
	if p.UID != "" {
		flags |= pubUID
	}
	dst = append(dst, flags)
	if p.UID != "" {
		dst = binary.AppendUvarint(dst, uint64(len(p.UID)))
		dst = append(dst, p.UID...)
	}
	if p.ClientID != "" {
		dst = binary.AppendUvarint(dst, uint64(len(p.ClientID)))
		dst = append(dst, p.ClientID...)
	}
	return append(dst, p.Event...)
}

// ParsePublication reads what AppendPublication wrote. The event aliases b.
func ParsePublication(b []byte) (chsk.Publication, error) {
	var p chsk.Publication
	if len(b) == 0 {
		return p, errBadPublication
	}
	flags := b[0]
	b = b[1:]
	field := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	var ok bool
	if flags&pubUID != 0 {
		if p.UID, ok = field(); !ok {
			return p, errBadPublication
		}
	}
	if flags&pubClient != 0 {
		if p.ClientID, ok = field(); !ok {
			return p, errBadPublication
		}
	}
	p.All = flags&pubAll != 0
	if len(b) == 0 || (!p.All && p.UID == "") {
		return p, errBadPublication
	}
	p.Event = b
	return p, nil
}
