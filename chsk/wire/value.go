package wire

import (
	"encoding/hex"
	"errors"
	"hash/maphash"
	"iter"
	"math"
	"math/big"
	"strings"
	"time"
)

// Keyword is an EDN keyword, held without its leading colon:
// Keyword("my-app/save") prints as :my-app/save.
type Keyword string

// Namespace returns the part before the slash, or "" for a plain keyword.
func (k Keyword) Namespace() string {
	if i := strings.IndexByte(string(k), '/'); i > 0 {
		return string(k[:i])
	}
	return ""
}

// Name returns the part after the slash, or the whole keyword when it has no namespace.
func (k Keyword) Name() string {
	if i := strings.IndexByte(string(k), '/'); i > 0 {
		return string(k[i+1:])
	}
	return string(k)
}

// String returns the keyword as EDN prints it, with the leading colon.
func (k Keyword) String() string { return ":" + string(k) }

// Symbol is an EDN symbol such as foo or my.ns/foo.
type Symbol string

// String returns the symbol's text.
func (s Symbol) String() string { return string(s) }

// Char is an EDN character literal such as \a or \newline.
// ClojureScript has no character type and reads it as a one-character string.
type Char rune

// Vector is an EDN vector, [1 2 3].
type Vector []any

// List is an EDN list, (1 2 3). Clojure's lazy sequences print as lists.
type List []any

// BigDecimal is an arbitrary-precision decimal (Clojure's BigDecimal, 1.50M),
// held as its decimal text without the M suffix so that the scale survives a
// round trip: BigDecimal("1.50") prints as 1.50M.
type BigDecimal string

// Rat returns the decimal's exact value.
func (d BigDecimal) Rat() (*big.Rat, bool) { return new(big.Rat).SetString(string(d)) }

// UUID is a #uuid value.
type UUID [16]byte

// ErrBadUUID is returned by ParseUUID for text that is not a canonical UUID.
var ErrBadUUID = errors.New("wire: invalid #uuid")

// ParseUUID parses the canonical 36-character form
// (8-4-4-4-12 hex digits, either case).
func ParseUUID(s string) (UUID, error) {
	var u UUID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, ErrBadUUID
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++ // the dashes, checked above
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return UUID{}, ErrBadUUID
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// String returns the lowercase canonical form, as Clojure prints it.
func (u UUID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// Tagged is a tagged literal, #my.app/point [1 2], for tags other than #inst
// and #uuid. The reader produces it only for tags the caller allowed.
type Tagged struct {
	Tag   Symbol
	Value any
}

// MapEntry is one key and its value.
type MapEntry struct {
	Key, Value any
}

// Map is an EDN map. Keys are compared by value (Equal), so vectors, maps and
// sets work as keys; entries keep their insertion order, which is the order
// they print in. The zero value is an empty map ready to use; a nil *Map reads
// as empty.
type Map struct {
	entries []MapEntry
	index   map[uint64][]int32 // built once the map is larger than indexAfter
}

// Set is an EDN set. Elements are compared by value (Equal) and keep their
// insertion order. The zero value is an empty set; a nil *Set reads as empty.
type Set struct {
	elems []any
	index map[uint64][]int32
}

// indexAfter is the size up to which maps and sets search linearly.
const indexAfter = 8

// NewMap returns a map holding the given keys and values, alternating:
// NewMap(Keyword("a"), 1, Keyword("b"), 2). A later duplicate key replaces the
// earlier value. It panics when given an odd number of arguments.
func NewMap(kvs ...any) *Map {
	if len(kvs)%2 != 0 {
		panic("wire.NewMap: odd number of arguments")
	}
	m := &Map{entries: make([]MapEntry, 0, len(kvs)/2)}
	for i := 0; i < len(kvs); i += 2 {
		m.Set(kvs[i], kvs[i+1])
	}
	return m
}

// Len returns the number of entries.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.entries)
}

// Get returns the value stored under key.
func (m *Map) Get(key any) (any, bool) {
	if i := m.find(key); i >= 0 {
		return m.entries[i].Value, true
	}
	return nil, false
}

// Set stores val under key, replacing an equal key's value in place.
func (m *Map) Set(key, val any) {
	if i := m.find(key); i >= 0 {
		m.entries[i].Value = val
		return
	}
	m.appendNew(key, val)
}

// All iterates over the entries in insertion order.
func (m *Map) All() iter.Seq2[any, any] {
	return func(yield func(any, any) bool) {
		if m == nil {
			return
		}
		for _, e := range m.entries {
			if !yield(e.Key, e.Value) {
				return
			}
		}
	}
}

// Entries returns the entries in insertion order. The slice is the map's own
// storage: read it, do not modify it.
func (m *Map) Entries() []MapEntry {
	if m == nil {
		return nil
	}
	return m.entries
}

// add inserts a key known to be new, or reports false when it is present.
func (m *Map) add(key, val any) bool {
	if m.find(key) >= 0 {
		return false
	}
	m.appendNew(key, val)
	return true
}

func (m *Map) appendNew(key, val any) {
	m.entries = append(m.entries, MapEntry{key, val})
	n := len(m.entries)
	switch {
	case n == indexAfter+1:
		m.index = make(map[uint64][]int32, 2*n)
		for i, e := range m.entries {
			h := Hash(e.Key)
			m.index[h] = append(m.index[h], int32(i))
		}
	case n > indexAfter+1:
		h := Hash(key)
		m.index[h] = append(m.index[h], int32(n-1))
	}
}

func (m *Map) find(key any) int {
	if m == nil {
		return -1
	}
	if m.index == nil {
		if k, ok := key.(Keyword); ok { // the common case: keyword keys
			for i, e := range m.entries {
				if ek, ok := e.Key.(Keyword); ok && ek == k {
					return i
				}
			}
			return -1
		}
		for i, e := range m.entries {
			if Equal(e.Key, key) {
				return i
			}
		}
		return -1
	}
	for _, i := range m.index[Hash(key)] {
		if Equal(m.entries[i].Key, key) {
			return int(i)
		}
	}
	return -1
}

// NewSet returns a set holding the given elements; duplicates are kept once.
func NewSet(elems ...any) *Set {
	s := &Set{elems: make([]any, 0, len(elems))}
	for _, e := range elems {
		s.Add(e)
	}
	return s
}

// Len returns the number of elements.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.elems)
}

// Contains reports whether the set holds an element equal to v.
func (s *Set) Contains(v any) bool { return s.find(v) >= 0 }

// Add inserts v and reports whether it was new.
func (s *Set) Add(v any) bool {
	if s.find(v) >= 0 {
		return false
	}
	s.elems = append(s.elems, v)
	n := len(s.elems)
	switch {
	case n == indexAfter+1:
		s.index = make(map[uint64][]int32, 2*n)
		for i, e := range s.elems {
			h := Hash(e)
			s.index[h] = append(s.index[h], int32(i))
		}
	case n > indexAfter+1:
		h := Hash(v)
		s.index[h] = append(s.index[h], int32(n-1))
	}
	return true
}

// All iterates over the elements in insertion order.
func (s *Set) All() iter.Seq[any] {
	return func(yield func(any) bool) {
		if s == nil {
			return
		}
		for _, e := range s.elems {
			if !yield(e) {
				return
			}
		}
	}
}

// Elems returns the elements in insertion order. The slice is the set's own
// storage: read it, do not modify it.
func (s *Set) Elems() []any {
	if s == nil {
		return nil
	}
	return s.elems
}

func (s *Set) find(v any) int {
	if s == nil {
		return -1
	}
	if s.index == nil {
		for i, e := range s.elems {
			if Equal(e, v) {
				return i
			}
		}
		return -1
	}
	for _, i := range s.index[Hash(v)] {
		if Equal(s.elems[i], v) {
			return int(i)
		}
	}
	return -1
}

// Equal reports whether a and b are equal EDN values, following Clojure's =:
// vectors and lists with equal elements are equal, maps and sets compare by
// content regardless of order, integers compare by value whatever their Go type
// (42 equals 42N), integers never equal floats, and ##NaN equals nothing.
func Equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool, string, Keyword, Symbol, Char, UUID:
		return a == b
	case float64:
		y, ok := asFloat(b)
		return ok && x == y
	case float32:
		y, ok := asFloat(b)
		return ok && float64(x) == y
	case Vector:
		return seqEqual(x, b)
	case List:
		return seqEqual(x, b)
	case []any:
		return seqEqual(x, b)
	case *Map:
		y, ok := b.(*Map)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, e := range x.Entries() {
			v, ok := y.Get(e.Key)
			if !ok || !Equal(e.Value, v) {
				return false
			}
		}
		return true
	case *Set:
		y, ok := b.(*Set)
		if !ok || x.Len() != y.Len() {
			return false
		}
		for _, e := range x.Elems() {
			if !y.Contains(e) {
				return false
			}
		}
		return true
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case *big.Rat:
		y, ok := b.(*big.Rat)
		return ok && x.Cmp(y) == 0
	case BigDecimal:
		y, ok := b.(BigDecimal)
		if !ok {
			return false
		}
		rx, ok1 := x.Rat()
		ry, ok2 := y.Rat()
		return ok1 && ok2 && rx.Cmp(ry) == 0
	case Tagged:
		y, ok := b.(Tagged)
		return ok && x.Tag == y.Tag && Equal(x.Value, y.Value)
	}
	if x, ok := asBigInt(a); ok {
		y, ok := asBigInt(b)
		return ok && x.Cmp(y) == 0
	}
	return equalBinary(a, b)
}

func seqEqual(x []any, b any) bool {
	var y []any
	switch b := b.(type) {
	case Vector:
		y = b
	case List:
		y = b
	case []any:
		y = b
	default:
		return false
	}
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !Equal(x[i], y[i]) {
			return false
		}
	}
	return true
}

func asFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	}
	return 0, false
}

// asInt64 reports the value of any Go integer that fits in an int64.
func asInt64(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int16:
		return int64(v), true
	case int8:
		return int64(v), true
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint:
		if uint64(v) <= math.MaxInt64 {
			return int64(v), true
		}
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), true
		}
	case *big.Int:
		if v.IsInt64() {
			return v.Int64(), true
		}
	}
	return 0, false
}

func asBigInt(v any) (*big.Int, bool) {
	switch v := v.(type) {
	case *big.Int:
		return v, v != nil
	case uint:
		return new(big.Int).SetUint64(uint64(v)), true
	case uint64:
		return new(big.Int).SetUint64(v), true
	}
	if i, ok := asInt64(v); ok {
		return big.NewInt(i), true
	}
	return nil, false
}

var hashSeed = maphash.MakeSeed()

// leafSeed keys the hashes of numbers, chars and instants, so that crafted
// keys cannot collide on purpose: mix alone is invertible.
var leafSeed = maphash.Comparable(hashSeed, uint64(0x243f6a8885a308d3))

// Hash returns a hash of v consistent with Equal: equal values hash alike.
// The seed is random per process, so hashes are not stable across runs and
// crafted keys cannot force collisions.
func Hash(v any) uint64 {
	switch x := v.(type) {
	case nil:
		return 0x9e3779b97f4a7c15
	case bool:
		if x {
			return 0x6a09e667f3bcc908
		}
		return 0xbb67ae8584caa73b
	case string:
		return maphash.String(hashSeed, x)
	case Keyword:
		return maphash.String(hashSeed, string(x)) ^ 0x3c6ef372fe94f82b
	case Symbol:
		return maphash.String(hashSeed, string(x)) ^ 0xa54ff53a5f1d36f1
	case Char:
		return mix(uint64(x) ^ 0x510e527fade682d1 ^ leafSeed)
	case UUID:
		return maphash.Bytes(hashSeed, x[:]) ^ 0x9b05688c2b3e6c1f
	case float64:
		return hashFloat(x)
	case float32:
		return hashFloat(float64(x))
	case Vector:
		return hashSeq(x)
	case List:
		return hashSeq(x)
	case []any:
		return hashSeq(x)
	case *Map:
		var h uint64 = 0x1f83d9abfb41bd6b
		for _, e := range x.Entries() {
			h += mix(Hash(e.Key)*31 ^ Hash(e.Value))
		}
		return h
	case *Set:
		var h uint64 = 0x5be0cd19137e2179
		for _, e := range x.Elems() {
			h += mix(Hash(e))
		}
		return h
	case time.Time:
		return mix(uint64(x.UnixNano()) ^ 0xcbbb9d5dc1059ed8 ^ leafSeed)
	case *big.Rat:
		return maphash.String(hashSeed, x.String())
	case BigDecimal:
		if r, ok := x.Rat(); ok {
			return maphash.String(hashSeed, r.String())
		}
		return maphash.String(hashSeed, string(x))
	case Tagged:
		return maphash.String(hashSeed, string(x.Tag)) ^ Hash(x.Value)
	}
	if i, ok := asInt64(v); ok {
		return mix(uint64(i) ^ leafSeed)
	}
	if b, ok := asBigInt(v); ok {
		return maphash.Bytes(hashSeed, b.Bytes()) ^ uint64(b.Sign())
	}
	return 0
}

func hashFloat(f float64) uint64 {
	if f == 0 {
		f = 0 // -0.0 equals 0.0
	}
	return mix(math.Float64bits(f) ^ 0x629a292a367cd507 ^ leafSeed)
}

func hashSeq(xs []any) uint64 {
	h := 0x9159015a3070dd17 ^ leafSeed
	for _, x := range xs {
		h = mix(h*31 + Hash(x) ^ leafSeed)
	}
	return h
}

// mix is the splitmix64 finalizer.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Raw is EDN text that was printed already. The printer copies it verbatim,
// which lets a server print an event once and put it into many frames.
// It must hold exactly one well-formed EDN form.
type Raw []byte
