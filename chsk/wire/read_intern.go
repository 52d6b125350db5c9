package wire

import (
	"hash/maphash"
	"sync/atomic"
)

// The reader interns keywords and symbols in two small process-wide caches,
// so that the names an application uses again and again (event ids, map keys)
// cost no allocation after their first read. Each cache is a fixed array of
// slots indexed by a seeded hash of the name; a new name simply replaces the
// slot's entry. Memory is therefore bounded (internSlots entries of at most
// internMaxLen bytes each) whatever the input, and slots are read and written
// atomically, so concurrent reads are safe.
const (
	internSlots  = 4096 // a power of two
	internMaxLen = 64   // longer names are not cached
)

type internEntry struct {
	text string
	val  any // Keyword(text) or Symbol(text), boxed once
}

var internKeywords, internSymbols [internSlots]atomic.Pointer[internEntry]

func internKeyword(b []byte) any {
	if len(b) > internMaxLen {
		return Keyword(b)
	}
	slot := &internKeywords[maphash.Bytes(hashSeed, b)&(internSlots-1)]
	if e := slot.Load(); e != nil && e.text == string(b) {
		return e.val
	}
	e := &internEntry{text: string(b)}
	e.val = Keyword(e.text)
	slot.Store(e)
	return e.val
}

func internSymbol(b []byte) any {
	if len(b) > internMaxLen {
		return Symbol(b)
	}
	slot := &internSymbols[maphash.Bytes(hashSeed, b)&(internSlots-1)]
	if e := slot.Load(); e != nil && e.text == string(b) {
		return e.val
	}
	e := &internEntry{text: string(b)}
	e.val = Symbol(e.text)
	slot.Store(e)
	return e.val
}
