package wire

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"sync/atomic"
)

// The reader interns keywords and symbols in two small process-wide caches,
// so that the names an application uses again and again (event ids, map keys)
// cost no allocation after their first read. Each cache is a fixed array of
// slots in pairs: a name hashes to a pair, is looked up in both slots, and
// when new goes to the pair's first slot, moving the entry there to the
// second. Memory is therefore bounded (internSlots entries of at most
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

// internSeed makes slot choice differ between processes. Colliding names only
// evict each other, so the hash needs to be fast rather than strong.
var internSeed = maphash.Comparable(maphash.MakeSeed(), 0) | 1

// internPair returns the index of the first slot of b's pair; b is at most
// internMaxLen long.
func internPair(b []byte) uint64 {
	h := internSeed ^ uint64(len(b))
	for len(b) >= 8 {
		h = mix64(h ^ binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	return mix64(h^tail) & (internSlots - 2)
}

func mix64(h uint64) uint64 {
	hi, lo := bits.Mul64(h, 0x9e3779b97f4a7c15)
	return hi ^ lo
}

// intern returns the cached value for the name b in table, making it with
// mk on a miss.
func intern(table *[internSlots]atomic.Pointer[internEntry], b []byte, mk func(string) any) any {
	i := internPair(b)
	first := table[i].Load()
	if first != nil && first.text == string(b) {
		return first.val
	}
	if e := table[i+1].Load(); e != nil && e.text == string(b) {
		return e.val
	}
	e := &internEntry{text: string(b)}
	e.val = mk(e.text)
	if first != nil {
		table[i+1].Store(first)
	}
	table[i].Store(e)
	return e.val
}

func makeKeyword(s string) any { return Keyword(s) }
func makeSymbol(s string) any  { return Symbol(s) }

func internKeyword(b []byte) any {
	if len(b) > internMaxLen {
		return Keyword(b)
	}
	return intern(&internKeywords, b, makeKeyword)
}

func internSymbol(b []byte) any {
	if len(b) > internMaxLen {
		return Symbol(b)
	}
	return intern(&internSymbols, b, makeSymbol)
}
